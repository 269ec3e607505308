"""Hostile and sloppy traffic: every case is rejected and counted by reason, valid readings kept."""

from __future__ import annotations

import json
import logging

from twin.state.store import Message
from twin.telemetry.parse import MAX_PAYLOAD, ExternalEvent, Parser, topic_prefix

NOW = 1_800_000_000.0
KINDS = {"env-1": "env_monitor", "bin-1": "trash_bin", "cam-1": "camera"}


def _parser(clock=lambda: NOW) -> Parser:
    return Parser(KINDS, "twin/demo", clock)


def test_topic_prefix_is_safe_for_mqtt():
    assert topic_prefix("Helsinki centre (demo)") == "twin/Helsinki-centre-(demo)"
    assert topic_prefix("a/b+c#d") == "twin/a-b-c-d"


def test_good_telemetry_with_both_timestamp_forms():
    p = _parser()
    m = p.parse(
        "twin/demo/env-1/telemetry", json.dumps({"pm25": 41.5, "ts": int((NOW - 2) * 1000)})
    )
    assert m == Message("env-1", NOW - 2, {"pm25": 41.5})
    m = p.parse("twin/demo/env-1/telemetry", b'{"noise_db": 48, "ts": "2027-01-15T08:00:00Z"}')
    assert m == Message("env-1", NOW, {"noise_db": 48.0})  # 1.8e9 s is 2027-01-15 08:00 UTC
    m = p.parse("twin/demo/env-1/telemetry", b'{"noise_db": 47, "ts": "2027-01-15T16:00:00+08:00"}')
    assert m is not None and m.ts == NOW  # the same instant in Beijing time
    m = p.parse("twin/demo/bin-1/telemetry", b'{"fill_pct": 42}')
    assert m == Message("bin-1", NOW, {"fill_pct": 42.0})  # no ts: the time it arrived
    assert p.stats.accepted == 4 and not p.stats.rejected


