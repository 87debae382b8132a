"""Rating actions on tracker fixtures: the exact events, texts and buttons, and what the store holds."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.rating import (
    ActionAskSkm,
    ActionAskSkmComment,
    ActionSubmitSkmComment,
    ValidateSkmCommentForm,
    payload,
    texts,
)
from mpp.survey.models import Complaint, SurveyAnswer, SurveyResponse
from tests.auxil.bookings import insert_booking

TRACKERS = Path(__file__).parents[1] / "data" / "trackers"
SENDER = "web:rating_tester"
CODES = [f"U{i}" for i in range(1, 10)]


@pytest.fixture(autouse=True)
def db(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh SQLite store for each test."""
    from mpp.db import get_engine

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{clean_env / 'rating.db'}")
    get_engine.cache_clear()
    yield get_engine()
    get_engine.cache_clear()


def tracker(slots: dict[str, Any] | None = None, sender: str = SENDER, **message: Any) -> Tracker:
    data = json.loads((TRACKERS / "rating_start.json").read_text(encoding="utf-8"))
    data["latest_message"].update(message)
    data["slots"].update(slots or {})
    data["sender_id"] = sender
    return Tracker.from_dict(data)


def button(element: str, value: Any, response: int = 1, **slots: Any) -> Tracker:
    """The tracker after a survey button was pressed."""
    ents = [{"entity": "skm_element", "value": element}, {"entity": "skm_value", "value": value}]
    ents.append({"entity": "skm_response", "value": response})
    return tracker({"skm_response_id": str(response), **slots}, text=payload(response, element, value), entities=ents)


def run(action: Any, trk: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, trk, {}))
    return dispatcher.messages, events


def count(db: Any, model: type) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_resident_starts_the_survey() -> None:
    msgs, events = run(ActionAskSkm(), tracker())
    assert events == [SlotSet("skm_response_id", "1"), SlotSet("skm_stage", "question")]
    assert msgs[0]["text"] == texts()["start"].format(count=9)
    assert msgs[1]["text"].startswith("*Pertanyaan 1/9 · Persyaratan*\n")
    assert [b["title"] for b in msgs[1]["buttons"]] == [
        "Tidak sesuai",
        "Kurang sesuai",
        "Sesuai",
        "Sangat sesuai",
        "Lewati",
    ]
    assert [b["payload"] for b in msgs[1]["buttons"]] == [
        '/give_rating{"skm_element":"U1","skm_value":1,"skm_response":1}',
        '/give_rating{"skm_element":"U1","skm_value":2,"skm_response":1}',
        '/give_rating{"skm_element":"U1","skm_value":3,"skm_response":1}',
        '/give_rating{"skm_element":"U1","skm_value":4,"skm_response":1}',
        '/give_rating{"skm_element":"U1","skm_value":"lewati","skm_response":1}',
    ]


def test_asking_again_resumes_the_same_survey(db: Any) -> None:
    run(ActionAskSkm(), tracker())
    run(ActionAskSkm(), button("U1", 4))
    msgs, events = run(ActionAskSkm(), tracker())
    assert msgs[0]["text"] == texts()["resume"] and "2/9" in msgs[1]["text"]
    assert events[0] == SlotSet("skm_response_id", "1") and count(db, SurveyResponse) == 1


def test_every_answer_then_the_comment_stage(db: Any) -> None:
    run(ActionAskSkm(), tracker())
    for i, code in enumerate(CODES):
        msgs, events = run(ActionAskSkm(), button(code, "lewati" if code == "U4" else 3))
        if i < 8:
            assert f"{i + 2}/9" in msgs[0]["text"] and events[1] == SlotSet("skm_stage", "question")
    assert msgs == [] and events == [SlotSet("skm_response_id", "1"), SlotSet("skm_stage", "comment")]
    with db.connect() as conn:
        rows = dict(conn.execute(select(SurveyAnswer.element, SurveyAnswer.value)).all())
    assert rows == {c: (None if c == "U4" else 3) for c in CODES}


def test_replayed_button_adds_nothing(db: Any) -> None:
    run(ActionAskSkm(), tracker())
    run(ActionAskSkm(), button("U1", 4))
    msgs, _ = run(ActionAskSkm(), button("U1", 4))
    assert len(msgs) == 1 and "2/9" in msgs[0]["text"]  # silently asks what is still open
    assert count(db, SurveyAnswer) == 1


