"""Devices named by kind and place: car park, building (name, address), road and the nearest
road meeting it, "by" a building, or the id when the data names nothing near; on a crafted
street and on the demo's real OSM names; in the alarm rows, the inspector's words, the search.
"""

from __future__ import annotations

import pytest

from tests.helpers_gis import feature, metres_to_lonlat, rect_lonlat, write_geojson
from twin.scene.entities import Place
from twin.usecases.scene import open_scene
from twin.usecases.search import search_devices

LON0, LAT0 = 24.9600, 60.1800


def _ll(dx: float, dy: float) -> list[float]:
    return list(metres_to_lonlat(LON0, LAT0, dx, dy))


@pytest.fixture(scope="module")
def street(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("places")
    gis = write_geojson(
        tmp / "town.geojson",
        [
            feature("LineString", [_ll(0, 0), _ll(200, 0)], highway="residential", name="Main St"),
            feature(
                "LineString", [_ll(200, 0), _ll(400, 0)], highway="residential", name="Main St"
            ),
            feature("LineString", [_ll(150, -100), _ll(150, 100)], highway="service", name="Lane"),
            feature("LineString", [_ll(0, 300), _ll(100, 300)], highway="service"),  # no name
            feature(
                "Polygon",
                [rect_lonlat(LON0, LAT0, 40, 10, 20, 15)],
                building="yes",
                name="Town Hall",
                **{"addr:street": "Main St", "addr:housenumber": "4"},
            ),
            feature(
                "Polygon",
                [rect_lonlat(LON0, LAT0, 300, 60, 30, 20)],
                building="yes",
                **{"addr:street": "Main St", "addr:housenumber": "12"},
            ),
            feature("Polygon", [rect_lonlat(LON0, LAT0, 100, 40, 30, 20)], building="yes"),
            feature(
                "Polygon",
                [rect_lonlat(LON0, LAT0, 200, -80, 40, 30)],
                amenity="parking",
                name="Station",
            ),
        ],
    )
    rows = ["id,kind,lon,lat"]
    for did, kind, x, y in (
        ("smoke-1", "smoke_detector", 50, 17),  # in the Town Hall
        ("meter-12", "meter", 315, 70),  # in Main St 12 (no name)
        ("pole-1", "pole", 140, -6),  # on Main St, 10 m from Lane
        ("pole-2", "pole", 380, -6),  # on Main St, 230 m from Lane
        ("space-1", "parking_space", 220, -60),  # in the car park
        ("pole-3", "pole", 150, -60),  # on Lane, in the car park but no parking kind
        ("bin-1", "trash_bin", 100, 90),  # 30 m from an unnamed building, 50 m from Lane
        ("bin-2", "trash_bin", 50, 60),  # 35 m north of the Town Hall, 60 m from Main St
        ("bin-3", "trash_bin", 50, 290),  # by an unnamed road only
    ):
        lon, lat = _ll(x, y)
        rows.append(f"{did},{kind},{lon},{lat}")
    (tmp / "devices.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    scene = tmp / "town.toml"
    scene.write_text(
        f'name = "Town"\n[[sources]]\npath = "{gis.as_posix()}"\n'
        f'[[devices]]\npath = "{(tmp / "devices.csv").as_posix()}"\n',
        encoding="utf-8",
    )
    return open_scene(scene)


def test_places_of_a_crafted_street(street):
    by = {d.id: d for d in street.devices}
    assert by["smoke-1"].place == Place(building="Town Hall", address="Main St 4")
    assert by["smoke-1"].where() == "Town Hall, Main St 4"
    assert by["meter-12"].where() == "Main St 12"
    assert by["pole-1"].place == Place(road="Main St", near="Lane")
    assert by["pole-1"].where() == "Main St near Lane"
    assert by["pole-1"].where("zh") == "Main St（近 Lane）"
    assert by["pole-2"].place == Place(road="Main St")  # Lane meets it 230 m away: too far
    assert by["space-1"].where() == "car park Station"
    assert by["space-1"].where("zh") == "Station停车场"
    assert by["pole-3"].place == Place(road="Lane", near="Main St")
    assert by["bin-2"].where() == "by Town Hall, Main St 4"
    assert by["bin-1"].place is None and by["bin-3"].place is None
    # what an operator reads: kind and place, or kind and id
    assert by["pole-1"].label("Smart pole") == "Smart pole · Main St near Lane"
    assert by["bin-3"].label("Smart trash bin") == "Smart trash bin bin-3"
    assert by["pole-1"].as_dict()["place"] == "Main St near Lane"


def test_search_finds_devices_by_place(street):
    hits = [d.id for d in search_devices(street, "town hall", 10)]
    assert hits[:2] == ["smoke-1", "bin-2"] or set(hits[:2]) == {"smoke-1", "bin-2"}
    assert search_devices(street, "pole-1", 1)[0].id == "pole-1"  # the id still wins
    # a place as the Chinese wall's completion words it
    assert search_devices(street, "Main St（近 Lane）", 1)[0].id == "pole-1"


@pytest.mark.slow
def test_the_demo_names_its_devices_by_place(demo_scene):
    devs = demo_scene.devices
    placed = [d for d in devs if d.place is not None]
    assert len(placed) >= 0.9 * len(devs)
    by = {d.id: d for d in devs}
    # a camera in the railway station (its OSM name and address)
    assert by["osm-n330714995"].where() == "Helsingin päärautatieasema, Kaivokatu 1"
    # a pole on Aleksanterinkatu, next to Sofiankatu
    assert by["osm-n1691951128"].where() == "Aleksanterinkatu near Sofiankatu"
