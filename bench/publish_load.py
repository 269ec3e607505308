"""A load generator for bench_live.py: publishes telemetry for a list of devices at a fixed
rate with ``ts`` = send time (ms), from its own process (so it does not share the GIL with the
twin), and writes the last readings it sent per device to a JSON file.

Usage: python publish_load.py PORT PREFIX DEVICES.json RATE SECONDS LAST.json
"""

from __future__ import annotations

import json
import sys
import time

import paho.mqtt.client as mqtt


def main() -> None:
    port, prefix, devices_file, rate, seconds, last_file = sys.argv[1:7]
    devices = json.loads(open(devices_file).read())  # [[id, {reading: value}], ...]
    rate_f, seconds_f = float(rate), float(seconds)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", int(port))
    c.loop_start()
    topics = [f"{prefix}/{d}/telemetry" for d, _ in devices]
    # the bodies are encoded once: 7 variants per device (values move, so every message changes
    # the state), each ending in the send time; the generator spends its core on publishing
    variants: list[list[tuple[dict, bytes]]] = []
    for _device_id, readings in devices:
        row = []
        for k in range(7):
            body = dict(readings)
            for key, v in readings.items():
                if isinstance(v, float):
                    body[key] = round(v * (1 - k * 0.01), 3)
            text = json.dumps(dict(body, ts=0))
            row.append((body, text[: text.rindex("0}")].encode()))
        variants.append(row)
    last: dict[str, dict] = {}
    sent = 0
    t0 = time.monotonic()
    n = len(devices)
    while True:
        elapsed = time.monotonic() - t0
        if elapsed >= seconds_f:
            break
        due = int(rate_f * elapsed) - sent
        now_ms = b"%d}" % int(time.time() * 1000)
        for _ in range(due):
            i = sent % n
            body, head = variants[i][sent // n % 7]
            last[devices[i][0]] = body
            c.publish(topics[i], head + now_ms)
            sent += 1
        time.sleep(0.002)
    time.sleep(0.5)
    c.disconnect()
    c.loop_stop()
    with open(last_file, "w") as fh:
        json.dump({"sent": sent, "seconds": time.monotonic() - t0, "last": last}, fh)


if __name__ == "__main__":
    main()
