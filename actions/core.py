"""Actions of the core skill: fallback that still tries the knowledge base, and hand-off to staff."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions._kb import get_engine
from actions._messages import messages
from actions.services import answer_events
from mpp.console.unanswered import console_answer, console_reply
from mpp.db import session_scope
from mpp.models import Handoff
from mpp.redact import redact

__all__ = ["ActionCoreFallback", "ActionCoreOutOfScope", "ActionRequestHuman"]

log = logging.getLogger(__name__)


class ActionCoreFallback(Action):
    """Low NLU confidence: answer from the knowledge base when search is sure, else ask to rephrase."""

    def name(self) -> str:
        """Name used in the domain."""
        return "action_core_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Try the search; fall back to a rephrase prompt with the menu."""
        text = tracker.latest_message.get("text") or ""
        if text and get_engine().search(text).confident:
            return answer_events(dispatcher, tracker)
        if text and (staff := console_answer(tracker.sender_id, text)):  # else recorded for the console
            dispatcher.utter_message(text=staff)
            return []
        dispatcher.utter_message(
            text=messages()["fallback"]["rephrase"],
            buttons=[
                {"title": "Lihat menu", "payload": "/menu"},
                {"title": "Bicara dengan petugas", "payload": "/request_human"},
            ],
        )
        return []


class ActionCoreOutOfScope(Action):
    """Out of scope for the NLU: recorded for the staff console, unless staff answered or linked it."""

    def name(self) -> str:
        """Name used in the domain."""
        return "action_core_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Staff's answer, the linked service (found by the search), or the out-of-scope reply."""
        text = tracker.latest_message.get("text") or ""
        kind, value = console_reply(tracker.sender_id, text) if text else ("recorded", None)
        if kind == "answer" and value:
            dispatcher.utter_message(text=value)
            return []
        if kind == "linked" and get_engine().search(text).confident:
            return answer_events(dispatcher, tracker)
        dispatcher.utter_message(response="utter_core_out_of_scope")
        return []


class ActionRequestHuman(Action):
    """Records a hand-off for staff (the console shows the queue) and tells the resident what happens."""

    def name(self) -> str:
        """Name used in the domain."""
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Store the hand-off request."""
        meta = tracker.latest_message.get("metadata") or {}
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "request_human"
        with session_scope() as db:
            existing = db.query(Handoff).filter_by(sender=tracker.sender_id, status="open").first()
            if existing is None:
                db.add(
                    Handoff(
                        sender=tracker.sender_id,
                        channel=str(meta.get("channel") or tracker.sender_id.split(":", 1)[0] or "web"),
                        reason="complaint" if intent == "complain" else "request",
                        last_message=redact(tracker.latest_message.get("text") or "")[:1000],
                    )
                )
        log.info("handoff requested", extra={"reason": intent})
        dispatcher.utter_message(text=messages()["handoff"]["queued"])
        return []
