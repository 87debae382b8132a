"""Actions of the rating skill: the SKM survey asked element by element, the comment, complaints."""

from __future__ import annotations

import datetime as dt
import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from mpp.db import get_engine
from mpp.settings import get_settings
from mpp.survey import is_complaint, method
from mpp.survey._booking import booking_by_code, recent_booking_for
from mpp.survey.store import (
    AnswerOutcome,
    ResponseState,
    add_complaint,
    finish_response,
    get_response,
    latest_open_response,
    mode_for,
    open_response,
    record_answer,
    today_wita,
)

__all__ = ["ActionAskSkm", "ActionAskSkmComment", "ActionSubmitSkmComment", "ValidateSkmCommentForm"]

log = logging.getLogger(__name__)
SKIP_VALUE = "lewati"
COMMENT_ELEMENT = "komentar"
_RECENT_DAYS = 7  # a visit this recent can still be rated when the resident asks
_COMPLAINT_CONFIDENCE = 0.7
_RESET = ("skm_response_id", "skm_stage", "skm_comment")


@lru_cache(maxsize=1)
def texts() -> dict[str, Any]:
    """The survey's texts (actions/data/rating.yml), read once."""
    data: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "data" / "rating.yml").read_text(encoding="utf-8"))
    return data


def payload(response_id: int, element: str, value: int | str) -> str:
    """The button payload that answers one element of one survey."""
    body = {"skm_element": element, "skm_value": value, "skm_response": response_id}
    return "/give_rating" + json.dumps(body, separators=(",", ":"))


def _entities(tracker: Tracker) -> dict[str, Any]:
    return {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or []}


def _channel(tracker: Tracker) -> str:
    meta = tracker.latest_message.get("metadata") or {}
    return str(meta.get("channel") or tracker.sender_id.split(":", 1)[0] or "web")


def _value(raw: Any) -> int | str | None:
    """1-4 as int, None for a skip, the string "invalid" for anything else."""
    if isinstance(raw, str) and raw.strip().lower() == SKIP_VALUE:
        return None
    try:
        number = int(str(raw).strip())
    except ValueError:
        return "invalid"
    return number if 1 <= number <= 4 else "invalid"


def _reset() -> list[EventType]:
    return [SlotSet(name, None) for name in _RESET]


@lru_cache(maxsize=1)
def _tenant_of_service() -> dict[str, str]:
    from knowledge_base.catalogue import load_catalogue

    return {s.id: s.tenant for s in load_catalogue(get_settings().catalogue_dir).services}


def ask_next(dispatcher: CollectingDispatcher, state: ResponseState) -> list[EventType]:
    """Ask the next element with its answer buttons, or hand over to the comment form."""
    pending = state.pending
    if pending is None:
        return [SlotSet("skm_response_id", str(state.id)), SlotSet("skm_stage", "comment")]
    element = method().element(pending)
    t = texts()
    buttons = [{"title": label, "payload": payload(state.id, pending, i)} for i, label in enumerate(element.labels, 1)]
    buttons.append({"title": t["skip"], "payload": payload(state.id, pending, SKIP_VALUE)})
    text = t["question"].format(
        index=state.elements.index(pending) + 1, count=len(state.elements), name=element.name, question=element.question
    )
    dispatcher.utter_message(text=text, buttons=buttons)
    return [SlotSet("skm_response_id", str(state.id)), SlotSet("skm_stage", "question")]


