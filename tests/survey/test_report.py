"""The IKM report: groups, formats, charts, and `mpp survey report` with and without responses."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mpp.survey._booking import BookingInfo
from mpp.survey.report import build_report, period_key, render, write_charts
from mpp.survey.store import ResponseRecord

CODES = [f"U{i}" for i in range(1, 10)]


def rec(i: int, day: dt.date, office: str | None, value: int, service: str = "ktp_baru") -> ResponseRecord:
    return ResponseRecord(i, day, office, "disdukcapil", service, "full", dict.fromkeys(CODES, value))


RECORDS = [
    rec(1, dt.date(2025, 1, 10), "mpp_tenggarong", 4),
    rec(2, dt.date(2025, 1, 11), "mpp_tenggarong", 3),
    rec(3, dt.date(2025, 2, 3), "mini_mpp_sebulu", 2, "kk_baru"),
    rec(4, dt.date(2025, 2, 4), None, 4, "kk_baru"),
]


def test_period_keys() -> None:
    day = dt.date(2025, 8, 17)
    assert [period_key(day, p) for p in ("day", "month", "quarter", "year")] == [
        "2025-08-17",
        "2025-08",
        "2025-Q3",
        "2025",
    ]


def test_groups_by_office_tenant_service_and_period() -> None:
    booked = [
        BookingInfo(f"K{i}", "s", "web", "mpp_tenggarong", "disdukcapil", "ktp_baru", dt.date(2025, 1, 10), "completed")
        for i in range(2)
    ]
    rep = build_report(RECORDS, bookings=booked)
    assert rep["overall"]["respondents"] == 4
    assert rep["overall"]["ikm_converted"] == 81.25  # (4+3+2+4)/4 = 3.25 x 25
    offices = {r["key"]: r for r in rep["by_office"]}
    assert list(offices) == ["mini_mpp_sebulu", "mpp_tenggarong", None]
    assert offices["mpp_tenggarong"]["ikm_converted"] == 87.5 and offices["mpp_tenggarong"]["grade"] == "B"
    assert offices["mpp_tenggarong"]["population"] == 2 and offices["mpp_tenggarong"]["sample_sufficient"]
    assert offices["mini_mpp_sebulu"]["grade"] == "D" and offices["mini_mpp_sebulu"]["population"] is None
    periods = {r["key"]: r["ikm_converted"] for r in rep["by_period"]}
    assert periods == {"2025-01": 87.5, "2025-02": 75.0}
    assert {r["key"] for r in rep["by_service"]} == {"ktp_baru", "kk_baru"}
    assert [r["key"] for r in rep["by_tenant"]] == ["disdukcapil"]


def test_zero_responses_in_every_format(tmp_path: Path) -> None:
    rep = build_report([])
    assert rep["overall"]["respondents"] == 0 and rep["overall"]["ikm"] is None
    assert all(rep[f"by_{g}"] == [] for g in ("office", "tenant", "service", "period"))
    assert json.loads(render(rep, "json"))["overall"]["grade"] is None
    rows = list(csv.DictReader(io.StringIO(render(rep, "csv").decode())))
    assert len(rows) == 1 and rows[0]["group"] == "overall" and rows[0]["respondents"] == "0" and rows[0]["ikm"] == ""
    assert render(rep, "xlsx")[:2] == b"PK"
    paths = write_charts(rep, tmp_path / "charts")
    assert [p.name for p in paths] == ["ikm_per_periode.png", "ikm_per_unsur.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_csv_and_xlsx_carry_the_same_rows(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    rep = build_report(RECORDS, population=100)
    rows = list(csv.DictReader(io.StringIO(render(rep, "csv").decode())))
    assert rows[0]["key"] == "all" and rows[0]["required_sample"] == "80" and rows[0]["sample_sufficient"] == "False"
    assert "kurang dari sampel minimal 80" in rows[0]["warnings"]
    assert rows[0]["nrr_U1"] == "3.25"
    (tmp_path / "r.xlsx").write_bytes(render(rep, "xlsx"))
    wb = load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames == ["IKM", "Unsur", "Metode"]
    sheet = list(wb["IKM"].values)
    assert len(sheet) == len(rows) + 1 and sheet[1][4] == 81.25
    assert list(wb["Unsur"].values)[1][:5] == ("U1", "Persyaratan", 4, 13, 3.25)


def test_charts_with_data(tmp_path: Path) -> None:
    paths = write_charts(build_report(RECORDS), tmp_path)
    assert all(p.stat().st_size > 5000 for p in paths)


@pytest.fixture
def cli_env(clean_env: Path) -> Path:
    from mpp.db import get_engine

    get_engine.cache_clear()
    yield clean_env
    get_engine.cache_clear()


def test_cli_report_with_no_responses(cli_env: Path) -> None:
    from mpp.cli import app

    result = CliRunner().invoke(
        app, ["survey", "report", "--format", "json", "--from", "2025-01-01", "--to", "2025-12-31"]
    )
    assert result.exit_code == 0, result.output
    body = result.stdout[result.stdout.index("{") :]
    data = json.loads(body)
    assert data["overall"]["respondents"] == 0 and data["overall"]["ikm"] is None
    assert data["scope"] == {"office": None, "from": "2025-01-01", "to": "2025-12-31", "period": "month"}


def test_cli_report_files_and_charts(cli_env: Path) -> None:
    from mpp.cli import app
    from mpp.survey.store import open_response, record_answer

    state, _ = open_response("web:ani", day=dt.date(2025, 5, 2))
    for code in CODES:
        record_answer(state.id, "web:ani", code, 4)
    out, charts = cli_env / "r.xlsx", cli_env / "charts"
    result = CliRunner().invoke(
        app, ["survey", "report", "--format", "xlsx", "--out", str(out), "--charts", str(charts)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK" and len(list(charts.glob("*.png"))) == 2
    csv_out = cli_env / "r.csv"
    result = CliRunner().invoke(
        app, ["survey", "report", "--format", "csv", "--office", "nowhere", "--out", str(csv_out)]
    )
    assert result.exit_code == 0 and "respondents" in csv_out.read_text()


def test_cli_rejects_bad_options(cli_env: Path) -> None:
    from mpp.cli import app

    assert CliRunner().invoke(app, ["survey", "report", "--format", "pdf"]).exit_code == 2
    assert CliRunner().invoke(app, ["survey", "report", "--from", "2025-13-01"]).exit_code == 2
