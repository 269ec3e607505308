"""`twin report` on the demo in Chinese and English: the files it writes, the HTML's rule titles
and figures against audit_scene's own, its embedded images, the PDF's pages rendered by
pypdfium2 (not blank; Chinese in the zh PDF's text layer), coverage.gpkg read back with pyogrio;
bad input as one line; and the report's pieces on plain data (both languages of every text,
the notes' translations, the scale bar, places shared among their kinds, bundled credits)."""

from __future__ import annotations

import base64
import html
import io
import re
import string
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyogrio
import pypdfium2 as pdfium
import pytest
from PIL import Image

from tests.conftest import DEMO
from tests.helpers_gis import assert_one_line_error, run_twin, run_twin_all
from twin.core.paths import ASSETS_DIR
from twin.report.maps import nice_length
from twin.report.sections import first_places
from twin.report.tables import bundled_credits, mount_of
from twin.report.texts import TEXTS, place_note, rule_summary

FOUR = ("report.html", "report.pdf", "coverage.gpkg", "suggestions.csv")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's report in Chinese (5 suggestions) and English (none asked for), made by the
    CLI side by side."""
    base = tmp_path_factory.mktemp("report")
    procs = run_twin_all(
        ["report", DEMO, "--out", base / "zh", "--lang", "zh"],
        ["report", DEMO, "--out", base / "en", "--lang", "en", "--cameras", "0"],
    )
    for p in procs:
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("Wrote "), p.stdout
    return base


@pytest.fixture(scope="module")
def audit():
    from twin.usecases.planning import audit_scene
    from twin.usecases.scene import open_scene

    return audit_scene(open_scene(DEMO))


def _colours(img: Image.Image | np.ndarray) -> set[int]:
    """The distinct colours of an image, each as 0xRRGGBB."""
    px = np.asarray(img.convert("RGB") if isinstance(img, Image.Image) else img)
    px = px.reshape(-1, 3).astype(np.uint32)
    return set(np.unique(px[:, 0] << 16 | px[:, 1] << 8 | px[:, 2]).tolist())


def _text(path: Path) -> str:
    """The HTML's text, tags out and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


