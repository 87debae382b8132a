"""Desa/kecamatan matching from chat text and the nearest office."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from knowledge_base.catalogue import load_catalogue
from knowledge_base.offices import load_offices
from knowledge_base.places import DATA, haversine_km, load_gazetteer, locate, nearest_offices
from mpp.cli import app
from mpp.settings import Settings

PLACES = yaml.safe_load(DATA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def directory():  # type: ignore[no-untyped-def]
    return load_offices(load_catalogue(Settings().catalogue_dir))


def test_all_237_desa_and_20_kecamatan_are_found_by_name() -> None:
    gaz = load_gazetteer()
    assert len(PLACES["desa"]) == 237 and len(PLACES["kecamatan"]) == 20
    for d in PLACES["desa"]:
        hit = gaz.find(f"saya tinggal di desa {d['name'].lower()}")
        assert hit is not None and hit.name.lower() == d["name"].lower(), d["name"]
        same_name = {x["kecamatan"] for x in PLACES["desa"] if x["name"] == d["name"]}
        assert hit.kecamatan in same_name | {hit.name}
    for k in PLACES["kecamatan"]:
        hit = gaz.find(f"kec. {k['name']}")
        assert hit is not None and (hit.kind, hit.name) == ("kecamatan", k["name"])


@pytest.mark.parametrize(
    ("text", "name", "kecamatan"),
    [
        ("sangasanga", "Sanga Sanga", "Sanga Sanga"),
        ("di sanga-sanga", "Sanga Sanga", "Sanga Sanga"),
        ("marangkayu", "Marang Kayu", "Marang Kayu"),
        ("desa sungai mariam", "Sungai Meriam", "Anggana"),
        ("kota bangun 3", "Kota Bangun III", "Kota Bangun Darat"),
        ("kota bangun satu", "Kota Bangun I", "Kota Bangun Darat"),
        ("jembayen", "Jembayan", "Loa Kulu"),  # typo
        ("tenggarong sebrang", "Tenggarong Seberang", "Tenggarong Seberang"),
        ("ulun di loa kulu kota", "Loa Kulu Kota", "Loa Kulu"),
        ("Salo Cella", "Sallo Cela", "Muara Badak"),
    ],
)
def test_spelling_variants_and_typos(text: str, name: str, kecamatan: str) -> None:
    hit = load_gazetteer().find(text)
    assert hit is not None and (hit.name, hit.kecamatan) == (name, kecamatan)


@pytest.mark.parametrize("text", ["besok", "jam 9", "ya", "Budi Santoso", "tanggal 5 desember", "harga cabe", ""])
def test_non_places_are_not_matched(text: str) -> None:
    assert load_gazetteer().find(text) is None


def test_same_desa_name_in_two_kecamatan_lists_the_other() -> None:
    hit = load_gazetteer().find("bukit raya")
    assert hit is not None and hit.alternatives == ("Bukit Raya (Tenggarong Seberang)",)


def test_haversine_matches_a_known_distance() -> None:
    # Tenggarong to Samarinda city centre is about 24 km as the crow flies.
    assert 20 < haversine_km(-0.44019, 116.98139, -0.5022, 117.1536) < 22


def test_nearest_office_from_a_location_and_from_a_desa(directory) -> None:  # type: ignore[no-untyped-def]
    offices = list(directory.offices.values())
    tabang = directory.get("mini_tabang")
    near = nearest_offices(offices, load_gazetteer().find("tabang"), limit=1)[0]  # type: ignore[arg-type]
    assert near.office.id == "mini_tabang" and near.distance_km is None
    from knowledge_base.places import PlaceMatch

    here = PlaceMatch(kind="location", name="x", kecamatan=None, lat=tabang.lat + 0.01, lon=tabang.lon, score=100)
    best = nearest_offices(offices, here, limit=1)[0]
    assert best.office.id == "mini_tabang" and best.distance_km == pytest.approx(1.1, abs=0.1)


def test_locate_restricts_to_offices_offering_the_service(directory) -> None:  # type: ignore[no-untyped-def]
    gaz = load_gazetteer()
    assert locate(directory, gaz, text="desa jembayan")["office"]["id"] == "mini_loa_kulu"  # type: ignore[index]
    only_mpp = locate(directory, gaz, text="desa jembayan", service_id="paspor_baru")
    assert only_mpp["office"]["id"] == "mpp_tenggarong"  # type: ignore[index]
    assert only_mpp["distance_km"] is not None and only_mpp["distance_km"] > 5  # type: ignore[operator]
    none = locate(directory, gaz, text="jakarta selatan")
    assert none == {"query": "jakarta selatan", "office": None, "distance_km": None, "matched": None}


def test_locate_cli_json_text_location_and_batch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    out = runner.invoke(app, ["locate", "kecamatan sebulu", "--json"])
    assert out.exit_code == 0, out.output
    ans = json.loads(out.output)
    assert ans["office"] == {"id": "mini_sebulu", "name": "Mini MPP Sebulu", "kecamatan": "Sebulu"}
    assert ans["matched"]["kind"] == "kecamatan"
    out = runner.invoke(app, ["locate", "--lat", "-0.44", "--lon", "116.98", "--json"])
    assert json.loads(out.output)["office"]["kecamatan"] == "Tenggarong"
    batch = tmp_path / "q.txt"
    batch.write_text("anggana\nxyz\nmuara badak\n", encoding="utf-8")
    out = runner.invoke(app, ["locate", "--batch", str(batch), "--json"])
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert [r["office"]["id"] if r["office"] else None for r in rows] == ["mini_anggana", None, "mini_muara_badak"]
    assert runner.invoke(app, ["locate", "--json"]).exit_code != 0