class ActionAskSkm(Action):
    """Starts (or resumes) a survey, records a button answer, and asks the next element."""

    def name(self) -> str:
        """Name used in the domain."""
        return "action_ask_skm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Dispatch on what arrived: a staff invitation, an answer, or a resident's request."""
        ents = _entities(tracker)
        if ents.get("skm_booking"):
            return self._invite(dispatcher, tracker, str(ents["skm_booking"]))
        if ents.get("skm_element"):
            return self._answer(dispatcher, tracker, ents)
        return self._start(dispatcher, tracker)

    def _mode(self) -> str:
        s = get_settings()
        return mode_for(s.skm_mode, s.skm_quick_element)

    def _invite(self, dispatcher: CollectingDispatcher, tracker: Tracker, code: str) -> list[EventType]:
        booking = booking_by_code(get_engine(), code)
        state, _created = open_response(
            tracker.sender_id, channel=_channel(tracker), mode=self._mode(), booking=booking, booking_code=code
        )
        if state.closed:  # invited again (check-in, then completion): stay silent
            return _reset()
        t = texts()
        first = not state.answers
        dispatcher.utter_message(
            text=t["invite"].format(code=code, count=len(state.elements)) if first else t["resume"]
        )
        log.info("survey invited", extra={"response": state.id, "resumed": not first})
        return ask_next(dispatcher, state)

    def _start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        t = texts()
        state = self._current(tracker)
        if state is None:
            state, rated = self._open_for_resident(tracker)
            if state is None or rated:
                dispatcher.utter_message(text=t["already_done"])
                return _reset()
        if state.answers:
            dispatcher.utter_message(text=t["resume"])
        elif len(state.elements) == 1:
            dispatcher.utter_message(text=t["start_quick"])
        else:
            dispatcher.utter_message(text=t["start"].format(count=len(state.elements)))
        log.info("survey started", extra={"response": state.id})
        return ask_next(dispatcher, state)

    def _current(self, tracker: Tracker) -> ResponseState | None:
        """The open survey of this conversation, if any."""
        rid = tracker.get_slot("skm_response_id")
        state = get_response(int(rid), tracker.sender_id) if rid and str(rid).isdigit() else None
        if state is not None and not state.closed:
            return state
        since = today_wita() - dt.timedelta(days=_RECENT_DAYS)
        return latest_open_response(tracker.sender_id, since)

    def _open_for_resident(self, tracker: Tracker) -> tuple[ResponseState | None, bool]:
        """A survey for the resident's latest unrated visit, else one for today. Returns (state, all rated)."""
        since = today_wita() - dt.timedelta(days=_RECENT_DAYS)
        visits = recent_booking_for(get_engine(), tracker.sender_id, since)
        for booking in visits:
            state, _ = open_response(tracker.sender_id, channel=_channel(tracker), mode=self._mode(), booking=booking)
            if not state.closed:
                return state, False
        if visits:
            return None, True
        service_id = tracker.get_slot("service_id")
        tenant = _tenant_of_service().get(service_id) if service_id else None
        state, _ = open_response(
            tracker.sender_id, channel=_channel(tracker), mode=self._mode(), service_id=service_id, tenant_id=tenant
        )
        return state, state.closed

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, ents: dict[str, Any]) -> list[EventType]:
        t = texts()
        rid = ents.get("skm_response") or tracker.get_slot("skm_response_id")
        value = _value(ents.get("skm_value"))
        element = str(ents["skm_element"])
        if rid is None or not str(rid).isdigit():
            dispatcher.utter_message(text=t["closed"])
            return _reset()
        if value == "invalid":
            outcome, state = AnswerOutcome.INVALID_VALUE, get_response(int(rid), tracker.sender_id)
            if state is not None and state.closed:
                outcome = AnswerOutcome.CLOSED
        else:
            outcome, state = record_answer(int(rid), tracker.sender_id, element, value)  # type: ignore[arg-type]
        log.info("survey answer", extra={"response": rid, "element": element, "outcome": outcome.value})
        if state is None or outcome in (AnswerOutcome.NOT_FOUND, AnswerOutcome.CLOSED):
            dispatcher.utter_message(text=t["closed"])
            return _reset()
        if outcome is AnswerOutcome.INVALID_VALUE:
            dispatcher.utter_message(text=t["invalid_value"])
        elif outcome in (AnswerOutcome.ALREADY_ANSWERED, AnswerOutcome.UNKNOWN_ELEMENT):
            dispatcher.utter_message(text=t["already_answered"])
        return ask_next(dispatcher, state)


class ActionAskSkmComment(Action):
    """Asks for the optional comment, with a *Lewati* button."""

    def name(self) -> str:
        """Name used in the domain."""
        return "action_ask_skm_comment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Ask the comment question."""
        rid = tracker.get_slot("skm_response_id")
        rid_int = int(rid) if rid and str(rid).isdigit() else 0
        dispatcher.utter_message(
            text=texts()["comment_ask"],
            buttons=[{"title": texts()["skip"], "payload": payload(rid_int, COMMENT_ELEMENT, SKIP_VALUE)}],
        )
        return []


class ValidateSkmCommentForm(FormValidationAction):
    """Turns the resident's reply into the comment: text, or "-" when skipped; refuses stale buttons."""

    def name(self) -> str:
        """Name used in the domain."""
        return "validate_skm_comment_form"

    def validate_skm_comment(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Skip button or skip words give "-"; an old element button is refused and the question repeated."""
        ents = _entities(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "give_rating" and ents.get("skm_booking"):  # an invitation while the comment is asked
            return {"skm_comment": None}
        if intent == "give_rating" and ents.get("skm_element"):
            if str(ents["skm_element"]) == COMMENT_ELEMENT:
                return {"skm_comment": "-"}
            dispatcher.utter_message(text=texts()["already_answered"])
            return {"skm_comment": None}
        text = str(slot_value or "").strip()
        if text.startswith("/"):  # another skill's button: not a comment, and the survey must not trap the resident
            return {"skm_comment": "-"}
        words = " ".join(text.lower().replace(".", " ").split())
        if not text or words in {str(w) for w in texts()["skip_words"]}:
            return {"skm_comment": "-"}
        return {"skm_comment": text[:1000]}


class ActionSubmitSkmComment(Action):
    """Stores the comment, files a complaint when it is one, closes the survey and thanks."""

    def name(self) -> str:
        """Name used in the domain."""
        return "action_submit_skm_comment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Finish the survey."""
        t = texts()
        rid = tracker.get_slot("skm_response_id")
        comment = tracker.get_slot("skm_comment")
        comment = None if comment in (None, "-") else str(comment)
        if not rid or not str(rid).isdigit() or get_response(int(rid), tracker.sender_id) is None:
            dispatcher.utter_message(text=t["thanks"])
            return _reset()
        finish_response(int(rid), comment)
        intent = tracker.latest_message.get("intent") or {}
        nlu_says = intent.get("name") == "complain" and float(intent.get("confidence") or 0) >= _COMPLAINT_CONFIDENCE
        if comment and (is_complaint(comment) or nlu_says):
            add_complaint(tracker.sender_id, comment, channel=_channel(tracker), response_id=int(rid))
            log.info("survey complaint filed", extra={"response": rid})
            dispatcher.utter_message(text=t["complaint"])
        else:
            dispatcher.utter_message(text=t["thanks"])
        return _reset()
