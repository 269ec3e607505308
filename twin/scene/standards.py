"""The standards' limits the twin grades and alarms by, defined once: the rules
(``twin/state/rules.toml``, as ``limit = "<name>"``) and the environment view's grading
(``twin.analysis.environment``) both read them from here."""

from __future__ import annotations

LIMITS: dict[str, float] = {
    # GB 3095-2012 ambient air quality, 24-hour means, ug/m3
    "gb3095_pm25_grade1": 35.0,
    "gb3095_pm25_grade2": 75.0,
    "gb3095_pm10_grade1": 50.0,
    "gb3095_pm10_grade2": 150.0,
    # GB 3096-2008 environmental noise, dB(A); day is 06:00-22:00
    "gb3096_class1_day": 55.0,
    "gb3096_class1_night": 45.0,
    "gb3096_class4a_day": 70.0,
    "gb3096_class4a_night": 55.0,
}
"""Limit name -> value (units as the reading's in the catalogue)."""
