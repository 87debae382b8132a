"""Recording SKM responses durably and idempotently (SQLite or PostgreSQL through SQLAlchemy).

Starting a survey is keyed (one response per booking, or per sender and day without one), and an
answer is unique per (response, element): a replayed button or a repeated start never adds a row.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from mpp.db import get_engine, session_scope
from mpp.redact import redact
from mpp.settings import get_settings
from mpp.survey._booking import BookingInfo
from mpp.survey._data import method
from mpp.survey.models import Complaint, SurveyAnswer, SurveyResponse

__all__ = [
    "SKIPPED",
    "AnswerOutcome",
    "ResponseRecord",
    "ResponseState",
    "add_complaint",
    "elements_of",
    "finish_response",
    "get_response",
    "latest_open_response",
    "list_complaints",
    "load_responses",
    "mode_for",
    "open_response",
    "record_answer",
    "sender_hash",
    "set_complaint_status",
    "today_wita",
]

WITA = ZoneInfo("Asia/Makassar")
SKIPPED = None  # the stored value of a skipped element
COMPLAINT_STATUSES = ("open", "in_progress", "closed")
_MAX_COMMENT = 1000


class AnswerOutcome(enum.Enum):
    """What became of one answer."""

    RECORDED = "recorded"
    REPEATED = "repeated"  # the same answer again (a replayed button): nothing changes
    ALREADY_ANSWERED = "already_answered"  # a different answer to an element already answered
    CLOSED = "closed"  # the survey is finished
    INVALID_VALUE = "invalid_value"
    UNKNOWN_ELEMENT = "unknown_element"  # not asked in this survey
    NOT_FOUND = "not_found"  # no such survey for this sender


@dataclass(frozen=True)
class ResponseState:
    """A survey as the chat sees it."""

    id: int
    status: str
    mode: str
    booking_code: str | None
    answers: dict[str, int | None] = field(default_factory=dict)

    @property
    def elements(self) -> tuple[str, ...]:
        """The element codes this survey asks, in order."""
        return elements_of(self.mode)

    @property
    def pending(self) -> str | None:
        """The next element to ask, or None when every element is answered or skipped."""
        return next((c for c in self.elements if c not in self.answers), None)

    @property
    def closed(self) -> bool:
        """True once the resident finished (comment given or skipped)."""
        return self.status != "open"


@dataclass(frozen=True)
class ResponseRecord:
    """One stored response, as the report reads it."""

    id: int
    day: dt.date
    office_id: str | None
    tenant_id: str | None
    service_id: str | None
    mode: str
    answers: dict[str, int | None]


def today_wita() -> dt.date:
    """Today's date in Kutai Kartanegara (WITA, UTC+8)."""
    return dt.datetime.now(WITA).date()


def sender_hash(sender: str) -> str:
    """A keyed hash of the conversation id: stable per resident, useless without SECRET_KEY."""
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, sender.encode("utf-8"), hashlib.sha256).hexdigest()


def mode_for(mode: str, quick_element: str) -> str:
    """The stored mode: "full", or "quick:<element>" so a later settings change cannot alter an open survey."""
    return "full" if mode == "full" else f"quick:{quick_element}"


def elements_of(mode: str) -> tuple[str, ...]:
    """The element codes a stored mode asks."""
    if mode.startswith("quick:"):
        return (mode.split(":", 1)[1],)
    return method().codes


def _state(db_response: SurveyResponse, answers: Sequence[SurveyAnswer]) -> ResponseState:
    return ResponseState(
        id=db_response.id,
        status=db_response.status,
        mode=db_response.mode,
        booking_code=db_response.booking_code,
        answers={a.element: a.value for a in answers},
    )


def _load_state(engine: Engine, response_id: int) -> ResponseState | None:
    with session_scope(engine) as db:
        resp = db.get(SurveyResponse, response_id)
        if resp is None:
            return None
        answers = db.scalars(select(SurveyAnswer).where(SurveyAnswer.response_id == response_id)).all()
        return _state(resp, answers)


