"""The device catalogue: every device kind of the domain brief that has a place in the scene.

Each kind has its display names (Chinese and English), its 3D model in ``models/``, where it is
mounted, the readings and statuses it reports, its heartbeat (three missed heartbeats mean
offline) and its deployment rule. Adding a device kind means one entry here and one model file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUSES = ("online", "offline", "fault", "alarm", "unknown")
"""A device's status (``twin.state.store`` derives it; its precedence is defined there)."""
UP_STATUSES = frozenset({"online", "fault", "alarm"})
"""Statuses of a device that reports (an alarming or faulty device is up)."""
ONLINE_RATE_TARGET = 0.95
"""The share of reporting devices that should be up; the wall shows a lower rate as a warning."""


def online_rate_ok(up: int, reporting: int) -> bool:
    """Whether ``up`` of ``reporting`` devices meets :data:`ONLINE_RATE_TARGET` (none
    reporting is not ok: nothing is known)."""
    return reporting > 0 and up / reporting >= ONLINE_RATE_TARGET


def spacing_m(kind: str) -> float:
    """The deployment spacing of ``kind`` along roads, from its rule parameters: ``spacing_m``,
    or the middle of ``spacing_min_m`` - ``spacing_max_m``."""
    p = CATALOGUE[kind].rule_params
    if "spacing_m" in p:
        return float(p["spacing_m"])
    return (float(p["spacing_min_m"]) + float(p["spacing_max_m"])) / 2


@dataclass(frozen=True)
class Reading:
    """One reading a device kind reports: name, unit, type and its physically possible range."""

    name: str
    unit: str
    type: str = "float"  # float / int / bool / enum
    low: float | None = None
    """Smallest physically possible value (lower ones are rejected, not clamped)."""
    high: float | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeviceKind:
    """A device kind of the catalogue: names, model, mounting, readings, heartbeat, deployment
    rule."""

    kind: str
    name_en: str
    name_zh: str
    group: str  # security / municipal / property
    model: str  # file name in models/
    mount_height: float  # metres above ground of the device's working part
    colour: str  # kind colour (hex), used until live state colours devices
    readings: tuple[Reading, ...]
    heartbeat_s: int
    rule: str
    rule_params: dict[str, float] = field(default_factory=dict)
    subkinds: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Sub-kind -> (English name, Chinese name)."""
    statuses: tuple[str, ...] = STATUSES
    aliases: tuple[str, ...] = ()
    """Other names accepted in device lists (English and Chinese)."""
    anchor: str = "ground"
    """Where the model's origin goes: ``ground`` (its foot) or ``mount`` (at mount height)."""

    def display_name(self, lang: str = "en") -> str:
        """The kind's name in ``lang`` (Chinese for ``zh*``)."""
        return self.name_zh if lang.startswith("zh") else self.name_en


def _b(name: str) -> Reading:
    return Reading(name, "", "bool")


def _f(name: str, unit: str, low: float | None = None, high: float | None = None) -> Reading:
    return Reading(name, unit, "float", low, high)


_WEATHER = (
    _f("wind_mps", "m/s", 0, 100),
    _f("wind_dir_deg", "deg", 0, 360),
    _f("temp_c", "degC", -60, 70),
    _f("humidity_pct", "%", 0, 100),
    _f("pressure_hpa", "hPa", 800, 1100),
    _f("pm25", "ug/m3", 0, 2000),
    _f("pm10", "ug/m3", 0, 3000),
)

