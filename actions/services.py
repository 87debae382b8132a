"""Actions of the services skill: answering questions about a service from the knowledge base."""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions._format import ASPECTS, format_service_answer
from actions._kb import Resolution, detect, get_engine, resolve_service
from actions._messages import messages
from mpp.console.unanswered import console_answer

__all__ = ["ActionAnswerOfficeHours", "ActionAnswerService", "answer_events"]

log = logging.getLogger(__name__)


def _entity(tracker: Tracker, name: str) -> str | None:
    for e in tracker.latest_message.get("entities") or []:
        if e.get("entity") == name and e.get("value"):
            return str(e["value"])
    return None


def answer_events(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Answer the latest message as a service question; shared by the fallback action."""
    engine = get_engine()
    text = tracker.latest_message.get("text") or ""
    kw_aspect, kw_variant = detect(text)
    aspect = _entity(tracker, "aspect") or kw_aspect
    variant = _entity(tracker, "variant") or kw_variant
    if aspect not in ASPECTS:
        aspect = None
    chosen = _entity(tracker, "service_id")
    current = tracker.get_slot("service_id")
    res = Resolution("answer", chosen) if chosen else resolve_service(engine, text, variant=variant, current_id=current)
    m = messages()["service"]
    log.info("service question", extra={"resolution": res.kind, "service_id": res.service_id, "aspect": aspect})
    if res.kind == "answer" and res.service_id:
        try:
            service = engine.catalogue.service(res.service_id)
        except KeyError:
            dispatcher.utter_message(text=m["not_found"])
            return []
        tenant = engine.catalogue.tenant(service.tenant)
        dispatcher.utter_message(text=format_service_answer(service, tenant, aspect))
        return [SlotSet("service_id", service.id)]
    if res.kind == "choose":
        buttons = [
            {"title": h.name[:60], "payload": "/choose_service" + json.dumps({"service_id": h.id})}
            for h in res.candidates
        ]
        dispatcher.utter_message(text=m["choose"], buttons=buttons)
        return []
    if res.kind == "not_found" and text and (staff := console_answer(tracker.sender_id, text)):
        dispatcher.utter_message(text=staff)  # staff wrote an answer; otherwise it was recorded for them
        return []
    dispatcher.utter_message(text=m["need_service"] if res.kind == "need_service" else m["not_found"])
    return []


class ActionAnswerService(Action):
    """Answers requirements, fee, duration, online, place, schedule or steps of a service."""

    def name(self) -> str:
        """Name used in the domain."""
        return "action_answer_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Resolve the service and answer the aspect asked."""
        return answer_events(dispatcher, tracker)


class ActionAnswerOfficeHours(Action):
    """Tells what is known of MPP opening hours, without stating unverified hours as fact."""

    def name(self) -> str:
        """Name used in the domain."""
        return "action_answer_office_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Send the office-hours note."""
        dispatcher.utter_message(text=messages()["office_hours"]["text"])
        return []
