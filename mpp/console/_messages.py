"""Validation messages for staff, in Indonesian."""

from __future__ import annotations

from pydantic import ValidationError

__all__ = ["FIELD_LABELS", "validation_messages"]

FIELD_LABELS: dict[str, str] = {
    "id": "ID layanan",
    "name": "Nama layanan",
    "tenant": "Instansi",
    "category": "Kategori",
    "summary": "Ringkasan",
    "aliases": "Nama lain",
    "keywords": "Kata kunci",
    "examples": "Contoh pertanyaan",
    "requirements": "Persyaratan",
    "steps": "Langkah",
    "fee": "Biaya",
    "amount": "Besar biaya",
    "free": "Gratis",
    "legal_basis": "Dasar hukum",
    "note": "Catatan biaya",
    "duration": "Lama proses",
    "mode": "Cara layanan",
    "online": "Aplikasi/situs resmi",
    "where": "Tempat layanan",
    "where_note": "Keterangan tempat",
    "notes": "Catatan",
    "sources": "Sumber",
    "last_reviewed": "Tanggal tinjauan",
    "verified": "Terverifikasi",
    "retired": "Dipensiunkan",
    "url": "Alamat situs",
}

# Model-level rules of knowledge_base/schema.py, keyed by a phrase of their English message.
_RULES: dict[str, str] = {
    "must be lower_snake_case": "ID layanan hanya boleh huruf kecil, angka dan garis bawah (contoh: ktp_baru).",
    "free fee must read": "Biaya gratis harus ditulis 'Gratis' atau 'Rp0'.",
    "needs its legal_basis": "Biaya yang tidak gratis wajib mencantumkan dasar hukumnya.",
    "must name its official app": "Layanan online atau sebagian online wajib menyebut aplikasi atau situs resminya.",
    "needs a where_note": "Tempat 'kantor instansi' wajib diberi keterangan tempat.",
    "must not be empty": "wajib diisi minimal satu baris.",
}
_TYPES: dict[str, str] = {
    "missing": "wajib diisi.",
    "string_too_short": "wajib diisi.",
    "enum": "pilihan tidak valid.",
    "date_from_datetime_parsing": "tanggal tidak valid (format TTTT-BB-HH).",
    "date_parsing": "tanggal tidak valid (format TTTT-BB-HH).",
    "date_type": "tanggal tidak valid (format TTTT-BB-HH).",
    "extra_forbidden": "kolom tidak dikenal.",
    "bool_parsing": "harus ya atau tidak.",
    "string_type": "harus berupa teks.",
}


def _label(loc: tuple[int | str, ...]) -> str:
    names = [FIELD_LABELS.get(str(p), str(p)) for p in loc if not isinstance(p, int)]
    return " › ".join(names)


def validation_messages(exc: ValidationError) -> list[str]:
    """One Indonesian sentence per problem found by the catalogue schema."""
    out: list[str] = []
    for err in exc.errors():
        msg = str(err.get("msg", ""))
        label = _label(tuple(err.get("loc", ())))
        rule = next((text for phrase, text in _RULES.items() if phrase in msg), None)
        if rule and rule[0].isupper():
            text = rule
        else:
            detail = rule or _TYPES.get(str(err.get("type", "")), "isinya tidak valid.")
            text = f"{label}: {detail}" if label else detail[0].upper() + detail[1:]
        if text not in out:
            out.append(text)
    return out
