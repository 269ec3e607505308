"""The built-in simulator: a realistic day of a residential community, deterministic by seed.

Every reading is a pure function of (seed, device id, time): the simulator keeps no state, so
two runs with the same seed produce the same messages, and it can jump to any moment (``twin
render --at``). Each device reports at its kind's heartbeat interval (from the catalogue), at
a phase of its own; in demo mode scripted incidents (a manhole opens, a smoke alarm, a
perimeter intrusion, a charger fault, a PM2.5 episode, a lift fault, tailgating) start every
few minutes of wall time, their devices reporting at once when they start and when they end.
Tailgating: at the incident's start a resident comes in at a gate, an unidentified person
(method ``other``, no token) follows 1.5 s later, and the gate reports a ``tailgating`` event
(major, "two people passed on one credential") on its event topic.

People (:mod:`twin.telemetry.simpeople`, :attr:`Simulator.access`, :meth:`Simulator.events`):
residents commuting, cared-for residents' outings, visitors, deliveries at the gates and
barriers and door sensors, and two scripted incidents of their own in demo mode: a cared-for
resident not seen for longer than their check interval when the run starts (back 6 real
minutes in), a stranger entering twice at night (about 01:10 and 01:35 every night).

What the days look like (see :mod:`twin.telemetry.curves`): parking spaces about nine in ten
taken at night and a third by day; PM2.5 peaks at 08:00 and 19:00; building meters follow load
curves by building use (``use`` column of a device list: residential / commercial / public);
lamps on from dusk to dawn by the sun's elevation at the community; chargers busy in the
evening; bins filling until the 07:00 collection; lifts busy at commuting hours.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from twin.scene.catalogue import CATALOGUE
from twin.scene.entities import Device
from twin.scene.people import Person
from twin.state.access import AccessEvent
from twin.state.store import Message
from twin.telemetry import curves
from twin.telemetry.parse import ExternalEvent
from twin.telemetry.simbase import INCIDENT_EVERY_S, REFERENCE_DAY, REFERENCE_EPOCH, mix64
from twin.telemetry.simbase import mix as _mix
from twin.telemetry.simpeople import AccessSim


@dataclass(frozen=True)
class Incident:
    """A scripted incident: readings forced on devices from ``start`` to ``end`` (sim time)."""

    name: str
    start: float
    end: float
    overrides: dict[str, dict[str, Any]]
    """device id -> readings forced while the incident lasts."""
    events: tuple[AccessEvent | ExternalEvent, ...] = ()
    """Events its devices report (on ``.../event``), with their times."""


SCRIPT = (
    "manhole_open",
    "smoke_alarm",
    "perimeter_intrusion",
    "charger_fault",
    "pm25_episode",
    "lift_fault",
    "tailgating",
)
DURATION_S = {
    "manhole_open": 90.0,
    "smoke_alarm": 60.0,
    "perimeter_intrusion": 45.0,
    "charger_fault": 120.0,
    "pm25_episode": 180.0,
    "lift_fault": 120.0,
    "tailgating": 30.0,
}
TAILGATE_S = 1.5
"""The unidentified second entry follows the resident's by this much."""


