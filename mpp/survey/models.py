"""Tables of the SKM survey: responses, their answers per element, and the complaints inbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from mpp.models import Base

__all__ = ["Complaint", "SurveyAnswer", "SurveyResponse"]


class SurveyResponse(Base):
    """One respondent's survey: at most one per booking, or per sender and day without a booking."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "booking:<code>" or "sender:<hash>:<date>": the unique key that makes starting a survey idempotent.
    key: Mapped[str] = mapped_column(String(160), unique=True)
    booking_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    # SKM is anonymous: only a keyed hash of the conversation id, enough to resume the survey.
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32), default="web")
    office_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    service_id: Mapped[str | None] = mapped_column(String(96), nullable=True, index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    mode: Mapped[str] = mapped_column(String(8), default="full")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SurveyAnswer(Base):
    """The answer to one element (1-4, or NULL when skipped); one per response and element."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "element", name="uq_survey_answers_response_element"),
        CheckConstraint("value IS NULL OR (value >= 1 AND value <= 4)", name="ck_survey_answers_value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    element: Mapped[str] = mapped_column(String(4))
    value: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Complaint(Base):
    """A complaint a resident wrote (e.g. in the survey comment); staff work it in the console."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Staff must be able to answer, so unlike the survey the conversation id is kept.
    sender: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32), default="web")
    source: Mapped[str] = mapped_column(String(16), default="survey")
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    booking_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    office_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    service_id: Mapped[str | None] = mapped_column(String(96), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