def test_every_kind_of_bad_message_is_rejected_and_counted(caplog):
    p = _parser()
    t = "twin/demo/env-1/telemetry"
    cases = {
        "not_json": (t, b"pm25=40"),
        "not_object": (t, b"[1, 2, 3]"),
        "unknown_device": ("twin/demo/nobody/telemetry", b'{"pm25": 1}'),
        "bad_topic": ("other/env-1/telemetry", b'{"pm25": 1}'),
        "too_large": (t, b'{"pm25": 1, "pad": "' + b"x" * MAX_PAYLOAD + b'"}'),
        "ts_future": (t, json.dumps({"pm25": 1, "ts": (NOW + 2 * 86400) * 1000})),
        "ts_past": (t, json.dumps({"pm25": 1, "ts": (NOW - 30 * 86400) * 1000})),
        "bad_timestamp": (t, b'{"pm25": 1, "ts": "yesterday"}'),
        "no_valid_reading": (t, b'{"pm25": -5, "pm10": "lots"}'),
        "bad_event": ("twin/demo/cam-1/event", b'{"severity": "apocalyptic"}'),
        "too_deep": (t, b'{"pm25": 5, "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
    }
    with caplog.at_level(logging.WARNING, logger="twin.telemetry"):
        for reason, (topic, payload) in cases.items():
            assert p.parse(topic, payload) is None, reason
        for topic, payload in cases.values():  # the same again: counted, not logged again
            p.parse(topic, payload)
    assert dict(p.stats.rejected) == {reason: 2 for reason in cases}
    assert len(caplog.records) == len(cases)  # once per reason per minute
    assert (
        p.parse("twin/demo/env-1/telemetry", b"3") is None and p.stats.rejected["not_object"] == 3
    )


def test_partly_bad_message_keeps_the_valid_readings():
    p = _parser()
    m = p.parse("twin/demo/bin-1/telemetry", b'{"fill_pct": 300, "fire": false}')
    assert m == Message("bin-1", NOW, {"fire": False})
    assert p.stats.readings_rejected == {"out_of_range": 1}


def test_device_events():
    p = _parser()
    e = p.parse(
        "twin/demo/cam-1/event",
        b'{"type": "face_match", "severity": "minor", "data": {"who": "x"}}',
    )
    assert e == ExternalEvent("cam-1", NOW, "face_match", "minor", {"who": "x"})


def test_hostile_payloads_nobody_planned_for():
    """Recursion bombs, numbers with hundreds of digits, absurd timestamps, NaN: rejected and
    counted, never an exception."""
    p = _parser()
    t = "twin/demo/env-1/telemetry"
    assert p.parse(t, b"[" * 30_000 + b"]" * 30_000) is None  # under 64 KB: parsed, too deep
    assert p.parse(t, b'{"pm25": ' + b"9" * 400 + b"}") is None
    assert p.parse(t, b'{"pm25": NaN}') is None
    assert p.parse(t, b'{"pm25": 1e999}') is None
    assert p.parse(t, b'{"pm25": 5, "ts": ' + b"9" * 400 + b"}") is None
    assert p.parse(t, b'{"pm25": 5, "ts": "99999-01-01T00:00:00"}') is None
    assert p.parse(t, b'{"pm25": 5, "ts": true}') is None
    assert p.parse("twin/demo/cam-1/event", b'{"type": "x", "data": [1]}') is None
    assert dict(p.stats.rejected) == {
        "too_deep": 1,
        "no_valid_reading": 3,
        "bad_timestamp": 3,
        "bad_event": 1,
    }
    assert p.parse(t, b'{"pm25": 5}') == Message("env-1", NOW, {"pm25": 5.0})


def test_event_fields_are_cleaned_and_limits_are_told():
    """Control and bidi characters never reach the log or the screen; a type over 128
    characters is refused, not cut; an event may carry its own id; deep data is fine."""
    p = _parser()
    deep = "[" * 900 + "]" * 900
    e = p.parse(
        "twin/demo/cam-1/event",
        (
            '{"type": "door\\u202e_forced\\u0000", "id": 17, '
            '"data": {"message": "gate\\u2066 3\\u001b[0m",'
            ' "nested": ' + deep + "}}"
        ).encode(),
    )
    assert (e.type, e.source_id, e.data["message"]) == ("door_forced", "17", "gate 3[0m")
    assert (
        p.parse("twin/demo/cam-1/event", json.dumps({"type": "t" * 128}).encode()).type == "t" * 128
    )
    assert p.parse("twin/demo/cam-1/event", json.dumps({"type": "t" * 129}).encode()) is None
    assert p.parse("twin/demo/cam-1/event", json.dumps({"type": "x", "id": True}).encode()) is None
    assert p.parse("twin/demo/env-1/telemetry", b"{}") is None
    assert p.parse("twin/demo//telemetry", b'{"pm25": 1}') is None
    assert dict(p.stats.rejected) == {"bad_event": 2, "no_valid_reading": 1, "bad_topic": 1}


def test_log_lines_escape_what_could_hide_text():
    from twin.core.safetext import escaped

    assert escaped("evil\u202egnp.exe\x00\n") == "evil\\u202egnp.exe\\x00\\n"
    assert escaped(b"\xff\xfeab") == "\\xff\\xfeab"
    assert escaped("值班 ok") == "值班 ok"


def test_personal_data_in_device_events_is_masked_or_dropped():
    p = Parser({"cam-1": "camera"}, "twin/demo", lambda: NOW)
    e = p.parse(
        "twin/demo/cam-1/event",
        json.dumps(
            {
                "type": "watchlist_match",
                "data": {
                    "message": "match at the east gate",
                    "name": "王秀英",
                    "plate": "粤B12345",
                    "face_url": "http://ai/faces/991.jpg",
                    "detail": {"身份证号": "440300199001011234", "score": 0.93},
                },
            },
            ensure_ascii=False,
        ),
    )
    assert isinstance(e, ExternalEvent)
    text = json.dumps(e.data, ensure_ascii=False)
    for clear in ("王秀英", "粤B12345", "faces/991", "440300199001011234"):
        assert clear not in text
    assert e.data["name"] == "王**" and e.data["plate"] == "粤B***5"
    assert e.data["message"] == "match at the east gate" and e.data["detail"]["score"] == 0.93
