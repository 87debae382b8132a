"""The survey store: idempotent starts and answers, refusals, complaints, the report's reading (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select, text

from mpp.survey._booking import BookingInfo, booking_by_code, recent_booking_for, served_bookings
from mpp.survey.models import Complaint, SurveyAnswer, SurveyResponse
from mpp.survey.store import (
    AnswerOutcome,
    add_complaint,
    finish_response,
    get_response,
    latest_open_response,
    list_complaints,
    load_responses,
    open_response,
    record_answer,
    sender_hash,
    set_complaint_status,
)
from tests.auxil.bookings import insert_booking

DAY = dt.date(2025, 3, 7)
BOOKING = BookingInfo("KKR-7QX2", "web:ani", "web", "mpp_tenggarong", "disdukcapil", "ktp_baru", DAY, "completed")


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture(autouse=True)
def _settings(clean_env: object) -> None:
    """Fixed settings (secret key) for the sender hash."""


def test_one_response_per_booking_and_context_copied(engine: Engine) -> None:
    first, created = open_response("web:ani", booking=BOOKING, engine=engine)
    again, created_again = open_response("web:ani", booking=BOOKING, engine=engine)
    assert created and not created_again and first.id == again.id
    assert count(engine, SurveyResponse) == 1
    with engine.connect() as conn:
        row = conn.execute(select(SurveyResponse)).one()
    assert (row.office_id, row.tenant_id, row.service_id, row.day, row.booking_code) == (
        "mpp_tenggarong", "disdukcapil", "ktp_baru", DAY, "KKR-7QX2"
    )  # fmt: skip
    assert row.sender_hash == sender_hash("web:ani") and "ani" not in row.sender_hash


def test_without_booking_one_response_per_sender_and_day(engine: Engine) -> None:
    a, _ = open_response("web:budi", service_id="paspor_baru", tenant_id="imigrasi", day=DAY, engine=engine)
    b, _ = open_response("web:budi", day=DAY, engine=engine)
    c, _ = open_response("web:budi", day=DAY + dt.timedelta(days=1), engine=engine)
    d, _ = open_response("web:citra", day=DAY, engine=engine)
    assert a.id == b.id and len({a.id, c.id, d.id}) == 3
    assert a.booking_code is None


def test_concurrent_starts_make_one_response(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(lambda _: open_response("web:ani", booking=BOOKING, engine=engine)[0].id, range(12)))
    assert len(set(ids)) == 1 and count(engine, SurveyResponse) == 1


def test_answers_are_recorded_once(engine: Engine) -> None:
    state, _ = open_response("web:ani", booking=BOOKING, engine=engine)
    assert state.pending == "U1"
    outcome, after = record_answer(state.id, "web:ani", "U1", 3, engine)
    assert outcome is AnswerOutcome.RECORDED and after is not None and after.pending == "U2"
    assert record_answer(state.id, "web:ani", "U1", 3, engine)[0] is AnswerOutcome.REPEATED
    assert record_answer(state.id, "web:ani", "U1", 4, engine)[0] is AnswerOutcome.ALREADY_ANSWERED
    assert record_answer(state.id, "web:ani", "U2", None, engine)[0] is AnswerOutcome.RECORDED  # skipped
    assert record_answer(state.id, "web:ani", "U3", 5, engine)[0] is AnswerOutcome.INVALID_VALUE
    assert record_answer(state.id, "web:ani", "U3", 0, engine)[0] is AnswerOutcome.INVALID_VALUE
    assert record_answer(state.id, "web:ani", "U10", 3, engine)[0] is AnswerOutcome.UNKNOWN_ELEMENT
    assert record_answer(state.id, "web:someone_else", "U3", 3, engine)[0] is AnswerOutcome.NOT_FOUND
    assert record_answer(state.id + 99, "web:ani", "U3", 3, engine)[0] is AnswerOutcome.NOT_FOUND
    got = get_response(state.id, "web:ani", engine)
    assert got is not None and got.answers == {"U1": 3, "U2": None} and got.pending == "U3"
    assert count(engine, SurveyAnswer) == 2


def test_concurrent_replays_of_one_button(engine: Engine) -> None:
    state, _ = open_response("web:ani", booking=BOOKING, engine=engine)
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda _: record_answer(state.id, "web:ani", "U1", 4, engine)[0], range(10)))
    assert outcomes.count(AnswerOutcome.RECORDED) == 1
    assert set(outcomes) <= {AnswerOutcome.RECORDED, AnswerOutcome.REPEATED}
    assert count(engine, SurveyAnswer) == 1


def test_database_refuses_values_outside_the_scale(engine: Engine) -> None:
    state, _ = open_response("web:ani", booking=BOOKING, engine=engine)
    with pytest.raises(Exception, match=r"(?i)check|constraint"), engine.begin() as conn:
        conn.execute(
            text("INSERT INTO survey_answers (response_id, element, value) VALUES (:r, 'U1', 7)"), {"r": state.id}
        )


def test_closed_survey_refuses_answers_and_is_not_reopened(engine: Engine) -> None:
    state, _ = open_response("web:ani", booking=BOOKING, engine=engine)
    record_answer(state.id, "web:ani", "U1", 4, engine)
    assert finish_response(state.id, "petugas ramah, NIK saya 6402010101010001", engine)
    assert not finish_response(state.id, "lagi", engine)
    assert record_answer(state.id, "web:ani", "U2", 4, engine)[0] is AnswerOutcome.CLOSED
    again, created = open_response("web:ani", booking=BOOKING, engine=engine)
    assert not created and again.closed
    assert latest_open_response("web:ani", DAY, engine) is None
    with engine.connect() as conn:
        comment = conn.execute(select(SurveyResponse.comment)).scalar_one()
    assert "6402010101010001" not in comment and "petugas ramah" in comment


def test_quick_mode_asks_one_element(engine: Engine) -> None:
    state, _ = open_response("web:ani", mode="quick:U7", day=DAY, engine=engine)
    assert state.elements == ("U7",) and state.pending == "U7"
    assert record_answer(state.id, "web:ani", "U1", 4, engine)[0] is AnswerOutcome.UNKNOWN_ELEMENT
    _, after = record_answer(state.id, "web:ani", "U7", 4, engine)
    assert after is not None and after.pending is None


def test_complaint_inbox_one_per_response(engine: Engine) -> None:
    state, _ = open_response("web:ani", booking=BOOKING, engine=engine)
    first = add_complaint("web:ani", "antre lama, hp saya 081234567890", response_id=state.id, engine=engine)
    second = add_complaint("web:ani", "antre lama", response_id=state.id, engine=engine)
    assert first == second and count(engine, Complaint) == 1
    [c] = list_complaints(engine=engine)
    assert (c.status, c.source, c.office_id, c.booking_code) == ("open", "survey", "mpp_tenggarong", "KKR-7QX2")
    assert "081234567890" not in c.text and c.sender == "web:ani"
    assert list_complaints("closed", engine=engine) == []
    assert set_complaint_status(first, "closed", engine=engine) and not set_complaint_status(
        999, "closed", engine=engine
    )
    [closed] = list_complaints("closed", engine=engine)
    assert closed.closed_at is not None and list_complaints(engine=engine) == []
    with pytest.raises(ValueError, match="status must be"):
        set_complaint_status(first, "done", engine=engine)


def test_load_responses_by_scope(engine: Engine) -> None:
    a, _ = open_response("web:ani", booking=BOOKING, engine=engine)
    other = BookingInfo(
        "KKR-9ZZ9", "web:dedi", "web", "mini_mpp_sebulu", "disdukcapil", "kk_baru", DAY.replace(month=4), "completed"
    )
    b, _ = open_response("web:dedi", booking=other, engine=engine)
    record_answer(a.id, "web:ani", "U1", 4, engine)
    record_answer(b.id, "web:dedi", "U1", 2, engine)
    record_answer(b.id, "web:dedi", "U2", None, engine)
    assert [r.answers for r in load_responses(engine=engine)] == [{"U1": 4}, {"U1": 2, "U2": None}]
    only = load_responses(office_id="mini_mpp_sebulu", engine=engine)
    assert [r.id for r in only] == [b.id]
    march = load_responses(date_from=DAY, date_to=DAY, engine=engine)
    assert [r.id for r in march] == [a.id]


def test_bookings_read_by_plain_sql(engine: Engine) -> None:
    insert_booking(engine, "KKR-1", "web:ani", DAY)
    insert_booking(engine, "KKR-2", "web:ani", DAY, status="active")
    got = booking_by_code(engine, "KKR-1")
    assert got is not None and (got.office_id, got.tenant_id, got.day, got.status) == (
        "mpp_tenggarong", "disdukcapil", DAY, "completed"
    )  # fmt: skip
    assert booking_by_code(engine, "NOPE") is None
    assert [b.code for b in recent_booking_for(engine, "web:ani", DAY)] == ["KKR-1"]
    assert [b.code for b in served_bookings(engine, "mpp_tenggarong", DAY, DAY)] == ["KKR-1"]
    assert served_bookings(engine, "other", None, None) == []


def test_without_a_bookings_table_there_is_no_booking(tmp_path: object) -> None:
    from mpp.db import engine_for

    bare = engine_for(f"sqlite:///{tmp_path}/bare.db")
    assert booking_by_code(bare, "KKR-1") is None and served_bookings(bare, None, None, None) == []
