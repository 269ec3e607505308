"""The views (the overview, the situational views and the planners' view): one entry per
view, the one place that says what a view is.

A view has one name in each language (the shell's buttons, the tour captions, ``twin record``
and ``twin render --view`` all show these), the device kinds it shows and what its panel
reports. Its render layers (``twin.render.viewlayers``) and its panel
(``twin/shell/panels/<name>.py``) are found by its name. Adding a view is one entry here, one
panel module and, if it draws more than device kinds, a layer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class View:
    """One situational view: its name, titles, the device kinds it shows, what its panel reports."""

    name: str
    title_en: str
    title_zh: str
    kinds: frozenset[str] | None
    """Device kinds shown (None: every kind)."""
    figures: tuple[str, ...]
    """What the panel reports, for the README and the tour."""
    in_tours: bool = True
    """Shown by the default tour (the planning view is a planner's desk, not a wall show)."""

    def title(self, lang: str) -> str:
        """The view's title in ``lang`` (Chinese for ``zh*``)."""
        return self.title_zh if lang.startswith("zh") else self.title_en


REGISTRY: dict[str, View] = {
    v.name: v
    for v in (
        View(
            "overview",
            "Overview",
            "综合态势",
            None,
            (
                "devices online",
                "open events",
                "alarms today",
                "devices by theme",
                "alarms per hour",
            ),
        ),
        View(
            "security",
            "Security",
            "安防",
            frozenset(
                {
                    "camera",
                    "fence_segment",
                    "patrol_checkpoint",
                    "fire_door",
                    "smoke_detector",
                    "fire_alarm",
                    "hydrant",
                    "electrical_fire_monitor",
                    "gate",
                    "barrier",
                    "thermometer",
                }
            ),
            (
                "camera online rate",
                "security alarms today",
                "open events",
                "mean time to acknowledge",
                "emergency linkage",
                "entrances",
            ),
        ),
        View(
            "parking",
            "Parking",
            "停车",
            frozenset({"parking_space", "charger", "barrier", "info_display"}),
            (
                "occupancy",
                "free spaces",
                "charger utilisation",
                "chargers per space",
                "nearest free space",
            ),
        ),
        View(
            "environment",
            "Environment",
            "环境",
            frozenset(
                {"env_monitor", "pole", "manhole", "trash_bin", "irrigation", "water_tank_monitor"}
            ),
            ("PM2.5 / PM10 / noise against the standards", "surface", "bins", "manholes"),
        ),
        View(
            "energy",
            "Energy",
            "能源",
            frozenset({"meter", "light", "pole", "charger", "electrical_fire_monitor"}),
            ("consumption today", "night flow", "carbon", "buildings by consumption"),
        ),
        View(
            "personnel",
            "Personnel",
            "人员",
            frozenset({"gate", "barrier", "door_sensor", "thermometer"}),
            (
                "entries and exits per entrance per hour",
                "people in / out",
                "visitors on site and overstaying",
                "care checks due and overdue",
                "strangers at night",
            ),
        ),
        View(
            "planning",
            "Planning",
            "规划",
            frozenset({"camera", "pole"}),
            ("road coverage %", "entrances seen", "rules passing", "blind spots"),
            in_tours=False,
        ),
    )
}
"""View name -> view, in the order the shell shows them."""

VIEWS = tuple(REGISTRY)
"""The view names, in order."""
TOUR_VIEWS = tuple(v.name for v in REGISTRY.values() if v.in_tours)
"""The views the default tour shows, in order (the situational views and the overview)."""
