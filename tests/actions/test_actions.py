"""Actions run on tracker fixtures (tests/data/trackers), asserting the exact events and texts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.core import ActionCoreFallback, ActionRequestHuman
from actions.services import ActionAnswerOfficeHours, ActionAnswerService

TRACKERS = Path(__file__).parents[1] / "data" / "trackers"
pytestmark = pytest.mark.slow  # loads the search index


def tracker(name: str, **changes: Any) -> Tracker:
    data = json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8"))
    data.update(changes)
    return Tracker.from_dict(data)


def run(action: Any, trk: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, trk, {}))
    return dispatcher.messages, events


def test_followup_fee_uses_the_service_last_discussed() -> None:
    msgs, events = run(ActionAnswerService(), tracker("followup_fee"))
    assert events == [SlotSet("service_id", "paspor_baru")]
    assert len(msgs) == 1
    text = msgs[0]["text"]
    assert "Paspor baru" in text and "Biaya:" in text and "PP 45/2024" in text
    assert "Persyaratan" not in text  # only the aspect asked


def test_followup_variant_moves_to_the_sibling() -> None:
    msgs, events = run(ActionAnswerService(), tracker("followup_variant"))
    assert events == [SlotSet("service_id", "ktp_hilang")]
    assert "Persyaratan" in msgs[0]["text"]


def test_new_question_answers_requirements_and_marks_unverified() -> None:
    msgs, events = run(ActionAnswerService(), tracker("new_question"))
    assert events == [SlotSet("service_id", "skck_baru")]
    text = msgs[0]["text"]
    assert text.startswith("*SKCK")
    assert "1. " in text
    assert "belum diverifikasi" not in text  # skck_baru is a verified entry


def test_button_choice_answers_that_service() -> None:
    msgs, events = run(ActionAnswerService(), tracker("button_choice"))
    assert events == [SlotSet("service_id", "paspor_hilang")]
    assert "Samarinda" in msgs[0]["text"]


def test_ambiguous_question_offers_at_most_three_buttons() -> None:
    trk = tracker("new_question", latest_message={"text": "paspor", "intent": {"name": "ask_service"}, "entities": []})
    msgs, events = run(ActionAnswerService(), trk)
    assert events == []
    assert 2 <= len(msgs[0]["buttons"]) <= 3
    from actions._kb import get_engine

    for b in msgs[0]["buttons"]:
        assert b["payload"].startswith("/choose_service{")
        sid = json.loads(b["payload"][len("/choose_service") :])["service_id"]
        assert "paspor" in get_engine().catalogue.service(sid).name.lower()


def test_aspect_without_any_service_asks_which() -> None:
    trk = tracker("followup_fee", slots={"service_id": None})
    msgs, events = run(ActionAnswerService(), trk)
    assert events == []
    assert "Layanan yang mana" in msgs[0]["text"]


def test_office_hours_do_not_state_unverified_hours_as_fact() -> None:
    msgs, _ = run(ActionAnswerOfficeHours(), tracker("new_question"))
    assert "belum kami pastikan" in msgs[0]["text"]


def test_fallback_answers_from_search_when_confident() -> None:
    trk = tracker(
        "new_question",
        latest_message={"text": "akta kematian bapak", "intent": {"name": "nlu_fallback"}, "entities": []},
    )
    _msgs, events = run(ActionCoreFallback(), trk)
    assert events == [SlotSet("service_id", "akta_kematian")]


def test_fallback_rephrase_for_nonsense(clean_env: Path) -> None:
    from mpp.db import get_engine

    trk = tracker(
        "new_question", latest_message={"text": "asdf qwerty zxcv", "intent": {"name": "nlu_fallback"}, "entities": []}
    )
    get_engine.cache_clear()  # the question is recorded for the staff console in the test database
    try:
        msgs, events = run(ActionCoreFallback(), trk)
    finally:
        get_engine.cache_clear()
    assert events == []
    assert "belum paham" in msgs[0]["text"]
    assert [b["payload"] for b in msgs[0]["buttons"]] == ["/menu", "/request_human"]


def test_request_human_is_recorded_without_the_phone_number(clean_env: Path) -> None:
    from mpp.db import get_engine, session_scope
    from mpp.models import Handoff

    get_engine.cache_clear()
    try:
        msgs, _ = run(ActionRequestHuman(), tracker("request_human"))
        run(ActionRequestHuman(), tracker("request_human"))  # asking twice keeps one open hand-off
        with session_scope() as db:
            rows = db.query(Handoff).all()
        assert len(rows) == 1
        assert rows[0].sender == "tg:99887766" and rows[0].channel == "telegram" and rows[0].status == "open"
        assert "081234567890" not in rows[0].last_message and "[PHONE]" in rows[0].last_message
        assert "petugas" in msgs[0]["text"]
    finally:
        get_engine.cache_clear()