_KINDS: tuple[DeviceKind, ...] = (
    # Security and fire
    DeviceKind(
        "camera",
        "Camera",
        "摄像头",
        "security",
        "camera.ply",
        6.0,
        "#4fc3f7",
        (_b("recording"), _b("intrusion")),
        60,
        "HD cameras cover important roads continuously; an AI camera at every entrance sees "
        "vehicles' fronts; one panorama camera on the tallest roof; perimeter AI cameras along "
        "an open community's perimeter without occlusion.",
        {
            # DORI levels by index (twin.scene.standards.DORI_LEVELS: 1 detection, 2
            # observation, 3 recognition, 4 identification)
            "road_level": 2,  # important roads continuously at observation or better
            "entrance_level": 3,  # an entrance's AI camera recognises faces and plates
            "perimeter_level": 1,  # perimeter cameras detect whoever crosses
            "gap_report_m": 10,  # uncovered stretches longer than this break "continuously"
            "front_view_deg": 45,  # sees vehicles' fronts: looks against the travel within this
            "entrance_reach_m": 3,  # an entrance is seen where a camera sees within this of it
        },
        subkinds={
            "hd": ("HD camera", "高清摄像头"),
            "ai": ("AI camera", "AI摄像头"),
            "perimeter": ("Perimeter AI camera", "周界AI摄像头"),
            "panorama": ("High-altitude panorama camera", "高空瞭望摄像头"),
        },
        aliases=("cctv", "surveillance", "监控", "摄像机", "高清摄像头", "ai摄像头", "摄像头"),
        anchor="mount",
    ),
    DeviceKind(
        "fence_segment",
        "Electronic fence segment",
        "电子围栏",
        "security",
        "fence_segment.ply",
        1.8,
        "#ba68c8",
        (_b("touch"), _b("cut"), _f("pulse_kv", "kV", 0, 20)),
        60,
        "Continuous along a closed community's perimeter.",
        # a segment device stands for one alarm zone of fence: it guards the boundary for
        # half a zone either side of it, when it stands within reach of the boundary
        {"zone_m": 50, "reach_m": 10},
        aliases=("fence", "围栏"),
    ),
    DeviceKind(
        "patrol_checkpoint",
        "Patrol checkpoint",
        "电子巡更点",
        "security",
        "patrol_checkpoint.ply",
        1.4,
        "#9575cd",
        (_b("visited"),),
        3600,
        "Tags at the checkpoints of each patrol route.",
        aliases=("巡更点", "巡更"),
    ),
    DeviceKind(
        "fire_door",
        "Fire door monitor",
        "防火门监控",
        "security",
        "fire_door.ply",
        2.1,
        "#ff7043",
        (_b("open"), _b("fault")),
        300,
        "One on each fire door; the door closes within 30 s of a fire alarm.",
        {"asset_reach_m": 2},  # a monitor this near a BIM fire door is its own
        aliases=("防火门",),
    ),
    DeviceKind(
        "smoke_detector",
        "Smart smoke detector",
        "智能烟感",
        "security",
        "smoke_detector.ply",
        2.8,
        "#e0e0e0",
        (_b("smoke"), _b("gas"), _f("battery_pct", "%", 0, 100)),
        3600,
        "One per indoor public area, on the ceiling 50 cm from the corner.",
        aliases=("smoke", "烟感", "烟雾探测器"),
        anchor="mount",
    ),
    DeviceKind(
        "fire_alarm",
        "Fire alarm (call point / sounder)",
        "火灾报警装置",
        "security",
        "fire_alarm.ply",
        1.4,
        "#ef5350",
        (_b("alarm"), _b("fault")),
        3600,
        "On every escape route and at exits, per the building's fire design (from IFC IfcAlarm).",
        aliases=("fire_alarm_point", "manual_call_point", "手动报警按钮", "声光报警器", "火灾报警"),
        anchor="mount",
    ),
    DeviceKind(
        "hydrant",
        "Hydrant monitor",
        "智能消防栓",
        "security",
        "hydrant.ply",
        0.8,
        "#f06292",
        (_f("pressure_mpa", "MPa", 0, 5), _b("tamper")),
        3600,
        "One on each hydrant, behind it, below the outlet.",
        {"asset_reach_m": 3},  # a monitor this near a BIM hydrant is its own
        aliases=("fire_hydrant", "消防栓"),
    ),
    DeviceKind(
        "electrical_fire_monitor",
        "Electrical fire monitor",
        "用电监测",
        "security",
        "electrical_fire_monitor.ply",
        1.5,
        "#ffab40",
        (_f("leakage_ma", "mA", 0, 10000), _f("temp_c", "degC", -40, 200)),
        300,
        "One in each building unit's distribution box.",
        aliases=("电气火灾监测",),
    ),
    # Municipal
    DeviceKind(
        "pole",
        "Smart pole",
        "智慧杆",
        "municipal",
        "pole.ply",
        8.0,
        "#ffd54f",
        (_b("light_on"), _f("power_w", "W", 0, 5000), *_WEATHER),
        300,
        "Along main roads, 30-50 m apart.",
        # road_reach_m: a pole this near a main road's centreline stands along it
        {"spacing_min_m": 30, "spacing_max_m": 50, "road_reach_m": 15},
        aliases=("street_lamp", "lamp", "smart_pole", "路灯", "灯杆", "智慧灯杆"),
    ),
    DeviceKind(
        "light",
        "Public light fixture",
        "公共照明灯具",
        "municipal",
        "light.ply",
        2.8,
        "#fff59d",
        (_b("light_on"), _f("power_w", "W", 0, 5000)),
        300,
        "Public lighting under the lighting control's day / night modes (from IFC light fixtures).",
        aliases=("light_fixture", "lamp_fixture", "灯具", "照明"),
        anchor="mount",
    ),
    DeviceKind(
        "manhole",
        "Smart manhole cover",
        "智能井盖",
        "municipal",
        "manhole.ply",
        0.0,
        "#ff8a65",
        (
            _b("lid_open"),
            _f("tilt_deg", "deg", 0, 180),
            _f("water_level_cm", "cm", 0, 1000),
            _f("battery_pct", "%", 0, 100),
        ),
        3600,
        "Every cover on main roads is a smart one.",
        {"road_reach_m": 10},  # a cover this near a main road's centreline is on it
        aliases=("manhole_cover", "井盖"),
    ),
    DeviceKind(
        "meter",
        "Water / power / gas meter",
        "三表合一",
        "municipal",
        "meter.ply",
        1.2,
        "#aed581",
        (_f("kwh", "kWh", 0, None), _f("water_m3", "m3", 0, None), _f("gas_m3", "m3", 0, None)),
        900,
        "One set per household, shop and property office.",
        aliases=("三表", "电表", "水表"),
    ),
    DeviceKind(
        "trash_bin",
        "Smart trash bin",
        "智能垃圾桶",
        "municipal",
        "trash_bin.ply",
        0.0,
        "#81c784",
        (_f("fill_pct", "%", 0, 100), _b("fire")),
        900,
        "Along main roads and at junctions, one per 100 m.",
        {"spacing_m": 100},
        aliases=("waste_basket", "bin", "垃圾桶"),
    ),
    DeviceKind(
        "env_monitor",
        "Environment monitor",
        "环境监测",
        "municipal",
        "env_monitor.ply",
        3.0,
        "#f5f5f5",
        (
            _f("pm25", "ug/m3", 0, 2000),
            _f("pm10", "ug/m3", 0, 3000),
            _f("noise_db", "dB(A)", 0, 150),
            _f("temp_c", "degC", -60, 70),
            _f("humidity_pct", "%", 0, 100),
            _f("wind_mps", "m/s", 0, 100),
            _f("solar_wm2", "W/m2", 0, 2000),
        ),
        60,
        "Along main roads (the brief gives no spacing; we lay one per 250 m of main road).",
        {"spacing_m": 250},
        aliases=("environment_monitor", "环境监测站", "环境监测"),
    ),
    DeviceKind(
        "water_tank_monitor",
        "Water tank monitor",
        "水箱监测",
        "municipal",
        "water_tank_monitor.ply",
        1.0,
        "#64b5f6",
        (_f("turbidity_ntu", "NTU", 0, 1000), _f("pressure_mpa", "MPa", 0, 5)),
        300,
        "One on each water tank (optional).",
        aliases=("水箱",),
    ),
    DeviceKind(
        "irrigation",
        "Smart irrigation outlet",
        "智能灌溉",
        "municipal",
        "irrigation.ply",
        0.3,
        "#9ccc65",
        (_f("soil_moisture_pct", "%", 0, 100), _b("valve_open")),
        900,
        "An outlet every 30-50 m in main green areas (optional).",
        {"spacing_min_m": 30, "spacing_max_m": 50},
        aliases=("灌溉",),
    ),
    # Property management
    DeviceKind(
        "info_display",
        "Information display",
        "信息发布屏",
        "property",
        "info_display.ply",
        2.5,
        "#7986cb",
        (_b("screen_on"),),
        300,
        "One per main entrance (>= 3 m2 full-colour LED).",
        {"per_entrance": 1, "reach_m": 50},  # serves the main entrance it stands this near
        aliases=("display", "信息屏", "信息发布屏"),
    ),
    DeviceKind(
        "gate",
        "Pedestrian gate",
        "智能闸机",
        "property",
        "gate.ply",
        1.0,
        "#90a4ae",
        (Reading("entries", "", "int", 0), Reading("exits", "", "int", 0)),
        60,
        "One at the community's main pedestrian entrance.",
        aliases=("闸机", "人行闸机"),
    ),
    DeviceKind(
        "door_sensor",
        "Door sensor",
        "门磁",
        "property",
        "door_sensor.ply",
        2.0,
        "#80cbc4",
        (_b("open"), _b("tamper"), _f("battery_pct", "%", 0, 100)),
        3600,
        "On the door of a household that opted in to care checks (elderly living alone).",
        aliases=("门磁", "门磁传感器", "door_contact"),
    ),
    DeviceKind(
        "thermometer",
        "Entrance thermometer",
        "测温门",
        "property",
        "thermometer.ply",
        1.6,
        "#b0bec5",
        (_f("body_temp_c", "degC", 25, 45),),
        60,
        "One at the community's main entrance.",
        aliases=("测温",),
    ),
    DeviceKind(
        "barrier",
        "Vehicle barrier",
        "车辆道闸",
        "property",
        "barrier.ply",
        1.0,
        "#a1887f",
        (Reading("entries", "", "int", 0), Reading("exits", "", "int", 0), _b("open")),
        60,
        "One per community and car-park vehicle entrance.",
        {"per_entrance": 1, "reach_m": 30},
        aliases=("道闸", "boom_barrier"),
    ),
    DeviceKind(
        "parking_space",
        "Parking-space sensor",
        "车位",
        "property",
        "parking_space.ply",
        0.0,
        "#5c6bc0",
        (_b("occupied"), _b("booked")),
        600,
        "One per shared parking space.",
        aliases=("parking", "车位", "停车位"),
    ),
    DeviceKind(
        "charger",
        "EV charger",
        "充电桩",
        "property",
        "charger.ply",
        1.5,
        "#b388ff",
        (
            Reading("state", "", "enum", choices=("idle", "charging", "fault", "offline")),
            _f("power_kw", "kW", 0, 400),
            _f("energy_kwh", "kWh", 0, None),
        ),
        30,
        "At least 50 % of parking spaces have a charger.",
        {"ratio_min": 0.5},
        aliases=("charging_station", "ev_charger", "充电桩"),
    ),
    DeviceKind(
        "lift",
        "Lift monitor",
        "电梯监测",
        "property",
        "lift.ply",
        0.0,
        "#ce93d8",
        (_b("fault"), _b("running"), Reading("floor", "", "int")),
        60,
        "One per lift; no duplicate alarms; the alarm clears itself when the fault ends.",
        {"asset_reach_m": 5},  # a monitor this near a BIM lift is its own
        aliases=("elevator", "电梯"),
    ),
)

