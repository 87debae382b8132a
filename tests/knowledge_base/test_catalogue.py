from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge_base.catalogue import CatalogueError, catalogue_digest, load_catalogue, validate_catalogue
from mpp.settings import PROJECT_ROOT
from tests.auxil.catalogue import TENANT, service, write_tenant

REAL = PROJECT_ROOT / "knowledge_base" / "data" / "tenants"


def test_valid_small_catalogue(tmp_path: Path) -> None:
    write_tenant(tmp_path, TENANT, [service("ktp_baru", "KTP baru", verified=True), service("kk_baru", "KK baru")])
    report = validate_catalogue(tmp_path)
    assert report.ok, report.errors
    assert (report.services, report.tenants, report.verified) == (2, 1, 1)
    cat = load_catalogue(tmp_path)
    assert cat.service("kk_baru").tenant == "disdukcapil"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"requirements": []}, "requirements"),
        ({"sources": []}, "sources"),
        ({"id": "KTP Baru"}, "lower_snake_case"),
        ({"mode": "online"}, "official app"),
        ({"where": ["elsewhere"]}, "where_note"),
        ({"fee": {"amount": "Rp50.000", "free": False}}, "legal_basis"),
        ({"mode": "teleport"}, "mode"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_each_rule_is_enforced(tmp_path: Path, broken: dict[str, object], message: str) -> None:
    write_tenant(tmp_path, TENANT, [service("ktp_baru", "KTP baru", **broken)])
    report = validate_catalogue(tmp_path)
    assert not report.ok
    assert any(message in e for e in report.errors), report.errors


def test_duplicate_ids_across_tenants(tmp_path: Path) -> None:
    write_tenant(tmp_path, TENANT, [service("ktp_baru", "KTP baru")])
    other = dict(TENANT, id="polres", name="Polres")
    write_tenant(tmp_path, other, [service("ktp_baru", "KTP lagi")])
    report = validate_catalogue(tmp_path)
    assert any("already used" in e for e in report.errors)
    with pytest.raises(CatalogueError):
        load_catalogue(tmp_path)


def test_file_name_must_match_tenant(tmp_path: Path) -> None:
    path = write_tenant(tmp_path, TENANT, [service("ktp_baru", "KTP baru")])
    path.rename(tmp_path / "dukcapil.yaml")
    assert any("file name" in e for e in validate_catalogue(tmp_path).errors)


def test_digest_changes_with_content(tmp_path: Path) -> None:
    write_tenant(tmp_path, TENANT, [service("ktp_baru", "KTP baru")])
    before = catalogue_digest(tmp_path)
    write_tenant(tmp_path, TENANT, [service("ktp_baru", "KTP-el baru")])
    assert catalogue_digest(tmp_path) != before


def test_real_catalogue_is_complete() -> None:
    report = validate_catalogue(REAL)
    assert report.ok, report.errors[:10]
    assert report.tenants == 27
    assert report.services >= 438
    cat = load_catalogue(REAL)
    # the reference ids are kept
    for sid in ("ktp_baru", "paspor_hilang", "sim_c_perpanjang", "pbb_bayar", "skm_isi", "bpjstk_jht"):
        cat.service(sid)
    # no invented fees: every stated non-free amount names its legal basis
    for s in cat.services:
        if s.fee.amount and s.fee.free is not True:
            assert s.fee.legal_basis, s.id
    # lost/damaged passports are served elsewhere, never at a Mini MPP
    assert "mini_mpp" not in {p.value for p in cat.service("paspor_hilang").where}


def _mpp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mpp.cli", *args], capture_output=True, text=True, cwd=PROJECT_ROOT)


def test_cli_validate_and_stats() -> None:
    res = _mpp("kb", "validate")
    assert res.returncode == 0, res.stderr
    assert "OK" in res.stdout
    stats = json.loads(_mpp("kb", "stats", "--json").stdout)
    assert set(stats) == {"services", "tenants", "verified"}
    assert stats["tenants"] == 27 and stats["services"] >= 438
    assert 0 < stats["verified"] < stats["services"]


def test_cli_validate_fails_on_bad_catalogue(tmp_path: Path) -> None:
    write_tenant(tmp_path, TENANT, [service("ktp_baru", "KTP baru", requirements=[])])
    res = _mpp("kb", "validate", "--directory", str(tmp_path))
    assert res.returncode == 1
    assert "requirements" in res.stderr