def open_response(
    sender: str,
    *,
    channel: str = "web",
    mode: str = "full",
    booking: BookingInfo | None = None,
    booking_code: str | None = None,
    service_id: str | None = None,
    tenant_id: str | None = None,
    day: dt.date | None = None,
    engine: Engine | None = None,
) -> tuple[ResponseState, bool]:
    """The survey for this booking (or this sender today), created when missing. Returns (state, created)."""
    eng = engine or get_engine()
    code = booking.code if booking else booking_code
    when = day or today_wita()
    key = f"booking:{code}" if code else f"sender:{sender_hash(sender)}:{when.isoformat()}"
    row = SurveyResponse(
        key=key,
        booking_code=code,
        sender_hash=sender_hash(sender),
        channel=channel[:32],
        office_id=booking.office_id if booking else None,
        tenant_id=(booking.tenant_id if booking else None) or tenant_id,
        service_id=(booking.service_id if booking else None) or service_id,
        day=booking.day if booking else when,
        mode=mode,
        status="open",
    )
    created = True
    try:
        with session_scope(eng) as db:
            db.add(row)
    except IntegrityError:  # the key exists: a repeated start (or a concurrent one) joins that survey
        created = False
    with session_scope(eng) as db:
        rid = db.scalars(select(SurveyResponse.id).where(SurveyResponse.key == key)).one()
    state = _load_state(eng, rid)
    assert state is not None
    return state, created


def get_response(response_id: int, sender: str, engine: Engine | None = None) -> ResponseState | None:
    """This sender's survey with this id (None when missing or someone else's)."""
    eng = engine or get_engine()
    with session_scope(eng) as db:
        owner = db.scalars(select(SurveyResponse.sender_hash).where(SurveyResponse.id == response_id)).first()
    if owner is None or not hmac.compare_digest(owner, sender_hash(sender)):
        return None
    return _load_state(eng, response_id)


def latest_open_response(sender: str, since: dt.date, engine: Engine | None = None) -> ResponseState | None:
    """This sender's newest unfinished survey started on or after a day."""
    eng = engine or get_engine()
    with session_scope(eng) as db:
        rid = db.scalars(
            select(SurveyResponse.id)
            .where(
                SurveyResponse.sender_hash == sender_hash(sender),
                SurveyResponse.status == "open",
                SurveyResponse.day >= since,
            )
            .order_by(SurveyResponse.id.desc())
        ).first()
    return None if rid is None else _load_state(eng, rid)


def record_answer(
    response_id: int, sender: str, element: str, value: int | None, engine: Engine | None = None
) -> tuple[AnswerOutcome, ResponseState | None]:
    """Store one answer (1-4, or None to skip); never overwrites an answer already given."""
    eng = engine or get_engine()
    state = get_response(response_id, sender, eng)
    if state is None:
        return AnswerOutcome.NOT_FOUND, None
    if state.closed:
        return AnswerOutcome.CLOSED, state
    if element not in state.elements:
        return AnswerOutcome.UNKNOWN_ELEMENT, state
    if value is not None and not (isinstance(value, int) and 1 <= value <= 4):
        return AnswerOutcome.INVALID_VALUE, state
    if element in state.answers:
        same = state.answers[element] == value
        return (AnswerOutcome.REPEATED if same else AnswerOutcome.ALREADY_ANSWERED), state
    try:
        with session_scope(eng) as db:
            db.add(SurveyAnswer(response_id=response_id, element=element, value=value))
        outcome = AnswerOutcome.RECORDED
    except IntegrityError:  # a concurrent duplicate of the same button press won the race
        outcome = AnswerOutcome.REPEATED
    after = _load_state(eng, response_id)
    if outcome is AnswerOutcome.REPEATED and after is not None and after.answers.get(element) != value:
        outcome = AnswerOutcome.ALREADY_ANSWERED
    return outcome, after


