"""Daily curves of a residential community, for the simulator: sun, weather, air, load.

Everything is a pure function of local time (hours since local midnight, day of year) and
position, so the simulator is deterministic and can jump to any moment.
"""

from __future__ import annotations

import math

# Hourly electricity load profiles (fraction of the day's peak), by building use: residential
# peaks at breakfast and in the evening; commercial and public buildings follow opening hours.
LOAD_PROFILE = {
    "residential": (
        0.35,
        0.30,
        0.28,
        0.27,
        0.28,
        0.35,
        0.55,
        0.75,
        0.65,
        0.50,
        0.45,
        0.48,
        0.52,
        0.48,
        0.45,
        0.48,
        0.60,
        0.80,
        0.95,
        1.00,
        0.95,
        0.85,
        0.65,
        0.45,
    ),
    "commercial": (
        0.20,
        0.18,
        0.18,
        0.18,
        0.18,
        0.20,
        0.30,
        0.50,
        0.80,
        0.95,
        1.00,
        1.00,
        1.00,
        1.00,
        1.00,
        0.98,
        0.95,
        0.92,
        0.85,
        0.75,
        0.60,
        0.40,
        0.28,
        0.22,
    ),
    "public": (
        0.15,
        0.15,
        0.15,
        0.15,
        0.15,
        0.18,
        0.30,
        0.60,
        0.90,
        1.00,
        1.00,
        0.98,
        0.95,
        0.98,
        1.00,
        0.98,
        0.90,
        0.70,
        0.50,
        0.40,
        0.30,
        0.22,
        0.18,
        0.15,
    ),
}
WATER_PROFILE = (
    0.10,
    0.06,
    0.05,
    0.05,
    0.08,
    0.25,
    0.80,
    1.00,
    0.70,
    0.45,
    0.40,
    0.50,
    0.55,
    0.40,
    0.35,
    0.35,
    0.45,
    0.65,
    0.85,
    0.90,
    0.80,
    0.60,
    0.35,
    0.18,
)
GAS_PROFILE = (
    0.20,
    0.20,
    0.20,
    0.20,
    0.25,
    0.40,
    0.85,
    0.90,
    0.60,
    0.40,
    0.40,
    0.70,
    0.80,
    0.45,
    0.35,
    0.35,
    0.45,
    0.85,
    1.00,
    0.80,
    0.50,
    0.35,
    0.25,
    0.20,
)
LIFT_PROFILE = (
    0.02,
    0.01,
    0.01,
    0.01,
    0.02,
    0.08,
    0.35,
    0.70,
    0.60,
    0.35,
    0.30,
    0.35,
    0.45,
    0.35,
    0.30,
    0.30,
    0.40,
    0.65,
    0.70,
    0.55,
    0.40,
    0.25,
    0.12,
    0.05,
)
TRAFFIC_PROFILE = LIFT_PROFILE
"""Gate and barrier passages per hour follow the same commuting rhythm as lifts."""


def integral(profile: tuple[float, ...], hour: float) -> float:
    """Integral of an hourly profile from midnight to ``hour`` (0-24), in profile-hours."""
    whole = int(hour)
    return sum(profile[:whole]) + (profile[whole % 24] * (hour - whole) if whole < 24 else 0.0)


def gauss(x: float, mu: float, sigma: float) -> float:
    return math.exp(-0.5 * ((x - mu) / sigma) ** 2)


def sun_elevation(lat: float, lon: float, epoch: float) -> float:
    """Solar elevation angle in degrees (NOAA's approximation, about 0.5 degrees): lamps go on
    at dusk and off at dawn wherever the community is, at any time of year."""
    day = epoch / 86400.0
    doy = day % 365.25
    gamma = 2 * math.pi / 365.0 * (doy - 1 + ((epoch % 86400.0) / 3600.0 - 12) / 24)
    decl = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    utc_min = (epoch % 86400.0) / 60.0
    tst = utc_min + eqtime + 4.0 * lon
    ha = math.radians(tst / 4.0 - 180.0)
    la = math.radians(lat)
    cos_zen = math.sin(la) * math.sin(decl) + math.cos(la) * math.cos(decl) * math.cos(ha)
    return 90.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zen))))


def air_temperature(lat: float, doy: int, hour: float) -> float:
    """Air temperature, deg C: an annual cycle (colder and wider away from the equator) and a
    daily one (coolest before dawn, warmest mid-afternoon)."""
    north = 1.0 if lat >= 0 else -1.0
    mean = 27.0 - 0.45 * abs(lat)
    swing = 0.28 * abs(lat)
    annual = mean - swing * math.cos(2 * math.pi * (doy - 20) / 365.0) * north
    return annual + 4.5 * math.cos(2 * math.pi * (hour - 15.0) / 24.0)


def pm25(hour: float, day_base: float) -> float:
    """Urban PM2.5, ug/m3: a day's background with morning (08:00) and evening (19:00) traffic
    and heating peaks."""
    return day_base + 22.0 * gauss(hour, 8.0, 1.3) + 18.0 * gauss(hour, 19.0, 1.6)


def noise_db(hour: float) -> float:
    """Residential road-side noise, dB(A): about 49 by day with rush-hour bumps, 38 at night
    (below GB 3096's class-1 limits of 55 / 45)."""
    day = 1.0 / (1.0 + math.exp(-(hour - 6.5) * 2.0)) - 1.0 / (1.0 + math.exp(-(hour - 22.0) * 2.0))
    return 38.0 + 10.0 * day + 3.0 * gauss(hour, 8.0, 1.0) + 2.5 * gauss(hour, 18.0, 1.2)