class Simulator:
    """Messages of ``devices`` over time.

    Parameters
    ----------
    devices : list of Device
        The scene's devices.
    seed : int
        Same seed, same messages.
    lat, lon : float
        Where the community is (sun, climate).
    tz : tzinfo or None
        The community's time zone (its days); None: the machine's.
    start : float
        Sim time (epoch seconds) at which the run starts; incidents are scheduled from here.
    speed : float
        Sim seconds per wall second (for the incident schedule and the realtime feed).
    incident_every_s : float or None
        Wall seconds between scripted incidents; None or 0: no incidents.
    people : list of Person, optional
        The register in clear: the residents and visitors who pass the gates
        (:class:`~twin.telemetry.simpeople.AccessSim`, :attr:`access`); without one, only
        deliveries, passers-by and the scripted incidents' people.
    """

    def __init__(
        self,
        devices: list[Device],
        seed: int = 1,
        lat: float = 30.0,
        lon: float = 120.0,
        tz: tzinfo | None = None,
        start: float = REFERENCE_EPOCH,
        speed: float = 1.0,
        incident_every_s: float | None = INCIDENT_EVERY_S,
        people: list[Person] | None = None,
    ) -> None:
        self.devices = sorted(devices, key=lambda d: d.id)
        self.seed = int(seed)
        self.lat, self.lon, self.tz = lat, lon, tz
        self.start, self.speed = float(start), float(speed)
        self.period = (incident_every_s or 0.0) * self.speed
        self.keys = [zlib.crc32(d.id.encode()) for d in self.devices]
        self.index = {d.id: i for i, d in enumerate(self.devices)}
        self.heartbeat = [float(CATALOGUE[d.kind].heartbeat_s) for d in self.devices]
        self.phase = [
            _mix(self.seed, k, 1) * hb for k, hb in zip(self.keys, self.heartbeat, strict=True)
        ]
        by_kind: dict[str, list[int]] = {}
        for i, d in enumerate(self.devices):
            by_kind.setdefault(d.kind, []).append(i)
        self.by_kind = by_kind
        self._offsets: dict[int, float] = {}
        self._incidents: dict[int, Incident | None] = {}
        self.access = AccessSim(
            list(people or ()),
            self.devices,
            self.seed,
            tz,
            self.start,
            self.speed,
            incident_every_s,
        )
        """The people at the gates, barriers and door sensors."""

    # -- time ----------------------------------------------------------------------------------
    def local(self, t: float) -> tuple[int, int, float]:
        """(local day number, day of year, hour of day) at epoch ``t``."""
        slot = int(t // 3600)
        off = self._offsets.get(slot)
        if off is None:
            off = datetime.fromtimestamp(
                t, self.tz or datetime.now().astimezone().tzinfo
            ).utcoffset()
            off = off.total_seconds() if off is not None else 0.0
            self._offsets[slot] = off
        lt = t + off
        day = int(lt // 86400)
        doy = int((lt / 86400.0) % 365.25)
        return day, doy, (lt % 86400.0) / 3600.0

    # -- incidents -----------------------------------------------------------------------------
    def incident(self, n: int) -> Incident | None:
        """The ``n``-th scripted incident (n >= 1), or None when there is none to stage."""
        if self.period <= 0 or n < 1:
            return None
        if n in self._incidents:
            return self._incidents[n]
        out = None
        for attempt in range(len(SCRIPT)):
            name = SCRIPT[(n - 1 + attempt) % len(SCRIPT)]
            out = self._stage(name, n, self.start + n * self.period)
            if out is not None:
                break
        self._incidents[n] = out
        return out

    def _pick(self, kind: str, n: int, prefer: str | None = None) -> Device | None:
        idx = self.by_kind.get(kind, [])
        if prefer:
            better = [i for i in idx if self.devices[i].subkind == prefer]
            idx = better or idx
        if not idx:
            return None
        return self.devices[idx[int(_mix(self.seed, n, 77) * len(idx))]]

    def _near(self, kind: str, d: Device, radius: float) -> list[Device]:
        out = [
            self.devices[i]
            for i in self.by_kind.get(kind, [])
            if math.hypot(self.devices[i].x - d.x, self.devices[i].y - d.y) <= radius
        ]
        return sorted(out, key=lambda o: math.hypot(o.x - d.x, o.y - d.y))

    def _stage(self, name: str, n: int, start: float) -> Incident | None:
        end = start + DURATION_S[name] * self.speed
        o: dict[str, dict[str, Any]] = {}
        if name == "manhole_open":
            d = self._pick("manhole", n)
            if d:
                o[d.id] = {"lid_open": True, "tilt_deg": 35.0}
        elif name == "smoke_alarm":
            d = self._pick("smoke_detector", n)
            if d:
                o[d.id] = {"smoke": True}
                for door in self._near("fire_door", d, 60.0)[
                    :1
                ]:  # a door propped open: linkage shows it
                    o[door.id] = {"open": True}
        elif name == "perimeter_intrusion":
            d = self._pick("camera", n, prefer="perimeter")
            if d:
                o[d.id] = {"intrusion": True}
                for fence in self._near("fence_segment", d, 150.0)[:1]:
                    o[fence.id] = {"touch": True}
        elif name == "charger_fault":
            d = self._pick("charger", n)
            if d:
                o[d.id] = {"state": "fault", "power_kw": 0.0}
        elif name == "pm25_episode":
            d = self._pick("env_monitor", n)
            if d:
                # the monitor and the nearest sensors around it (a local episode, a handful of
                # alarms)
                for near in (
                    self._near("env_monitor", d, 300.0)[:3] + self._near("pole", d, 80.0)[:3]
                ):
                    o[near.id] = {
                        "pm25": 95.0 + 40.0 * _mix(self.seed, n, zlib.crc32(near.id.encode()))
                    }
                    o[near.id]["pm10"] = o[near.id]["pm25"] * 1.5
        elif name == "lift_fault":
            d = self._pick("lift", n)
            if d:
                o[d.id] = {"fault": True, "running": False}
        elif name == "tailgating":
            d = self._pick("gate", n)
            if d:
                return Incident(name, start, end, o, self._tailgating(d, n, start))
        return Incident(name, start, end, o) if o else None

    def _tailgating(
        self, gate: Device, n: int, start: float
    ) -> tuple[AccessEvent | ExternalEvent, ...]:
        """A resident comes in at ``gate`` and someone unidentified follows on their credential;
        the gate's own analytics reports it."""
        token, method = self.access.tailgater(n)
        second = round(start + TAILGATE_S, 3)

        def sid(k: int) -> str:
            return (
                f"sim-{mix64(self.seed, zlib.crc32(gate.id.encode()), round(start * 1000), k):016x}"
            )

        return (
            AccessEvent(gate.id, round(start, 3), "in", method, token, source_id=sid(1)),
            AccessEvent(gate.id, second, "in", "other", source_id=sid(2)),
            ExternalEvent(
                gate.id,
                second,
                "tailgating",
                "major",
                {"message": "two people passed on one credential"},
            ),
        )

    def incidents_between(self, t0: float, t1: float) -> list[Incident]:
        """Incidents active at any time in ``(t0, t1]``."""
        if self.period <= 0:
            return []
        longest = max(DURATION_S.values()) * self.speed
        first = max(1, math.floor((t0 - longest - self.start) / self.period))
        last = math.floor((t1 - self.start) / self.period)
        out = []
        for n in range(first, last + 1):
            inc = self.incident(n)
            if inc is not None and inc.start <= t1 and inc.end > t0:
                out.append(inc)
        return out

    # -- events ---------------------------------------------------------------------------------
    def events(self, t0: float, t1: float) -> list[AccessEvent | ExternalEvent]:
        """Every event with a timestamp in ``(t0, t1]``, in time order: the people's access
        events (:attr:`access`) and the events the incidents' devices report (tailgating)."""
        out: list[AccessEvent | ExternalEvent] = list(self.access.events(t0, t1))
        staged = [
            e for inc in self.incidents_between(t0, t1) for e in inc.events if t0 < e.ts <= t1
        ]
        if staged:
            out += staged
            out.sort(key=_event_order)
        return out

    # -- messages ------------------------------------------------------------------------------
    def messages(self, t0: float, t1: float) -> list[Message]:
        """Every message with a timestamp in ``(t0, t1]``, in time order: heartbeat reports,
        and reports at the start and end of incidents."""
        due: list[tuple[float, int]] = []
        for i, (hb, ph) in enumerate(zip(self.heartbeat, self.phase, strict=True)):
            k = math.floor((t0 - ph) / hb) + 1
            t = ph + k * hb
            while t <= t1:
                due.append((t, i))
                t += hb
        incs = self.incidents_between(t0, t1)
        for inc in incs:
            for edge in (inc.start, inc.end):
                if t0 < edge <= t1:
                    due.extend((edge, self.index[d]) for d in inc.overrides)
        due.sort()
        return [Message(self.devices[i].id, t, self.values(i, t, incs)) for t, i in due]

    def snapshot(self, t: float) -> list[Message]:
        """Every device's report at ``t`` (a warm start: the state as if all had just reported)."""
        incs = self.incidents_between(t - 1e-6, t)
        return [Message(d.id, t, self.values(i, t, incs)) for i, d in enumerate(self.devices)]

    def values(self, i: int, t: float, incidents: Iterable[Incident] = ()) -> dict[str, Any]:
        """The readings of device ``i`` at ``t`` (incidents active at ``t`` override them)."""
        d = self.devices[i]
        out = self._normal(i, d, t)
        for inc in incidents:
            if inc.start <= t < inc.end and d.id in inc.overrides:
                out.update(inc.overrides[d.id])
        return out

    def _normal(self, i: int, d: Device, t: float) -> dict[str, Any]:  # noqa: C901 - one branch per kind
        key, s = self.keys[i], self.seed
        day, doy, h = self.local(t)
        slot = int(t // 60)

        def u(*salt: int) -> float:
            return _mix(s, key, *salt)

        def noise(scale: float, *salt: int) -> float:
            return (u(slot, *salt) - 0.5) * 2.0 * scale

        kind = d.kind
        days = (t - REFERENCE_EPOCH) / 86400.0
        if kind == "parking_space":
            return {"occupied": self._occupied(key, day, h), "booked": False}
        if kind == "charger":
            return self._charger(key, day, h, t)
        if kind in ("env_monitor", "pole"):
            temp = curves.air_temperature(self.lat, doy, h) + noise(0.4, 3)
            base = 12.0 + 22.0 * _mix(s, day, 11)  # the day's background, shared by the community
            pm = max(0.0, curves.pm25(h, base) + 4.0 * (u(12) - 0.5) + noise(2.0, 13))
            air = {
                "pm25": round(pm, 1),
                "pm10": round(pm * 1.55 + 6.0 + noise(2.0, 14), 1),
                "temp_c": round(temp, 1),
                "humidity_pct": round(
                    min(
                        98.0,
                        max(
                            15.0,
                            70.0
                            - 2.2 * (temp - curves.air_temperature(self.lat, doy, 6.0))
                            + noise(2.0, 15),
                        ),
                    ),
                    1,
                ),
                "wind_mps": round(
                    max(0.0, 2.5 + 1.5 * math.sin(h / 24 * 2 * math.pi) + noise(1.0, 16)), 1
                ),
            }
            if kind == "env_monitor":
                sun = curves.sun_elevation(self.lat, self.lon, t)
                air["noise_db"] = round(
                    curves.noise_db(h) + 1.5 * (u(17) - 0.5) + noise(1.2, 18), 1
                )
                air["solar_wm2"] = round(max(0.0, 1000.0 * math.sin(math.radians(sun))), 0)
                return air
            on = curves.sun_elevation(self.lat, self.lon, t) < -0.5
            power = (120.0 * (0.6 if 0.0 <= h < 5.0 else 1.0) if on else 8.0) + noise(2.0, 19)
            return {
                "light_on": on,
                "power_w": round(max(0.0, power), 1),
                "wind_mps": air["wind_mps"],
                "wind_dir_deg": round((200.0 + 60.0 * math.sin(days) + noise(20.0, 20)) % 360.0, 0),
                "temp_c": air["temp_c"],
                "humidity_pct": air["humidity_pct"],
                "pressure_hpa": round(1013.0 + 8.0 * math.sin(days / 3.0) + noise(0.5, 21), 1),
                "pm25": air["pm25"],
                "pm10": air["pm10"],
            }
        if kind == "light":
            on = curves.sun_elevation(self.lat, self.lon, t) < 2.0 and (h >= 15.0 or h < 0.5)
            return {"light_on": on, "power_w": 18.0 if on else 0.0}
        if kind == "meter":
            use = str(d.props.get("use") or "residential")
            profile = curves.LOAD_PROFILE.get(use, curves.LOAD_PROFILE["residential"])
            size = 0.5 + u(30)
            peak_kw = {"commercial": 120.0, "public": 80.0}.get(use, 40.0) * size
            whole = day - REFERENCE_DAY  # local days, consistent with the local hour
            cum = lambda prof: whole * sum(prof) + curves.integral(prof, h)  # noqa: E731
            return {
                "kwh": round(1e5 * u(31) + peak_kw * cum(profile), 2),
                "water_m3": round(1e3 * u(32) + 0.4 * size * cum(curves.WATER_PROFILE), 3),
                "gas_m3": round(1e3 * u(33) + 1.2 * size * cum(curves.GAS_PROFILE), 3),
            }
        if kind == "manhole":
            return {
                "lid_open": False,
                "tilt_deg": round(0.5 + 1.5 * u(40), 1),
                "water_level_cm": round(4.0 + 12.0 * u(41) + 3.0 * _mix(s, day, 42), 1),
                "battery_pct": round(max(20.0, 98.0 - 30.0 * u(43) - 0.02 * (days % 1000)), 1),
            }
        if kind == "smoke_detector":
            return {
                "smoke": False,
                "gas": False,
                "battery_pct": round(max(20.0, 100.0 - 40.0 * u(50)), 0),
            }
        if kind == "fire_alarm":
            return {"alarm": False, "fault": False}
        if kind == "fire_door":
            return {"open": False, "fault": False}
        if kind == "hydrant":
            return {
                "pressure_mpa": round(
                    0.32 + 0.06 * u(60) - 0.03 * curves.gauss(h, 19.0, 2.0) + noise(0.005, 61), 3
                ),
                "tamper": False,
            }
        if kind == "trash_bin":
            since = (h - 7.0) % 24.0  # emptied at 07:00
            return {
                "fill_pct": round(min(100.0, 3.0 + (1.5 + 2.3 * u(70)) * since), 1),
                "fire": False,
            }
        if kind == "camera":
            return {"recording": True, "intrusion": False}
        if kind == "fence_segment":
            return {"touch": False, "cut": False, "pulse_kv": round(8.0 + noise(0.4, 80), 2)}
        if kind == "lift":
            running = u(slot, 90) < curves.LIFT_PROFILE[int(h) % 24]
            return {
                "fault": False,
                "running": running,
                "floor": 1 + int(u(slot, 91) * 8) if running else 1,
            }
        if kind in ("gate", "barrier"):
            per_h = 60.0 if kind == "gate" else 25.0
            whole = day - REFERENCE_DAY  # local days, consistent with the local hour
            cum = per_h * (
                whole * sum(curves.TRAFFIC_PROFILE) + curves.integral(curves.TRAFFIC_PROFILE, h)
            )
            out: dict[str, Any] = {
                "entries": int(cum * (0.5 + 0.02 * math.sin(h))),
                "exits": int(cum * 0.5),
            }
            if kind == "barrier":
                out["open"] = u(slot, 92) < 0.1 * curves.TRAFFIC_PROFILE[int(h) % 24]
            return out
        if kind == "electrical_fire_monitor":
            load = curves.LOAD_PROFILE["commercial"][int(h) % 24]
            return {
                "leakage_ma": round(20.0 + 60.0 * u(100) * load + noise(3.0, 101), 1),
                "temp_c": round(28.0 + 15.0 * load + noise(0.5, 102), 1),
            }
        if kind == "water_tank_monitor":
            return {
                "turbidity_ntu": round(0.3 + 0.4 * u(110) + noise(0.05, 111), 2),
                "pressure_mpa": round(0.25 + noise(0.01, 112), 3),
            }
        if kind == "irrigation":
            valve = 5.0 <= h < 5.5 or 19.0 <= h < 19.5
            dry = ((h - 5.5) % 14.0) * 1.5
            return {"soil_moisture_pct": round(max(10.0, 45.0 - dry), 1), "valve_open": valve}
        if kind == "info_display":
            return {"screen_on": 7.0 <= h < 23.0}
        if kind == "thermometer":
            return {"body_temp_c": round(36.5 + noise(0.3, 120), 1)}
        if kind == "patrol_checkpoint":
            return {"visited": u(int(t // 3600), 130) < 0.8}
        return self._generic(d)

    @staticmethod
    def _generic(d: Device) -> dict[str, Any]:
        """Quiet values for a kind the simulator has no curve for (new catalogue kinds)."""
        out: dict[str, Any] = {}
        for r in CATALOGUE[d.kind].readings:
            if r.type == "bool":
                out[r.name] = False
            elif r.type == "enum":
                out[r.name] = r.choices[0]
            else:
                lo = r.low if r.low is not None else 0.0
                v = (lo + r.high) / 2 if r.high is not None else lo
                out[r.name] = int(v) if r.type == "int" else float(v)
        return out

    def _occupied(self, key: int, day: int, h: float) -> bool:
        """A residential space: a tenth free all day (visitors' spaces), a half commuters who leave
        between 06:30 and 09:30 and come back between 17:00 and 20:30, the rest mostly at home
        with short trips by day."""
        s = self.seed
        r = _mix(s, key, day, 200)
        if r < 0.08:
            return False
        if r < 0.58:
            leave = 6.5 + 3.0 * _mix(s, key, day, 201)
            back = 17.0 + 3.5 * _mix(s, key, day, 202)
            return h < leave or h >= back
        if 8.0 <= h < 20.0:
            return _mix(s, key, day, int(h // 2), 203) >= 0.35
        return True

    def _charger(self, key: int, day: int, h: float, t: float) -> dict[str, Any]:
        """Home charging: a 7 kW AC session every evening (starts 17:30-22:00, 3-6 h); a third of
        the chargers are 60 kW DC with short sessions through the day."""
        s = self.seed
        dc = _mix(s, key, 300) < 0.3
        power = 60.0 if dc else 7.0
        length = (0.5 + 0.5 * _mix(s, key, 301)) if dc else (3.0 + 3.0 * _mix(s, key, 302))

        def start(dd: int) -> float:  # hours from this local day's midnight
            lo, span = (8.0, 13.0) if dc else (17.5, 4.5)
            return (dd - day) * 24.0 + lo + span * _mix(s, key, dd, 303)

        def charged(dd: int) -> float:
            return min(max(h - start(dd), 0.0), length)

        now = [dd for dd in (day - 1, day) if 0.0 < h - start(dd) < length]
        lt_days = day - int(REFERENCE_EPOCH // 86400)
        energy = 5000.0 * _mix(s, key, 304) + power * (
            length * max(lt_days - 1, 0) + charged(day - 1) + charged(day)
        )
        if now:
            taper = 1.0 - 0.5 * max(0.0, (h - start(now[0])) / length - 0.8) / 0.2
            return {
                "state": "charging",
                "power_kw": round(power * taper, 2),
                "energy_kwh": round(energy, 2),
            }
        return {"state": "idle", "power_kw": 0.0, "energy_kwh": round(energy, 2)}


def _event_order(e: AccessEvent | ExternalEvent) -> tuple[float, str, bool, str]:
    return e.ts, e.device_id, isinstance(e, ExternalEvent), e.source_id or ""
