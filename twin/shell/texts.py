"""Every text the shell shows, in English and Chinese. ``tr(lang, key)`` picks one; a key
missing here is a bug the tests catch (every key has both languages)."""

from __future__ import annotations

from twin.scene.views import REGISTRY

__all__ = ["TEXTS", "tr"]

TEXTS: dict[str, tuple[str, str]] = {
    # views: their titles come from the registry (twin.scene.views), below
    # top bar
    "air": ("Air", "空气"),
    "online": ("Online", "在线"),
    "open_alarms": ("Open alarms", "未结告警"),
    "no_data": ("no data", "无数据"),
    "live": ("LIVE", "实时"),
    "replaying": ("REPLAY", "回放"),
    "feed_down": ("FEED DOWN", "数据中断"),
    "log_down": ("EVENT LOG DOWN", "事件库故障"),
    "history_down": (
        "Running without reading history ({error}): alarms and the event log work; charts and the "
        "time slider get no new data.",
        "读数历史不可用（{error}）：告警与事件库正常，图表和时间轴暂无新数据。",
    ),
    "log_down_detail": (
        "Event log {path} cannot be written ({error}): {n} alarm change(s) kept in memory, retried "
        "every second.",
        "事件库 {path} 无法写入（{error}）：{n} 条告警变化暂存内存，每秒重试。",
    ),
    # alarm list
    "alarms": ("Alarms", "告警"),
    "col_time": ("Time", "时间"),
    "col_severity": ("Severity", "级别"),
    "col_device": ("Device", "设备"),
    "col_what": ("What", "内容"),
    "col_status": ("Status", "状态"),
    "ack": ("Acknowledge", "确认"),
    "dispatch": ("Dispatch…", "派单…"),
    "close": ("Close…", "关闭…"),
    "fly_to": ("Fly to", "定位"),
    "sound": ("Sound", "声音"),
    "dispatch_to": ("Dispatch to (person or team):", "派给（人员或班组）："),
    "close_note": ("What was done (note):", "处置说明："),
    "note": ("Note:", "备注："),
    "show_closed": ("Show closed", "显示已关闭"),
    "critical": ("critical", "紧急"),
    "major": ("major", "重要"),
    "minor": ("minor", "次要"),
    "info": ("info", "提示"),
    "raised": ("raised", "新告警"),
    "acknowledged": ("acknowledged", "已确认"),
    "dispatched": ("dispatched", "已派单"),
    "closed": ("closed", "已关闭"),
    "cleared": ("cleared", "已恢复"),
    "action_failed": ("Could not do that", "操作未完成"),
    # search, bookmarks, time
    "search": ("Search device id or name…", "搜索设备编号或名称…"),
    "not_found": ("No device matches", "没有匹配的设备"),
    "bookmarks": ("Saved views", "收藏视角"),
    "save_view": ("Save this view…", "保存当前视角…"),
    "view_name": ("Name of the saved view:", "视角名称："),
    "home": ("Whole community", "全景"),
    "time_live": ("Live", "实时"),
    "time_back": ("Replay: {when}", "回放：{when}"),
    "history_none": ("No history yet for replay", "暂无历史数据可回放"),
    # inspector
    "inspector": ("Inspector", "详情"),
    "kind": ("Kind", "类型"),
    "status": ("Status", "状态"),
    "position": ("Position", "位置"),
    "last_seen": ("Last seen", "最后上报"),
    "readings": ("Readings", "读数"),
    "events": ("Events", "事件"),
    "last_24h": ("Last 24 h", "近24小时"),
    "building": ("Building", "建筑"),
    "height": ("Height", "高度"),
    "levels": ("Storeys", "层数"),
    "source": ("Source", "来源"),
    "ifc_element": ("IFC element", "IFC构件"),
    "storey": ("Storey", "楼层"),
    "ifc_class": ("IFC class", "IFC类型"),
    "global_id": ("GlobalId", "GlobalId"),
    "meters": ("Meters", "计量表"),
    "today": ("today", "今日"),
    "this_month": ("this month", "本月"),
    # figures
    "devices_online": ("Devices online", "设备在线率"),
    "alarms_today": ("Alarms today", "今日告警"),
    "open_events": ("Open events", "待处理事件"),
    "mtta": ("Mean time to acknowledge", "平均确认时长"),
    "camera_online": ("Cameras online", "摄像头在线率"),
    "by_theme": ("Devices by theme", "分类设备状态"),
    "alarms_24h": ("Alarms per hour, last 24 h", "近24小时每小时告警数"),
    "linkage": ("Emergency linkage", "应急联动"),
    "linkage_none": ("No fire or smoke alarm", "无火警/烟感告警"),
    "nearest_cameras": ("Nearest cameras", "最近摄像头"),
    "fire_doors": ("Fire doors", "防火门"),
    "door_open": ("OPEN", "未关闭"),
    "door_closed": ("closed", "已关闭"),
    "frusta": ("Camera views", "摄像头视域"),
    "frusta_alarm": ("alarming and selected", "告警与选中"),
    "frusta_all": ("all cameras", "全部摄像头"),
    "gates": ("Entrances", "出入口"),
    "entries": ("entries", "进"),
    "exits": ("exits", "出"),
    "occupancy": ("Occupancy", "车位占用率"),
    "free_spaces": ("Free spaces", "空闲车位"),
    "charger_util": ("Chargers in use", "充电桩使用率"),
    "charger_ratio": ("Chargers / spaces", "充电桩/车位比"),
    "charger_ratio_rule": ("rule ≥ 50 %", "要求 ≥ 50%"),
    "lots": ("Car parks", "停车场"),
    "free": ("free", "空闲"),
    "occupied": ("occupied", "占用"),
    "booked": ("booked", "预约"),
    "unknown": ("unknown", "未知"),
    "idle": ("idle", "空闲"),
    "charging": ("charging", "充电中"),
    "fault": ("fault", "故障"),
    "offline": ("offline", "离线"),
    "nearest_free": ("Click the map: nearest free space", "点击地图：查找最近空闲车位"),
    "nearest_free_at": (
        "Nearest free space: {name}, {dist:.0f} m",
        "最近空闲车位：{name}，{dist:.0f} 米",
    ),
    "nearest_free_none": ("No free space known", "暂无已知空闲车位"),
    "quantity": ("Quantity", "指标"),
    "pm25": ("PM2.5", "PM2.5"),
    "pm10": ("PM10", "PM10"),
    "noise_db": ("Noise", "噪声"),
    "temp_c": ("Temperature", "温度"),
    "humidity_pct": ("Humidity", "湿度"),
    "samples": ("Sensors", "监测点"),
    "mean": ("Mean", "均值"),
    "max": ("Max", "最大"),
    "water_levels": ("Manhole water levels", "井盖水位"),
    "bin_fill": ("Bin fill levels", "垃圾桶满溢"),
    "electricity": ("Electricity", "用电"),
    "water": ("Water", "用水"),
    "gas": ("Gas", "用气"),
    "period": ("Period", "时段"),
    "total": ("Total", "合计"),
    "carbon": ("Carbon (0.5703 kg/kWh)", "碳排放（0.5703 kg/kWh）"),
    "top_consumers": ("Top consumers", "用能排行"),
    "abnormal": ("Abnormal use", "异常用能"),
    "abnormal_none": ("None found", "未发现"),
    "night_flow": ("water all night {rate:.2f} m³/h", "夜间持续用水 {rate:.2f} m³/h"),
    "no_meters": ("No meters in this scene", "此场景没有计量表"),
    # loading, kiosk
    "loading": ("Loading {name}…", "正在加载 {name}…"),
    "load_failed": ("Could not open the scene", "无法打开场景"),
    "kiosk_hint": ("Touch or move to take over", "触摸或移动以接管"),
    "language": ("中文", "English"),
    "font_scale": ("Text size", "字号"),
    "fullscreen": ("Full screen", "全屏"),
    "tour": ("Tour", "巡游"),
    "legend": ("Legend", "图例"),
}


TEXTS.update({v.name: (v.title_en, v.title_zh) for v in REGISTRY.values()})


def tr(lang: str, key: str, **fmt: object) -> str:
    """The text ``key`` in ``lang`` ("zh" or anything else: English), formatted with ``fmt``."""
    en, zh = TEXTS.get(key, (key, key))
    text = zh if lang == "zh" else en
    return text.format(**fmt) if fmt else text
