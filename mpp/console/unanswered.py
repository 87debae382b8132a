"""Questions the assistant could not answer: recorded redacted, grouped by similarity, resolved by staff."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mpp.console.catalogue import CatalogueChangeError, effective_catalogue, publish_service, service_document
from mpp.console.models import AuditEntry, UnansweredQuestion
from mpp.redact import redact

__all__ = [
    "Group",
    "answer_questions",
    "console_answer",
    "console_reply",
    "dismiss_questions",
    "group_questions",
    "link_questions",
    "record_unanswered",
    "staff_answer",
]

log = logging.getLogger(__name__)
GROUP_SIMILARITY = 0.45  # cosine of character n-gram TF-IDF: paraphrases with typos still meet
ANSWER_SIMILARITY = 0.6
_PLACEHOLDER_RE = re.compile(r"\[(?:NIK|PHONE|EMAIL|NAME)\]")


@dataclass
class Group:
    """Similar open questions, shown to staff as one line with a count."""

    ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    last_at: dt.datetime | None = None

    @property
    def count(self) -> int:
        """How many times it was asked."""
        return len(self.ids)

    @property
    def label(self) -> str:
        """The first wording, which the group is named after."""
        return self.texts[0] if self.texts else ""


def record_unanswered(db: Session, sender: str, text: str, channel: str = "web") -> UnansweredQuestion | None:
    """Keep a question the assistant did not answer (personal data redacted first)."""
    clean = redact(text or "").strip()[:500]
    if not clean:
        return None
    row = UnansweredQuestion(sender=sender[:128], channel=channel[:32], text=clean, status="open")
    db.add(row)
    db.flush()
    return row


def console_answer(sender: str, text: str) -> str | None:
    """From the action server, when the assistant has no answer: staff's written answer, else record it.

    Never lets a storage problem break the conversation (returns None then).
    """
    kind, value = console_reply(sender, text)
    return value if kind == "answer" else None


def console_reply(sender: str, text: str) -> tuple[str, str | None]:
    """What staff decided for a question like this one: ("answer", text), ("linked", service id) or ("recorded", None)."""
    from mpp.db import session_scope

    channel = sender.split(":", 1)[0] if ":" in sender else "web"
    try:
        with session_scope() as db:
            answer = staff_answer(db, text)
            if answer is not None:
                return "answer", answer
            linked = _similar(db, text, "linked", ANSWER_SIMILARITY)
            if linked is not None and linked.service_id:
                return "linked", linked.service_id
            record_unanswered(db, sender, text, channel)
    except (SQLAlchemyError, ValueError) as exc:
        log.warning("unanswered question not recorded", extra={"error": str(exc)[:200]})
    return "recorded", None


def _vectors(texts: list[str]):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True, sublinear_tf=True)
    return vec, vec.fit_transform(texts)


def group_questions(rows: list[UnansweredQuestion], threshold: float = GROUP_SIMILARITY) -> list[Group]:
    """Leader clustering on TF-IDF cosine: each question joins the first group it is close enough to."""
    if not rows:
        return []
    _, matrix = _vectors([r.text for r in rows])
    sims = (matrix @ matrix.T).toarray()
    leaders: list[int] = []
    groups: list[Group] = []
    for i, row in enumerate(rows):
        best = max(range(len(leaders)), key=lambda g: sims[i, leaders[g]], default=None)
        if best is None or sims[i, leaders[best]] < threshold:
            leaders.append(i)
            groups.append(Group())
            best = len(groups) - 1
        g = groups[best]
        g.ids.append(row.id)
        g.texts.append(row.text)
        g.last_at = max(filter(None, [g.last_at, row.created_at]), default=None)
    return sorted(groups, key=lambda g: (-g.count, g.label))


def _open(db: Session, ids: list[int]) -> list[UnansweredQuestion]:
    rows = list(db.scalars(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids))))
    if not rows:
        raise CatalogueChangeError(["Pertanyaan tidak ditemukan."])
    return rows


def _close(rows: list[UnansweredQuestion], actor: str, status: str) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    for r in rows:
        r.status, r.resolved_by, r.resolved_at = status, actor, now


def _phrase(text: str) -> str:
    return " ".join(_PLACEHOLDER_RE.sub(" ", text).lower().split())


def link_questions(db: Session, actor: str, ids: list[int], service_id: str, directory: Path) -> AuditEntry:
    """Resolve by linking to a service: the questions' wording becomes its keywords, published live.

    Keywords, not examples or aliases: they feed the lexical index only, so the live re-index takes
    seconds; examples and aliases also retrain the domain classifier and re-encode every passage
    (minutes on two cores). `mpp kb export` keeps them for the next `mpp kb index`.
    """
    rows = _open(db, ids)
    catalogue = effective_catalogue(db, directory)
    try:
        service = catalogue.service(service_id)
    except KeyError as exc:
        raise CatalogueChangeError(["Layanan tidak ditemukan."]) from exc
    doc = service_document(service)
    keywords = list(doc.get("keywords") or [])
    for phrase in (_phrase(r.text) for r in rows):
        if phrase and phrase not in keywords:
            keywords.append(phrase)
    doc["keywords"] = keywords
    entry = publish_service(db, actor, doc, service_id, directory, "link", note=f"{len(rows)} pertanyaan ditautkan")
    _close(rows, actor, "linked")
    for r in rows:
        r.service_id = service_id
    return entry


def answer_questions(db: Session, actor: str, ids: list[int], answer: str) -> None:
    """Resolve with a written answer (the assistant gives it when the question comes again)."""
    answer = answer.strip()
    if not answer:
        raise CatalogueChangeError(["Jawaban wajib diisi."])
    rows = _open(db, ids)
    _close(rows, actor, "answered")
    for r in rows:
        r.answer = answer[:2000]


def dismiss_questions(db: Session, actor: str, ids: list[int]) -> None:
    """Resolve by dismissing (not a service question, spam, ...)."""
    _close(_open(db, ids), actor, "dismissed")


def _similar(db: Session, text: str, status: str, threshold: float) -> UnansweredQuestion | None:
    rows = list(db.scalars(select(UnansweredQuestion).where(UnansweredQuestion.status == status).limit(2000)))
    if not rows or not text.strip():
        return None
    vec, matrix = _vectors([r.text for r in rows])
    sims = (matrix @ vec.transform([redact(text)]).T).toarray().ravel()
    best = int(sims.argmax())
    return rows[best] if sims[best] >= threshold else None


def staff_answer(db: Session, text: str, threshold: float = ANSWER_SIMILARITY) -> str | None:
    """The answer staff wrote for a question like this one, if any."""
    row = _similar(db, text, "answered", threshold)
    return row.answer if row is not None else None
