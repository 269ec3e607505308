"""The views' panels, one module per view (the registry of views is ``twin.scene.views``)."""

from __future__ import annotations

from twin.scene.views import VIEWS
from twin.shell.panels.base import ViewPanel
from twin.shell.panels.energy import EnergyPanel
from twin.shell.panels.environment import EnvironmentPanel
from twin.shell.panels.overview import OverviewPanel
from twin.shell.panels.parking import ParkingPanel
from twin.shell.panels.personnel import PersonnelPanel
from twin.shell.panels.planning import PlanningPanel
from twin.shell.panels.security import SecurityPanel

PANELS: dict[str, type[ViewPanel]] = {
    "overview": OverviewPanel,
    "security": SecurityPanel,
    "parking": ParkingPanel,
    "environment": EnvironmentPanel,
    "energy": EnergyPanel,
    "personnel": PersonnelPanel,
    "planning": PlanningPanel,
}
"""View name -> its panel class."""
assert tuple(PANELS) == VIEWS, "every view of the registry has its panel, in the registry's order"