CAMERA_DEFAULTS: dict[str, dict[str, float]] = {
    "hd": {"fov": 90.0, "tilt": 15.0, "mount_height": 6.0, "width_px": 1920, "height_px": 1080},
    "ai": {"fov": 60.0, "tilt": 20.0, "mount_height": 4.5, "width_px": 1920, "height_px": 1080},
    "perimeter": {
        "fov": 60.0,
        "tilt": 10.0,
        "mount_height": 5.0,
        "width_px": 2688,
        "height_px": 1520,
    },
    "panorama": {
        "fov": 360.0,
        "tilt": 30.0,
        "mount_height": 6.0,
        "width_px": 2560,
        "height_px": 1440,
    },
}
"""Field of view (horizontal, degrees), tilt below horizontal, mount height and resolution of
each camera sub-kind when the data does not say. Resolutions are the catalogue's performance
floors: HD cameras at least 1920x1080, perimeter AI cameras over 4 MP (2688x1520), the
high-altitude panorama camera at least 2560x1440; the brief gives AI cameras no figure, so they
get the HD floor."""

CAMERA_SENSOR_WIDTH_MM = 5.6
"""Sensor width used to turn a lens focal length into a field of view when a device list gives
``lens`` (mm) but no ``fov``: a 1/2.8" sensor, the common size of 2-4 MP security cameras
(HFOV = 2 atan(w / 2f): a 2.8 mm lens sees 90 deg, a 4 mm lens 70 deg)."""

