"""The IKM report: overall and per office, tenant, service and period, as JSON, CSV or XLSX, plus PNG charts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from mpp.survey._booking import BookingInfo
from mpp.survey._data import method
from mpp.survey.ikm import compute_ikm
from mpp.survey.store import ResponseRecord

__all__ = ["GROUPS", "Period", "build_report", "period_key", "render", "write_charts"]

Period = Literal["day", "month", "quarter", "year"]
Format = Literal["json", "csv", "xlsx"]
GROUPS = ("office", "tenant", "service", "period")
_NONE_LABEL = "-"


def period_key(day: dt.date, period: Period) -> str:
    """The label of the period a day falls in (2025-03-07, 2025-03, 2025-Q1, 2025)."""
    if period == "day":
        return day.isoformat()
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def _keyers(period: Period) -> dict[str, Callable[[Any], str | None]]:
    return {
        "office": lambda r: r.office_id,
        "tenant": lambda r: r.tenant_id,
        "service": lambda r: r.service_id,
        "period": lambda r: period_key(r.day, period),
    }


def build_report(
    records: Sequence[ResponseRecord],
    *,
    bookings: Iterable[BookingInfo] = (),
    population: int | None = None,
    period: Period = "month",
    scope: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report as a JSON-friendly dict; served bookings give each group's population when known."""
    booked = list(bookings)
    keyers = _keyers(period)
    overall_pop = population if population is not None else (len(booked) or None)
    report: dict[str, Any] = {
        "method": "PermenPANRB 14/2017 (SKM): NRR per unsur, bobot 1/9, konversi x25",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scope": {**(scope or {}), "period": period},
        "responses": len(records),
        "overall": compute_ikm((r.answers for r in records), population=overall_pop).to_dict(),
    }
    for group in GROUPS:
        key_of = keyers[group]
        buckets: dict[str | None, list[ResponseRecord]] = defaultdict(list)
        for r in records:
            buckets[key_of(r)].append(r)
        pops = Counter(key_of(b) for b in booked)
        rows = []
        for key in sorted(buckets, key=lambda k: (k is None, k or "")):
            result = compute_ikm((r.answers for r in buckets[key]), population=pops.get(key) or None)
            rows.append({"key": key, **result.to_dict()})
        report[f"by_{group}"] = rows
    return report


def _flat_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    codes = method().codes
    entries = [("overall", None, report["overall"])]
    entries += [(g, row["key"], row) for g in GROUPS for row in report[f"by_{g}"]]
    out = []
    for group, key, res in entries:
        nrr = {e["code"]: e["nrr"] for e in res["elements"]}
        out.append(
            {
                "group": group,
                "key": key if key is not None else ("all" if group == "overall" else _NONE_LABEL),
                "respondents": res["respondents"],
                "ikm": res["ikm"],
                "ikm_converted": res["ikm_converted"],
                "grade": res["grade"],
                "performance": res["performance"],
                "population": res["population"],
                "required_sample": res["required_sample"],
                "sample_sufficient": res["sample_sufficient"],
                **{f"nrr_{c}": nrr.get(c) for c in codes},
                "warnings": " | ".join(res["warnings"]),
            }
        )
    return out


def _csv(report: dict[str, Any]) -> bytes:
    rows = _flat_rows(report)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue().encode("utf-8")


def _xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "IKM"
    rows = _flat_rows(report)
    ws.append(list(rows[0]))
    for row in rows:
        ws.append(list(row.values()))
    units = wb.create_sheet("Unsur")
    units.append(["kode", "unsur", "responden", "jumlah nilai", "NRR", "NRR x 25"])
    for e in report["overall"]["elements"]:
        units.append([e["code"], e["name"], e["respondents"], e["total"], e["nrr"], e["nrr_converted"]])
    notes = wb.create_sheet("Metode")
    notes.append(["metode", report["method"]])
    notes.append(["dibuat", report["generated_at"]])
    for k, v in report["scope"].items():
        notes.append([k, "" if v is None else str(v)])
    for cat in method().categories:
        notes.append([f"mutu {cat.grade}", f"{cat.minimum} - {cat.maximum} ({cat.performance})"])
    for sheet in (ws, units):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(report: dict[str, Any], fmt: Format) -> bytes:
    """The report in one of the output formats."""
    if fmt == "json":
        return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "csv":
        return _csv(report)
    if fmt == "xlsx":
        return _xlsx(report)
    raise ValueError(f"unknown format {fmt}")


def write_charts(report: dict[str, Any], directory: Path) -> list[Path]:
    """PNG charts of the IKM per period and per element; with no data they say so."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    thresholds = [(float(c.minimum), c.grade) for c in method().categories if c.grade != "D"]
    paths = []

    periods = [r for r in report["by_period"] if r["ikm_converted"] is not None]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    if periods:
        xs = [str(r["key"]) for r in periods]
        ys = [r["ikm_converted"] for r in periods]
        ax.plot(xs, ys, marker="o", color="#1f6feb")
        for x, y, r in zip(xs, ys, periods, strict=True):
            ax.annotate(
                f"{y:.2f}\nn={r['respondents']}",
                (x, y),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=8,
            )
    else:
        ax.text(0.5, 0.5, "Belum ada responden", ha="center", va="center", transform=ax.transAxes)
    for y, grade in thresholds:
        ax.axhline(y, color="grey", linestyle=":", linewidth=0.8)
        ax.text(1.0, y, f" {grade}", transform=ax.get_yaxis_transform(), va="center", fontsize=8, color="grey")
    ax.set_ylim(25, 105)
    ax.set_ylabel("IKM (25-100)")
    ax.set_title(f"IKM per periode ({report['scope']['period']})")
    fig.tight_layout()
    path = directory / "ikm_per_periode.png"
    fig.savefig(path)
    plt.close(fig)
    paths.append(path)

    elements = report["overall"]["elements"]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    codes = [e["code"] for e in elements]
    values = [e["nrr_converted"] or 0.0 for e in elements]
    bars = ax.bar(codes, values, color="#2da44e")
    for bar, e in zip(bars, elements, strict=True):
        label = f"{e['nrr_converted']:.2f}" if e["nrr_converted"] is not None else "-"
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 1, label, ha="center", fontsize=8)
    if report["overall"]["ikm_converted"] is None:
        ax.text(0.5, 0.5, "Belum ada responden", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(0, 105)
    ax.set_ylabel("NRR x 25")
    ax.set_title("Nilai per unsur SKM")
    fig.tight_layout()
    path = directory / "ikm_per_unsur.png"
    fig.savefig(path)
    plt.close(fig)
    paths.append(path)
    return paths