def test_changed_answer_to_an_answered_element_is_refused(db: Any) -> None:
    run(ActionAskSkm(), tracker())
    run(ActionAskSkm(), button("U1", 4))
    msgs, _ = run(ActionAskSkm(), button("U1", 1))
    assert msgs[0]["text"] == texts()["already_answered"] and "2/9" in msgs[1]["text"]
    with db.connect() as conn:
        assert conn.execute(select(SurveyAnswer.value)).scalar_one() == 4


@pytest.mark.parametrize("value", [0, 5, 7, "x", "3.5"])
def test_value_outside_1_to_4_is_refused(db: Any, value: Any) -> None:
    run(ActionAskSkm(), tracker())
    msgs, _ = run(ActionAskSkm(), button("U1", value))
    assert msgs[0]["text"] == texts()["invalid_value"] and "1/9" in msgs[1]["text"]
    assert count(db, SurveyAnswer) == 0


def test_button_of_a_finished_survey_is_refused(db: Any) -> None:
    run(ActionAskSkm(), tracker())
    run(ActionSubmitSkmComment(), tracker({"skm_response_id": "1", "skm_comment": "-"}))
    msgs, events = run(ActionAskSkm(), button("U2", 3))
    assert [m["text"] for m in msgs] == [texts()["closed"]]
    assert events == [SlotSet("skm_response_id", None), SlotSet("skm_stage", None), SlotSet("skm_comment", None)]
    assert count(db, SurveyAnswer) == 0


def test_someone_elses_survey_button_is_refused(db: Any) -> None:
    run(ActionAskSkm(), tracker())
    ents = [
        {"entity": "skm_element", "value": "U1"},
        {"entity": "skm_value", "value": 4},
        {"entity": "skm_response", "value": 1},
    ]
    msgs, _ = run(ActionAskSkm(), tracker(sender="web:intruder", entities=ents))
    assert msgs[0]["text"] == texts()["closed"] and count(db, SurveyAnswer) == 0


def _insert_booking(db: Any, code: str, status: str = "completed", day: dt.date | None = None) -> None:
    insert_booking(
        db, code, SENDER, day or dt.date(2025, 3, 7), status=status, office_id="mini_mpp_sebulu", service_id="kk_baru"
    )


def test_staff_invitation_for_a_booking(db: Any) -> None:
    _insert_booking(db, "KKR-7QX2")
    invite = tracker(entities=[{"entity": "skm_booking", "value": "KKR-7QX2"}], text=None)
    msgs, events = run(ActionAskSkm(), invite)
    assert msgs[0]["text"] == texts()["invite"].format(code="KKR-7QX2", count=9)
    assert "1/9" in msgs[1]["text"] and events[1] == SlotSet("skm_stage", "question")
    with db.connect() as conn:
        row = conn.execute(select(SurveyResponse)).one()
    assert (row.booking_code, row.office_id, row.service_id, row.day) == (
        "KKR-7QX2", "mini_mpp_sebulu", "kk_baru", dt.date(2025, 3, 7)
    )  # fmt: skip
    run(ActionAskSkm(), button("U1", 4))
    msgs, _ = run(ActionAskSkm(), invite)  # check-in, then completion: the second invitation resumes
    assert msgs[0]["text"] == texts()["resume"] and "2/9" in msgs[1]["text"]
    run(ActionSubmitSkmComment(), tracker({"skm_response_id": "1", "skm_comment": "-"}))
    assert run(ActionAskSkm(), invite)[0] == []  # already rated: nothing to send
    assert count(db, SurveyResponse) == 1


def test_resident_asking_rates_the_recent_visit_once(db: Any) -> None:
    from mpp.survey.store import today_wita

    _insert_booking(db, "KKR-1", day=today_wita() - dt.timedelta(days=1))
    msgs, _ = run(ActionAskSkm(), tracker())
    with db.connect() as conn:
        assert conn.execute(select(SurveyResponse.booking_code)).scalar_one() == "KKR-1"
    run(ActionSubmitSkmComment(), tracker({"skm_response_id": "1", "skm_comment": "-"}))
    msgs, events = run(ActionAskSkm(), tracker())
    assert msgs[0]["text"] == texts()["already_done"] and count(db, SurveyResponse) == 1
    assert events == [SlotSet("skm_response_id", None), SlotSet("skm_stage", None), SlotSet("skm_comment", None)]


