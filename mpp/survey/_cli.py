"""`mpp survey report`: reads the store, builds the report, writes the file and charts."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import get_args

import typer

from mpp.db import get_engine
from mpp.survey._booking import served_bookings
from mpp.survey.report import Format, Period, build_report, render, write_charts
from mpp.survey.store import load_responses

__all__ = ["survey_report"]


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from exc


def survey_report(
    fmt: str,
    office: str | None,
    date_from: str | None,
    date_to: str | None,
    out: Path | None,
    charts: Path | None,
    period: str,
    population: int | None,
) -> None:
    """Write the IKM report (and charts) for a scope; works with zero responses."""
    if fmt not in get_args(Format):
        raise typer.BadParameter("choose csv, xlsx or json", param_hint="--format")
    if period not in get_args(Period):
        raise typer.BadParameter("choose day, month, quarter or year", param_hint="--period")
    start, end = _day(date_from, "--from"), _day(date_to, "--to")
    if start and end and start > end:
        raise typer.BadParameter("--from is after --to")
    engine = get_engine()
    records = load_responses(office_id=office, date_from=start, date_to=end, engine=engine)
    bookings = served_bookings(engine, office, start, end)
    scope = {"office": office, "from": date_from, "to": date_to}
    report = build_report(records, bookings=bookings, population=population, period=period, scope=scope)  # type: ignore[arg-type]
    data = render(report, fmt)  # type: ignore[arg-type]
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    if charts is not None:
        for path in write_charts(report, charts):
            typer.echo(f"chart: {path}", err=True)
    overall = report["overall"]
    summary = (
        f"{overall['respondents']} responden, IKM {overall['ikm_converted'] if overall['ikm'] is not None else '-'}"
    )
    typer.echo(f"{summary} {overall['grade'] or ''}".strip(), err=True)
