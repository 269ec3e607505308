"""OpenStreetMap files of the classes that used to cost a whole file or vanish without a word:
a multipolygon whose ring does not close, ways cut at the extract's edge, negative (JOSM) ids,
a PBF not sorted by id, and compressed copies (.osm.bz2, .osm.gz)."""

from __future__ import annotations

import bz2
import gzip
import random
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.helpers_gis import metres_to_lonlat

LON0, LAT0 = 114.0579, 22.5431  # Shenzhen: UTM 50N


def _tags(tags: dict[str, str] | None) -> str:
    return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in (tags or {}).items())


def _node(nid: int, dx: float, dy: float, tags: dict[str, str] | None = None) -> str:
    lon, lat = metres_to_lonlat(LON0, LAT0, dx, dy)
    body = _tags(tags)
    return (
        f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}">{body}</node>'
        if body
        else f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"/>'
    )


def _way(wid: int, refs: list[int], tags: dict[str, str] | None = None) -> str:
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    return f'<way id="{wid}">{nds}{_tags(tags)}</way>'


def _relation(rid: int, members: list[tuple[str, int, str]], tags: dict[str, str]) -> str:
    mem = "".join(f'<member type="{t}" ref="{r}" role="{role}"/>' for t, r, role in members)
    return f'<relation id="{rid}">{mem}{_tags(tags)}</relation>'


# what the twin must make of each tagged object of cut_extract(): drawn, or the words its warning
# has
EXPECTED = {
    "way/100": "drawn",
    "way/104": "drawn",  # a primary road running past the edge: drawn up to it
    "way/108": "drawn",  # a lawn running past the edge: drawn up to it
    "way/109": "outside the extract",  # a building with only two of its corners inside
    "node/7": "drawn",  # street lamp -> pole
    "node/8": "drawn",  # camera
    "relation/500": "do not close",
    "relation/501": "nodes outside the extract",
    "relation/502": "not in the extract",
    "way/103": "drawn",  # a building with a corner outside: drawn from the three inside
    "way/105": "only 1 of its 2 nodes",
    "way/106": "tunnel",
    "way/107": "not a closed ring",
    "node/9": "no kind the scene draws",
    "relation/600": "a group of other features",
}


def cut_extract_xml(neg: bool = False) -> str:
    """An extract cut at a bounding box, hand-edited, with one of every such defect. With
    ``neg`` the ids are negative, as JOSM writes for objects not yet uploaded."""
    s = -1 if neg else 1
    parts = [
        # a good building (way 100)
        _node(s * 1, 0, 0),
        _node(s * 2, 20, 0),
        _node(s * 3, 20, 15),
        _node(s * 4, 0, 15),
        # the unclosed outer ring of relation 500
        _node(s * 11, 40, 0),
        _node(s * 12, 60, 0),
        _node(s * 13, 60, 20),
        # a building with a node outside the extract (way 103 refers to node 24, absent)
        _node(s * 21, 80, 0),
        _node(s * 22, 95, 0),
        _node(s * 23, 95, 12),
        # roads: 104 keeps two of three nodes, 105 one of two
        _node(s * 31, -50, -30),
        _node(s * 32, 150, -30),
        _node(s * 41, -50, -60),
        # tunnel footway, and an unclosed building outline
        _node(s * 51, 0, -80),
        _node(s * 52, 100, -80),
        _node(s * 61, 0, 40),
        _node(s * 62, 10, 40),
        _node(s * 63, 10, 50),
        # a lawn whose fourth corner is outside the extract
        _node(s * 71, -60, 0),
        _node(s * 72, -30, 0),
        _node(s * 73, -30, 30),
        _node(s * 7, 10, -25, {"highway": "street_lamp", "height": "9"}),
        _node(
            s * 8,
            30,
            -25,
            {"man_made": "surveillance", "surveillance:type": "camera", "camera:direction": "180"},
        ),
        _node(s * 9, 50, -25, {"amenity": "bench"}),
        _way(
            s * 100,
            [s * 1, s * 2, s * 3, s * 4, s * 1],
            {"building": "apartments", "building:levels": "6", "name": "Block A"},
        ),
        _way(s * 101, [s * 11, s * 12, s * 13]),
        _way(s * 102, [s * 901, s * 902, s * 903, s * 901]),
        _way(s * 103, [s * 21, s * 22, s * 23, s * 24, s * 21], {"building": "yes"}),
        _way(s * 104, [s * 31, s * 32, s * 33], {"highway": "primary", "name": "Shennan Road"}),
        _way(s * 105, [s * 41, s * 42], {"highway": "residential"}),
        _way(s * 106, [s * 51, s * 52], {"highway": "footway", "tunnel": "yes"}),
        _way(s * 107, [s * 61, s * 62, s * 63], {"building": "yes"}),
        _way(s * 108, [s * 71, s * 72, s * 73, s * 74, s * 71], {"landuse": "grass"}),
        _way(s * 109, [s * 21, s * 22, s * 25, s * 26, s * 21], {"building": "yes"}),
        _relation(
            s * 500, [("way", s * 101, "outer")], {"type": "multipolygon", "building": "yes"}
        ),
        _relation(
            s * 501, [("way", s * 102, "outer")], {"type": "multipolygon", "landuse": "grass"}
        ),
        _relation(
            s * 502, [("way", s * 777, "outer")], {"type": "multipolygon", "natural": "water"}
        ),
        _relation(
            s * 600, [("way", s * 104, ""), ("way", s * 105, "")], {"type": "route", "route": "bus"}
        ),
    ]
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"twin tests\">\n  "
        + "\n  ".join(parts)
        + "\n</osm>\n"
    )


def write_cut_extract(path: Path, neg: bool = False) -> Path:
    text = cut_extract_xml(neg)
    if path.name.endswith(".bz2"):
        path.write_bytes(bz2.compress(text.encode()))
    elif path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def tagged_ids(xml_text: str) -> dict[str, dict[str, str]]:
    """Independent count: every element with tags, by a plain XML walk."""
    out = {}
    for el in ET.fromstring(xml_text):
        tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
        if tags:
            out[f"{el.tag}/{el.get('id')}"] = tags
    return out


def write_pbf(xml_path: Path, out: Path, shuffle: bool) -> Path:
    """The same data as PBF, written by pyosmium; ``shuffle`` writes each type in random id
    order."""
    import osmium
    from osmium.osm.mutable import Node, Relation, Way

    nodes, ways, rels = [], [], []
    for o in osmium.FileProcessor(str(xml_path)):
        tags = {t.k: t.v for t in o.tags}
        if o.is_node():
            nodes.append(
                Node(id=o.id, location=(o.location.lon, o.location.lat), tags=tags, version=1)
            )
        elif o.is_way():
            ways.append(Way(id=o.id, nodes=[n.ref for n in o.nodes], tags=tags, version=1))
        elif o.is_relation():
            rels.append(
                Relation(
                    id=o.id,
                    members=[(m.type, m.ref, m.role) for m in o.members],
                    tags=tags,
                    version=1,
                )
            )
    rng = random.Random(7)
    w = osmium.SimpleWriter(str(out), overwrite=True)
    for group in (nodes, ways, rels):
        for x in rng.sample(group, len(group)) if shuffle else group:
            getattr(w, f"add_{type(x).__name__.lower()}")(x)
    w.close()
    return out