def test_service_of_the_conversation_is_stored(db: Any) -> None:
    run(ActionAskSkm(), tracker({"service_id": "paspor_baru"}))
    with db.connect() as conn:
        assert conn.execute(select(SurveyResponse.service_id, SurveyResponse.tenant_id)).one() == (
            "paspor_baru",
            "imigrasi",
        )


def test_quick_mode_asks_one_question(monkeypatch: pytest.MonkeyPatch) -> None:
    from mpp.settings import get_settings

    monkeypatch.setenv("SKM_MODE", "quick")
    monkeypatch.setenv("SKM_QUICK_ELEMENT", "U7")
    get_settings.cache_clear()
    msgs, _ = run(ActionAskSkm(), tracker())
    assert msgs[0]["text"] == texts()["start_quick"]
    assert msgs[1]["text"].startswith("*Pertanyaan 1/1 · Perilaku Pelaksana*")
    msgs, events = run(ActionAskSkm(), button("U7", 4))
    assert msgs == [] and events[1] == SlotSet("skm_stage", "comment")


def test_comment_question_has_a_skip_button() -> None:
    msgs, events = run(ActionAskSkmComment(), tracker({"skm_response_id": "3"}))
    assert events == [] and msgs[0]["text"] == texts()["comment_ask"]
    assert msgs[0]["buttons"] == [
        {"title": "Lewati", "payload": '/give_rating{"skm_element":"komentar","skm_value":"lewati","skm_response":3}'}
    ]


@pytest.mark.parametrize(
    ("message", "expected", "says"),
    [
        ({"text": "petugasnya ramah, mantap"}, "petugasnya ramah, mantap", None),
        ({"text": "tidak ada."}, "-", None),
        ({"text": "Lewati"}, "-", None),
        ({"text": '/share_location{"lat": -0.4, "lon": 117.0}', "intent": {"name": "share_location"}}, "-", None),
        (
            {"intent": {"name": "give_rating"}, "entities": [{"entity": "skm_element", "value": "komentar"}]},
            "-",
            None,
        ),
        (
            {"intent": {"name": "give_rating"}, "entities": [{"entity": "skm_element", "value": "U3"}]},
            None,
            "already_answered",
        ),
    ],
)
def test_comment_validation(message: dict[str, Any], expected: str | None, says: str | None) -> None:
    trk = tracker({"skm_response_id": "1"}, **message)
    dispatcher = CollectingDispatcher()
    slot_value = message.get("text") or "/give_rating{...}"
    got = ValidateSkmCommentForm().validate_skm_comment(slot_value, dispatcher, trk, {})
    assert got == {"skm_comment": expected}
    assert [m["text"] for m in dispatcher.messages] == ([texts()[says]] if says else [])


def test_plain_comment_closes_the_survey_with_thanks(db: Any) -> None:
    run(ActionAskSkm(), tracker())
    msgs, events = run(ActionSubmitSkmComment(), tracker({"skm_response_id": "1", "skm_comment": "sudah bagus"}))
    assert msgs[0]["text"] == texts()["thanks"] and count(db, Complaint) == 0
    assert events == [SlotSet("skm_response_id", None), SlotSet("skm_stage", None), SlotSet("skm_comment", None)]
    with db.connect() as conn:
        assert conn.execute(select(SurveyResponse.status, SurveyResponse.comment)).one() == ("completed", "sudah bagus")


@pytest.mark.parametrize(
    ("comment", "intent"),
    [
        ("antrenya lama sekali, petugas tidak ramah", "give_rating"),
        ("petugasnya main hp terus pas melayani", "complain"),
    ],
)
def test_complaint_comment_lands_in_the_inbox(db: Any, comment: str, intent: str) -> None:
    run(ActionAskSkm(), tracker())
    trk = tracker(
        {"skm_response_id": "1", "skm_comment": comment}, text=comment, intent={"name": intent, "confidence": 0.93}
    )
    msgs, _ = run(ActionSubmitSkmComment(), trk)
    assert msgs[0]["text"] == texts()["complaint"]
    run(ActionSubmitSkmComment(), trk)  # a replay files nothing more
    with db.connect() as conn:
        rows = conn.execute(select(Complaint.sender, Complaint.status, Complaint.response_id, Complaint.text)).all()
    assert rows == [(SENDER, "open", 1, comment)]
