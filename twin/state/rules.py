"""The rules engine: which conditions hold, raised once and cleared when they end.

Rules are data (``rules.toml`` beside this module): a reading compared with a value, or a
derived status, per device kind, with optional day / night windows (GB 3096: day is
06:00-22:00 local time), a fire context (fire doors matter during a fire alarm) and a clear
threshold against flapping.
"""

from __future__ import annotations

import operator
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from twin.core.errors import InputError
from twin.scene.catalogue import CATALOGUE
from twin.scene.standards import LIMITS
from twin.state.eventschema import SEVERITIES
from twin.state.store import DeviceState, StateStore

OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
FIRE_RULES = frozenset({"smoke", "fire_alarm", "bin_fire"})
"""Rules whose active conditions mean "a fire": the context of ``requires = "fire"`` rules."""
DAY_START, DAY_END = 6, 22


@dataclass(frozen=True)
class Rule:
    """An alarm rule (from ``rules.toml``): which kinds, which reading or status, threshold,
    clear, severity."""

    id: str
    kinds: tuple[str, ...]
    severity: str
    message_en: str
    message_zh: str
    reading: str | None = None
    op: str = "=="
    value: Any = None
    clear: Any = None
    status: str | None = None
    when: str | None = None
    requires: str | None = None
    fault: bool = False

    @property
    def makes_fault(self) -> bool:
        """Whether an active condition makes its device ``fault`` (else ``alarm``)."""
        return self.fault or self.severity == "minor"

    def holds(self, st: DeviceState, active: bool, fire: bool, hour: int) -> bool:
        """Whether the condition holds for ``st``; ``active`` tells whether it held before
        (then it ends only past ``clear``)."""
        if self.requires == "fire" and not fire:
            return False
        if self.when == "day" and not (DAY_START <= hour < DAY_END):
            return False
        if self.when == "night" and DAY_START <= hour < DAY_END:
            return False
        if self.status is not None:
            return st.status == self.status
        if self.reading not in st.readings:
            return False
        v = st.readings[self.reading]
        threshold = self.clear if active and self.clear is not None else self.value
        try:
            return bool(OPS[self.op](v, threshold))
        except TypeError:
            return False


def load_rules(path: str | Path | None = None) -> list[Rule]:
    """Rules from ``path`` (default: the built-in ``rules.toml``), checked against the catalogue."""
    where = str(path) if path else "built-in rules.toml"
    text = (
        Path(path).read_text(encoding="utf-8")
        if path
        else (resources.files("twin.state") / "rules.toml").read_text(encoding="utf-8")
    )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(where, f"is not valid TOML ({exc}).") from None
    rules = []
    seen = set()
    for i, r in enumerate(data.get("rule", [])):
        rid = str(r.get("id", f"rule {i}"))
        if rid in seen:
            raise InputError(
                where, f"rule id {rid!r} appears twice.", "Give every rule its own id."
            )
        seen.add(rid)
        kinds = tuple(r.get("kinds") or ())
        bad = [k for k in kinds if k not in CATALOGUE]
        if not kinds or bad:
            raise InputError(
                where,
                f"rule {rid!r}: unknown device kinds {bad or '(none)'}.",
                f"Kinds: {', '.join(CATALOGUE)}.",
            )
        if r.get("severity") not in SEVERITIES:
            raise InputError(
                where, f"rule {rid!r}: severity must be one of {', '.join(SEVERITIES)}."
            )
        reading, status = r.get("reading"), r.get("status")
        if (reading is None) == (status is None):
            raise InputError(
                where, f"rule {rid!r} needs either a reading (with op and value) or a status."
            )
        if reading is not None:
            missing = [k for k in kinds if reading not in {x.name for x in CATALOGUE[k].readings}]
            if missing or r.get("op") not in OPS:
                raise InputError(
                    where,
                    f"rule {rid!r}: reading {reading!r} or op {r.get('op')!r} does not fit "
                    f"{', '.join(missing) or 'the rule'}.",
                    f"Ops: {' '.join(OPS)}.",
                )
        if r.get("when") not in (None, "day", "night") or r.get("requires") not in (None, "fire"):
            raise InputError(
                where, f"rule {rid!r}: when must be day or night, requires must be fire."
            )
        value = r.get("value")
        if "limit" in r:  # a standard's limit, defined once in twin.scene.standards
            if value is not None or r["limit"] not in LIMITS:
                raise InputError(
                    where,
                    f"rule {rid!r}: limit {r['limit']!r} is not a known standard's limit "
                    "(or the rule gives a value too).",
                    f"Limits: {', '.join(LIMITS)}.",
                )
            value = LIMITS[r["limit"]]
        rules.append(
            Rule(
                rid,
                kinds,
                r["severity"],
                str(r.get("message_en", rid)),
                str(r.get("message_zh", rid)),
                reading,
                r.get("op", "=="),
                value,
                r.get("clear"),
                status,
                r.get("when"),
                r.get("requires"),
                bool(r.get("fault", False)),
            )
        )
    return rules