MEGAPIXEL_RESOLUTIONS: dict[str, tuple[int, int]] = {
    "1mp": (1280, 720),
    "1.3mp": (1280, 960),
    "2mp": (1920, 1080),
    "3mp": (2048, 1536),
    "4mp": (2688, 1520),
    "5mp": (2592, 1944),
    "6mp": (3072, 2048),
    "8mp": (3840, 2160),
    "12mp": (4000, 3000),
}
"""A camera resolution given as megapixels (``4MP``) -> the usual sensor's width x height."""

MAX_MOUNT_HEIGHT = 150.0
"""Device mount heights above this are data errors (clamped with a warning)."""

CATALOGUE: dict[str, DeviceKind] = {k.kind: k for k in _KINDS}

_ALIASES: dict[str, str] = {}
for _k in _KINDS:
    _ALIASES[_k.kind] = _k.kind
    _ALIASES[_k.name_en.lower()] = _k.kind
    _ALIASES[_k.name_zh] = _k.kind
    for _a in _k.aliases:
        _ALIASES[_a.lower()] = _k.kind


def device_kind(kind: str) -> DeviceKind:
    """The catalogue entry of ``kind`` (a kind name as the CLI prints it)."""
    return CATALOGUE[kind]


def resolve_kind(name: str) -> str | None:
    """The kind a device list means by ``name`` (kind name, English or Chinese alias)."""
    key = str(name).strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(key) or _ALIASES.get(str(name).strip())
