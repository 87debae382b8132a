"""Where residents live: the 20 kecamatan and 237 desa/kelurahan of Kukar, matched from chat text."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from rapidfuzz import fuzz, process

from knowledge_base.offices import Office, OfficeDirectory

__all__ = ["Gazetteer", "NearestOffice", "PlaceMatch", "haversine_km", "load_gazetteer", "locate", "nearest_offices"]

DATA = Path(__file__).parent / "data" / "places.yaml"
_EARTH_KM = 6371.0088
# Words that frame a place name in chat ("di desa X", "kec. Y") but are not part of it.
_FRAME = {
    "desa", "ds", "kelurahan", "kel", "kecamatan", "kec", "kampung", "kampong", "dusun", "rt", "rw", "di", "dari",
    "daerah", "tinggal", "rumah", "saya", "sy", "aku", "ulun", "kami", "kita", "dekat", "deket", "sekitar", "wilayah",
    "alamat", "domisili", "warga", "dr", "ke", "yang", "yg", "nya", "mini", "mpp", "kantor", "camat", "tu", "itu",
}  # fmt: skip
_NUMBERS = {"1": "i", "2": "ii", "3": "iii", "satu": "i", "dua": "ii", "tiga": "iii"}
# Below this a fuzzy match is more likely a different word than a typo of a place.
_FUZZY_MIN = 85.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    words = [_NUMBERS.get(w, w) for w in text.split()]
    return " ".join(words)


@dataclass(frozen=True)
class _Entry:
    kind: Literal["desa", "kecamatan"]
    name: str
    code: str
    kecamatan: str
    lat: float
    lon: float
    desa_kind: str | None = None


@dataclass(frozen=True)
class PlaceMatch:
    """A place recognised in a message."""

    kind: Literal["desa", "kecamatan", "location"]
    name: str
    kecamatan: str | None
    lat: float
    lon: float
    score: float
    code: str | None = None
    alternatives: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON form for the CLI."""
        out: dict[str, object] = {
            "kind": self.kind,
            "name": self.name,
            "kecamatan": self.kecamatan,
            "code": self.code,
            "score": round(self.score, 1),
        }
        if self.alternatives:
            out["alternatives"] = list(self.alternatives)
        return out


class Gazetteer:
    """Exact, variant and fuzzy lookup of kecamatan and desa names inside free text."""

    def __init__(self, entries: list[_Entry], variants: dict[str, list[str]]) -> None:
        self.entries = entries
        self._keys: dict[str, list[_Entry]] = {}
        for e in entries:
            for name in [e.name, *variants.get(f"{e.kind}:{e.code}", [])]:
                self._keys.setdefault(_norm(name), []).append(e)
        self._choices = list(self._keys)
        self._max_words = max(len(k.split()) for k in self._keys)

    def kecamatan(self, name: str) -> _Entry | None:
        """The kecamatan entry by exact (normalised) name."""
        for e in self._keys.get(_norm(name), []):
            if e.kind == "kecamatan":
                return e
        return None

    def _pick(self, found: list[_Entry], key: str, score: float) -> PlaceMatch:
        # A name shared by a kecamatan and one of its desa means the kecamatan; several desa of the
        # same name in different kecamatan stay ambiguous and are listed.
        kec = [e for e in found if e.kind == "kecamatan"]
        best = kec[0] if kec else found[0]
        alts = tuple(f"{e.name} ({e.kecamatan})" for e in found if e is not best and e.kind == "desa" and not kec)
        return PlaceMatch(
            kind=best.kind,
            name=best.name,
            kecamatan=best.kecamatan,
            lat=best.lat,
            lon=best.lon,
            score=score,
            code=best.code,
            alternatives=alts,
        )

    def find(self, text: str) -> PlaceMatch | None:
        """The place named in the text: longest exact n-gram first, then a close fuzzy match."""
        words = [w for w in _norm(text).split()]
        if not words:
            return None
        for n in range(min(self._max_words, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                gram = " ".join(words[i : i + n])
                if gram in self._keys:
                    return self._pick(self._keys[gram], gram, 100.0)
        content = [w for w in words if w not in _FRAME]
        if not content:
            return None
        best: tuple[str, float] | None = None
        for n in range(min(self._max_words, len(content)), 0, -1):
            for i in range(len(content) - n + 1):
                gram = " ".join(content[i : i + n])
                if len(gram) < 5:
                    continue
                hit = process.extractOne(gram, self._choices, scorer=fuzz.ratio, score_cutoff=_FUZZY_MIN)
                if hit and (best is None or hit[1] > best[1]):
                    best = (hit[0], float(hit[1]))
        if best is None:
            return None
        return self._pick(self._keys[best[0]], best[0], best[1])


@dataclass(frozen=True)
class NearestOffice:
    """An office with its distance from the resident (None when only the kecamatan is known)."""

    office: Office
    distance_km: float | None


def nearest_offices(
    offices: list[Office], place: PlaceMatch, *, prefer_home: bool = True, limit: int = 3
) -> list[NearestOffice]:
    """Offices ordered by distance; a named desa/kecamatan puts its own kecamatan's office first."""
    ranked = sorted(offices, key=lambda o: haversine_km(place.lat, place.lon, o.lat, o.lon))
    if prefer_home and place.kind != "location" and place.kecamatan:
        home = [o for o in ranked if o.kind == "mini_mpp" and o.kecamatan == place.kecamatan]
        ranked = home + [o for o in ranked if o not in home]
    out = []
    for o in ranked[:limit]:
        known = place.kind != "kecamatan"  # a kecamatan centroid says nothing about the resident's distance
        dist = round(haversine_km(place.lat, place.lon, o.lat, o.lon), 1) if known else None
        out.append(NearestOffice(o, dist))
    return out


def locate(
    directory: OfficeDirectory,
    gazetteer: Gazetteer,
    *,
    text: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    service_id: str | None = None,
) -> dict[str, object]:
    """The nearest office for a place name or a coordinate, as `mpp locate --json` prints it."""
    place: PlaceMatch | None
    if lat is not None and lon is not None:
        place = PlaceMatch(kind="location", name="lokasi", kecamatan=None, lat=lat, lon=lon, score=100.0)
        matched: dict[str, object] | None = {"kind": "location", "lat": lat, "lon": lon}
    else:
        place = gazetteer.find(text or "")
        matched = place.to_dict() if place else None
    offices = list(directory.offices.values())
    if service_id:
        service = directory.service(service_id)
        offices = directory.offices_for(service) if service else []
    ranked = nearest_offices(offices, place) if place else []
    best = ranked[0] if ranked else None
    return {
        "query": text if text is not None else f"{lat},{lon}",
        "office": {"id": best.office.id, "name": best.office.name, "kecamatan": best.office.kecamatan}
        if best
        else None,
        "distance_km": best.distance_km if best else None,
        "matched": matched,
    }


@lru_cache(maxsize=4)
def load_gazetteer(path: Path = DATA) -> Gazetteer:
    """Read places.yaml (copied from the shared reference; see its meta)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries: list[_Entry] = []
    variants: dict[str, list[str]] = {}
    for k in raw["kecamatan"]:
        entries.append(_Entry("kecamatan", k["name"], k["code"], k["name"], float(k["lat"]), float(k["lon"])))
        variants[f"kecamatan:{k['code']}"] = list(k.get("also", []))
    for d in raw["desa"]:
        entries.append(
            _Entry("desa", d["name"], d["code"], d["kecamatan"], float(d["lat"]), float(d["lon"]), d.get("kind"))
        )
        variants[f"desa:{d['code']}"] = list(d.get("also", []))
    return Gazetteer(entries, variants)