def finish_response(response_id: int, comment: str | None, engine: Engine | None = None) -> bool:
    """Close a survey with its optional comment (redacted); False when it was already closed."""
    eng = engine or get_engine()
    with session_scope(eng) as db:
        resp = db.get(SurveyResponse, response_id, with_for_update=True)
        if resp is None or resp.status != "open":
            return False
        resp.status = "completed"
        resp.comment = redact(comment)[:_MAX_COMMENT] if comment else None
        resp.completed_at = dt.datetime.now(dt.UTC)
    return True


def add_complaint(
    sender: str,
    text: str,
    *,
    channel: str = "web",
    response_id: int | None = None,
    engine: Engine | None = None,
) -> int:
    """File a complaint in the staff inbox (one per survey response); returns its id."""
    eng = engine or get_engine()
    ctx: SurveyResponse | None = None
    with session_scope(eng) as db:
        if response_id is not None:
            existing = db.scalars(select(Complaint.id).where(Complaint.response_id == response_id)).first()
            if existing is not None:
                return existing
            ctx = db.get(SurveyResponse, response_id)
    row = Complaint(
        sender=sender[:128],
        channel=channel[:32],
        source="survey" if response_id is not None else "chat",
        response_id=response_id,
        booking_code=ctx.booking_code if ctx else None,
        office_id=ctx.office_id if ctx else None,
        tenant_id=ctx.tenant_id if ctx else None,
        service_id=ctx.service_id if ctx else None,
        text=redact(text)[:_MAX_COMMENT],
        status="open",
    )
    try:
        with session_scope(eng) as db:
            db.add(row)
            db.flush()
            return row.id
    except IntegrityError:  # filed concurrently for the same response
        with session_scope(eng) as db:
            return db.scalars(select(Complaint.id).where(Complaint.response_id == response_id)).one()


def list_complaints(status: str | None = "open", engine: Engine | None = None) -> list[Complaint]:
    """Complaints for the staff inbox, newest first."""
    eng = engine or get_engine()
    with session_scope(eng) as db:
        query = select(Complaint).order_by(Complaint.id.desc())
        if status:
            query = query.where(Complaint.status == status)
        return list(db.scalars(query).all())


def set_complaint_status(complaint_id: int, status: str, engine: Engine | None = None) -> bool:
    """Move a complaint to open, in_progress or closed (closing stamps closed_at); False when unknown."""
    if status not in COMPLAINT_STATUSES:
        raise ValueError(f"status must be one of {COMPLAINT_STATUSES}")
    with session_scope(engine or get_engine()) as db:
        row = db.get(Complaint, complaint_id)
        if row is None:
            return False
        row.status = status
        row.closed_at = dt.datetime.now(dt.UTC) if status == "closed" else None
    return True


def load_responses(
    *,
    office_id: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    engine: Engine | None = None,
) -> list[ResponseRecord]:
    """Responses in a scope with their answers (finished or not: every answer given counts)."""
    eng = engine or get_engine()
    where = []
    if office_id:
        where.append(SurveyResponse.office_id == office_id)
    if date_from:
        where.append(SurveyResponse.day >= date_from)
    if date_to:
        where.append(SurveyResponse.day <= date_to)
    with session_scope(eng) as db:
        responses = db.scalars(select(SurveyResponse).where(*where).order_by(SurveyResponse.id)).all()
        answers: dict[int, dict[str, int | None]] = {r.id: {} for r in responses}
        rows = db.execute(
            select(SurveyAnswer.response_id, SurveyAnswer.element, SurveyAnswer.value)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(*where)
        ).all()
        for rid, element, value in rows:
            answers.setdefault(rid, {})[element] = value
        return [
            ResponseRecord(r.id, r.day, r.office_id, r.tenant_id, r.service_id, r.mode, answers[r.id])
            for r in responses
        ]