@pytest.mark.slow
def test_the_cli_writes_the_report_files(reports: Path) -> None:
    for name in FOUR:
        assert (reports / "zh" / name).stat().st_size > 0, name
    rows = (reports / "zh" / "suggestions.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 1 + 5  # header and the five cameras asked for by default
    assert rows[0].startswith("id,kind,subkind,name,lon,lat")
    # --cameras 0: no device list, and the report says none was asked for
    assert not (reports / "en" / "suggestions.csv").exists()
    assert "No suggestions were asked for" in _text(reports / "en" / "report.html")
    for name in FOUR[:3]:
        assert (reports / "en" / name).stat().st_size > 0, name


@pytest.mark.slow
def test_the_html_has_the_audits_rules_and_figures(reports: Path, audit) -> None:
    en, zh = _text(reports / "en" / "report.html"), _text(reports / "zh" / "report.html")
    for r in audit.rules:
        assert r.title_en in en, r.title_en
        assert r.title_zh in zh, r.title_zh
        assert r.summary in en, r.summary  # the audit's own line, its figures in it
        assert rule_summary(r, "zh") in zh
        for p in r.places[:1]:  # the largest failing place, where it is
            where = f"{p.lat:.6f}, {p.lon:.6f}"
            assert where in en and where in zh, (r.key, where)
    f = {r.key: r.figures for r in audit.rules}
    assert f"{f['road_coverage']['covered_pct']:.1f}%" in zh
    assert f"{f['road_coverage']['covered_pct']:.1f} % of 5.32 km" in en  # key figures
    assert f"智慧杆 {f['pole_spacing']['poles']} 根" in zh
    assert f"{f['entrance_ai']['entrances']} 个出入口中 {f['entrance_ai']['seen']} 个" in zh
    assert (
        f"充电桩 {f['charger_ratio']['chargers']} 个 / 车位 {f['charger_ratio']['spaces']} 个" in zh
    )
    # long lists are cut with the count of the rest
    poles = next(r for r in audit.rules if r.key == "pole_spacing")
    assert f"and {len(poles.places) - 6} more" in en
    assert f"另有 {len(poles.places) - 6} 处" in zh
    # the roads' table adds up to the audit's important road length
    total = f["road_coverage"]["important_road_m"] / 1000
    assert f"{total:.2f} km of important roads" in en
    # every entrance has its row with its verdict
    for e in audit.entrances:
        assert e["id"] in en
    assert en.count("not seen") == sum(not e["ok"] for e in audit.entrances)
    # the synthetic-only pass is marked, and the data's attribution is there
    if any(r.needs_synthetic for r in audit.rules):
        assert "passes only with invented devices" in en
        assert "仅因补全的虚拟设备而通过" in zh
    assert "Map data (c) OpenStreetMap contributors, ODbL 1.0" in en
    assert "地图数据 (c) OpenStreetMap 贡献者, ODbL 1.0" in zh
    assert "Karlsruhe Institute of Technology" in en and "buildingSMART" in en
    assert "Europe/Helsinki" in en and "community-twin " in en


@pytest.mark.slow
def test_the_html_is_self_contained_and_its_images_decode(reports: Path) -> None:
    doc = (reports / "zh" / "report.html").read_text(encoding="utf-8")
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", doc)
    assert refs and all(r.startswith("data:") for r in refs), [r[:40] for r in refs]
    assert "url(" not in doc and "@import" not in doc and "<script" not in doc
    images = re.findall(r'src="data:(image/(?:png|jpeg));base64,([^"]+)"', doc)
    assert [m for m, _ in images] == ["image/jpeg", "image/png"]  # the 3D view, the map
    for mime, data in images:
        img = Image.open(io.BytesIO(base64.b64decode(data)))
        img.load()
        assert img.format == mime.split("/")[1].upper()
        assert img.width >= 1000 and img.height >= 500
        assert len(_colours(img)) > 8  # a picture, not a flat fill
    # the map shows the DORI palette's colours and the buildings' grey
    from twin.report.maps import BUILDING, LEVEL_COLOURS, _rgb

    have = _colours(Image.open(io.BytesIO(base64.b64decode(images[1][1]))))
    for colour in (BUILDING, *LEVEL_COLOURS[:3]):
        r, g, b = _rgb(colour)
        assert (r << 16 | g << 8 | b) in have, colour


@pytest.mark.slow
def test_the_pdf_pages_are_drawn_and_the_chinese_is_text(reports: Path) -> None:
    for lang in ("zh", "en"):
        pdf = pdfium.PdfDocument(reports / lang / "report.pdf")
        assert len(pdf) >= 3
        text = ""
        for i, page in enumerate(pdf):
            w, h = page.get_size()
            assert abs(w - 595) < 2 and abs(h - 842) < 2  # A4 in points
            img = np.asarray(page.render(scale=0.5).to_pil().convert("RGB"))
            inked = float((img.min(axis=2) < 235).mean())
            colours = len(_colours(img))
            assert inked > 0.01 and colours > 40, (lang, i, inked, colours)
            text += page.get_textpage().get_text_range() + "\n"
        if lang == "zh":
            for words in (
                "部署规范审查",
                "重要道路高清摄像头连续覆盖",
                "出入口",
                "数据来源与版权声明",
            ):
                assert words in text, words
            assert re.search(r"第 \d+ 页 / 共 \d+ 页", text)
        else:
            assert "Deployment rules" in text and "Data sources and attribution" in text


@pytest.mark.slow
def test_the_coverage_geopackage_opens(reports: Path, audit) -> None:
    path = reports / "zh" / "coverage.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(path)}
    for name in ("cameras", "footprints", "blind_spots", "uncovered_roads", "entrances"):
        assert name in layers and f"{name}_wgs84" in layers
    cams = pyogrio.read_dataframe(path, layer="cameras_wgs84")
    assert len(cams) == len(audit.layout.cameras)
    assert cams.crs.to_epsg() == 4326


def test_an_unwritable_out_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "taken.txt"
    blocker.write_text("a file where the directory should go\n")
    for out in (blocker, blocker / "sub"):
        proc = run_twin("report", DEMO, "--out", out)
        assert_one_line_error(proc, str(out))
    assert blocker.read_text().startswith("a file")


def test_bad_options_are_one_line(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert_one_line_error(run_twin("report", DEMO, "--out", out, "--lang", "fr"), "--lang")
    assert_one_line_error(run_twin("report", DEMO, "--out", out, "--cameras", "-1"), "--cameras")
    assert_one_line_error(run_twin("report", DEMO, "--out", out, "--cell", "50"), "--cell")
    assert not out.exists()  # nothing made before the options are checked


def test_every_text_is_in_both_languages_with_the_same_fields() -> None:
    fields = string.Formatter()
    for key, texts in TEXTS.items():
        assert set(texts) == {"en", "zh"}, key
        assert texts["zh"] or key == "page_end", key
        en = {f for _, f, _, _ in fields.parse(texts["en"]) if f}
        zh = {f for _, f, _, _ in fields.parse(texts["zh"]) if f}
        assert en == zh, (key, en, zh)


def test_the_audits_notes_in_chinese() -> None:
    assert place_note("120 m without a smart pole", "zh") == "120 米无智慧杆"
    assert place_note("142 m below observation", "zh") == "142 米未达观察级"
    assert place_note("1834 m without perimeter cameras at detection", "zh") == (
        "1834 米无周界摄像头 (探测)"
    )
    assert place_note(
        "both: cam-1 (observation), cam-2 (detection); needs recognition from the front", "zh"
    ) == ("人车: cam-1 (观察), cam-2 (探测); 需正面达到识别级")
    assert place_note("something new", "zh") == "something new"  # unknown wording kept
    assert place_note("120 m without a smart pole", "en") == "120 m without a smart pole"
    r = SimpleNamespace(rule=3, status="pass", summary="x", places=[], figures={"spaces": 0})
    assert rule_summary(r, "zh") == "社区内没有车位数据"
    r.figures = {"spaces": 4}  # a figure missing: the audit's own line
    assert rule_summary(r, "zh") == "x"


def test_the_pieces_of_the_tables() -> None:
    assert [nice_length(x) for x in (0.7, 1, 140, 260, 999, 1200)] == [0.5, 1, 100, 200, 500, 1000]
    places = [SimpleNamespace(what="a", n=i) for i in range(5)] + [
        SimpleNamespace(what="b", n=i) for i in range(3)
    ]
    got = first_places(places, 4)
    assert [(p.what, p.n) for p in got] == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    assert len(first_places(places[:2], 6)) == 2
    assert mount_of("cand-pole-osm-n12-h090", "en") == "smart pole osm-n12"
    assert mount_of("cand-facade-7-h135", "zh") == "建筑立面"
    credit, lines = bundled_credits(ASSETS_DIR / "ifc" / "duplex.ifc")
    assert credit and "CC BY 4.0" in credit and any("buildingSMART" in x for x in lines)
    assert (
        "perimeter cameras, gates, barriers"
        in bundled_credits(ASSETS_DIR / "devices" / "demo_devices.csv")[0]
    )  # the note's continuation lines too
    assert bundled_credits(Path("/elsewhere/duplex.ifc")) == (None, [])
