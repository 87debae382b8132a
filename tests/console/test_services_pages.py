"""The services pages: search, edit as a draft with validation, preview, publish, audit, revert, export."""

from __future__ import annotations

import re

import yaml

from tests.console.conftest import Console


def _form(page: str) -> dict[str, object]:
    """The values of a rendered service form, as a browser would submit them."""
    data: dict[str, object] = {}
    for name, value in re.findall(r'<input id="[^"]*" name="([^"]+)" type="(?:text|date)" value="([^"]*)"', page):
        data[name] = value.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    for name, value in re.findall(r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = value.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    for name in ("mode", "fee_free"):
        m = re.search(rf'<select id="{name}" name="{name}">.*?<option value="([^"]*)" selected', page, re.S)
        data[name] = m.group(1) if m else ""
    data["where"] = re.findall(r'name="where" value="([^"]+)" checked', page)
    if 'name="verified" checked' in page:
        data["verified"] = "on"
    return data


def test_edit_preview_publish_audit_revert(console: Console) -> None:
    csrf = console.act_as("dukcapil@mpp.id")
    found = console.client.get("/console/services?q=ktp baru").text
    assert "/console/services/ktp_baru" in found
    form = _form(console.client.get("/console/services/ktp_baru/edit").text)
    form["requirements"] = f"{form['requirements']}\nSurat pengantar RT/RW"
    r = console.client.post(
        "/console/services/ktp_baru/edit", data={**form, "csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303, r.text[:500]
    page = console.client.get("/console/services/ktp_baru").text
    assert "Draf belum diterbitkan" in page and "Surat pengantar RT/RW" in page
    preview = re.search(r'<div class="bubble" id="draft-preview">(.*?)</div>', page, re.S)
    assert preview and "<strong>KTP-el baru" in preview.group(1) and "Surat pengantar RT/RW" in preview.group(1)
    live = console.client.get("/console/api/services/ktp_baru").json()
    assert "Surat pengantar RT/RW" not in live["live"]["requirements"]
    console.client.post("/console/services/ktp_baru/publish", data={"csrf_token": csrf})
    live = console.client.get("/console/api/services/ktp_baru").json()
    assert live["live"]["requirements"][-1] == "Surat pengantar RT/RW" and live["draft"] is None
    audit = console.client.get("/console/audit?service=ktp_baru").text
    entry_id = re.search(r'href="/console/audit/(\d+)"', audit).group(1)  # type: ignore[union-attr]
    detail = console.client.get(f"/console/audit/{entry_id}").text
    assert "dukcapil@mpp.id" in detail and "Surat pengantar RT/RW" in detail
    r = console.client.post(f"/console/audit/{entry_id}/revert", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    live = console.client.get("/console/api/services/ktp_baru").json()
    assert "Surat pengantar RT/RW" not in live["live"]["requirements"]


def test_validation_messages_on_the_form(console: Console) -> None:
    csrf = console.act_as("dukcapil@mpp.id")
    form = _form(console.client.get("/console/services/ktp_baru/edit").text)
    bad = {**form, "requirements": "", "fee_amount": "Rp50.000", "fee_free": "false", "fee_legal_basis": ""}
    r = console.client.post("/console/services/ktp_baru/edit", data={**bad, "csrf_token": csrf})
    assert r.status_code == 422
    assert "Persyaratan: wajib diisi minimal satu baris." in r.text
    assert "Biaya yang tidak gratis wajib mencantumkan dasar hukumnya." in r.text


def test_create_a_new_service_and_export_yaml(console: Console) -> None:
    csrf = console.act_as("dukcapil@mpp.id")
    new = {
        "id": "ktp_rusak_console", "tenant": "disdukcapil", "name": "KTP-el rusak (uji konsol)",
        "category": "kependudukan", "summary": "Penggantian KTP-el yang rusak.",
        "requirements": "KTP-el yang rusak\nKartu Keluarga", "steps": "Ambil antrean\nSerahkan berkas",
        "fee_amount": "Gratis", "fee_free": "true", "fee_legal_basis": "UU 24/2013 Pasal 79A", "mode": "in_person",
        "where": ["mpp_tenggarong"], "sources": "https://example.id/sp", "last_reviewed": "2026-12-01",
        "csrf_token": csrf,
    }  # fmt: skip
    r = console.client.post("/console/services/new", data=new, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/services/ktp_rusak_console"
    assert "ktp_rusak_console" not in console.client.get("/console/catalogue/disdukcapil.yaml").text
    console.client.post("/console/services/ktp_rusak_console/publish", data={"csrf_token": csrf})
    exported = yaml.safe_load(console.client.get("/console/catalogue/disdukcapil.yaml").text)
    entry = next(s for s in exported["services"] if s["id"] == "ktp_rusak_console")
    assert entry["requirements"] == ["KTP-el yang rusak", "Kartu Keluarga"] and "tenant" not in entry


def test_errors_are_pages_for_staff_and_json_elsewhere(console: Console) -> None:
    console.act_as("dukcapil@mpp.id")
    r = console.client.get("/console/services/tidak_ada")
    assert r.status_code == 404 and "Tidak ditemukan" in r.text and r.headers["content-type"].startswith("text/html")
    assert console.client.get("/console/api/services/tidak_ada").json() == {"detail": "Not Found"}
    assert console.client.get("/tidak-ada").json() == {"detail": "Not Found"}