@dataclass(frozen=True)
class Change:
    """A condition that started (``raised``) or ended (``cleared``) on a device."""

    device_id: str
    kind: str
    rule: Rule
    raised: bool
    at: float
    value: Any


class RuleEngine:
    """Evaluates rules on the devices that changed; keeps one active condition per
    (device, rule): what is active is raised once and cleared once. It reads the store's
    states and returns transitions; the store applies them (``StateStore.apply_changes``) and
    owns the statuses."""

    def __init__(
        self,
        rules: list[Rule],
        store: StateStore,
        active: Iterable[tuple[str, str]] = (),
        local_hour: Callable[[float], int] | None = None,
    ) -> None:
        self.rules = {r.id: r for r in rules}
        self.store = store
        self.by_kind: dict[str, list[Rule]] = {}
        for r in rules:
            for k in r.kinds:
                self.by_kind.setdefault(k, []).append(r)
        self.active: set[tuple[str, str]] = {
            a for a in active if a[1] in self.rules and a[0] in store
        }
        self.local_hour = local_hour or (lambda ts: time.localtime(ts).tm_hour)
        self._fires = sum(1 for _, rule_id in self.active if rule_id in FIRE_RULES)
        """Active fire conditions, counted as they change (asked once per evaluation)."""

    def held(self) -> list[Change]:
        """The active conditions as raises (what a restarted store must hold again)."""
        return [
            Change(d, self.store.states[d].kind, self.rules[r], True, 0.0, None)
            for d, r in sorted(self.active)
        ]

    @property
    def fire(self) -> bool:
        """Whether a fire or smoke condition is active anywhere (fire doors then matter)."""
        return self._fires > 0

    def evaluate(self, ids: Iterable[str], now: float) -> list[Change]:
        """Conditions that started or ended on ``ids`` (call after applying a batch)."""
        fire_before = self.fire
        changes = self._evaluate(ids, now)
        if self.fire != fire_before:  # the fire context changed: fire doors everywhere matter
            doors = [
                d
                for d, st in self.store.states.items()
                if any(r.requires for r in self.by_kind.get(st.kind, []))
            ]
            changes += self._evaluate(doors, now)
        return changes

    def late(self, st: DeviceState, readings: dict[str, Any], ts: float) -> list[Change]:
        """Conditions a message older than the state's readings held, that a newer reading
        already ended: raised at the message's time and cleared at the newer reading's. (A
        message that came late - from another worker, or a session taken over - must not
        lose the lid that opened and closed meanwhile.) Nothing for a condition active now."""
        out = []
        fire, hour = self.fire, self.local_hour(ts)
        for rule in self.by_kind.get(st.kind, ()):
            name = rule.reading
            if name is None or name not in readings or (st.device_id, rule.id) in self.active:
                continue
            newer = st.reading_ts.get(name)
            if newer is None or ts >= newer:
                continue
            then = DeviceState(
                st.device_id, st.kind, st.heartbeat_s, readings={name: readings[name]}
            )
            if rule.holds(then, False, fire, hour):
                out.append(Change(st.device_id, st.kind, rule, True, ts, readings[name]))
                out.append(Change(st.device_id, st.kind, rule, False, newer, st.readings.get(name)))
        return out

    def _evaluate(self, ids: Iterable[str], now: float) -> list[Change]:
        changes = []
        fire = self.fire
        hour = self.local_hour(now)
        for device_id in ids:
            st = self.store.states.get(device_id)
            if st is None:
                continue
            for rule in self.by_kind.get(st.kind, ()):
                key = (device_id, rule.id)
                was = key in self.active
                now_holds = rule.holds(st, was, fire, hour)
                if now_holds == was:
                    continue
                (self.active.add if now_holds else self.active.discard)(key)
                if rule.id in FIRE_RULES:
                    self._fires += 1 if now_holds else -1
                # the time of the reading that started or ended the condition (device time),
                # else now (status rules, day / night and fire context changes)
                at = st.reading_ts.get(rule.reading, now) if rule.reading else now
                at = at if now - 60.0 <= at <= now else now
                changes.append(
                    Change(
                        device_id,
                        st.kind,
                        rule,
                        now_holds,
                        at,
                        st.readings.get(rule.reading) if rule.reading else st.status,
                    )
                )
        return changes
