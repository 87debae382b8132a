"""Actions of the booking skill: the booking form, "cek booking", cancel, reschedule, nearest office."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions._kb import get_engine, resolve_service
from actions._messages import messages
from knowledge_base.offices import WEEKDAYS, Office
from knowledge_base.places import PlaceMatch, haversine_km, load_gazetteer, nearest_offices
from knowledge_base.schema import Service
from mpp.booking import Booking, BookingError, BookingService, get_booking_service
from mpp.booking.codes import display_code, normalise_code
from mpp.booking.dates import WITA, format_day, format_time, parse_date, parse_time
from mpp.booking.notices import booking_fields
from mpp.booking.service import Slot

__all__ = [
    "ActionAskBookingConfirm",
    "ActionAskBookingDate",
    "ActionAskBookingName",
    "ActionAskBookingOffice",
    "ActionAskBookingService",
    "ActionAskBookingTime",
    "ActionBookingCancel",
    "ActionBookingList",
    "ActionBookingStart",
    "ActionBookingStop",
    "ActionBookingSubmit",
    "ActionNearestOffice",
    "ValidateBookingForm",
]

log = logging.getLogger(__name__)
FORM_SLOTS = ("booking_service", "booking_office", "booking_date", "booking_time", "booking_name", "booking_confirm")
# Intents that leave the form to a rule (answered, then the form resumes or stops) when the message
# is not also a valid answer to the question asked.
_INTERRUPTS = {"ask_service", "ask_office_hours", "deny", "cancel_booking", "request_human"}
_STOP_WORDS = re.compile(r"\b(batal|batalkan|gak jadi|ga jadi|nggak jadi|tidak jadi|tdk jadi|stop|berhenti)\b", re.I)
# Words of the booking request itself: without them the rest names the service ("mau booking jadwal
# bikin paspor" → "bikin paspor"); with them the search leans to the MPP's own queue-info entry.
_BOOKING_WORDS = re.compile(
    r"\b(mau|ingin|pengen|pgn|mo|mw|booking|booking-?an|book|reservasi|pesan|jadwal|antrean|antrian|antri|ngantri|"
    r"ambil|nomor|no|daftar|kunjungan|datang|ke|di|mpp|mini|kukar|tenggarong|dong|ya|kak|min|jam|tanggal|tgl|besok|lusa)\b",
    re.I,
)
_ABORTED = "aborted"
_DONE = "done"
_MAX_TIME_BUTTONS = 10
# A location this far from every office is not in Kukar (the regency spans ~300 km).
_FAR_KM = 150.0


def _m() -> dict[str, Any]:
    return messages("booking")


def _svc() -> BookingService:
    return get_booking_service()


def _entity(tracker: Tracker, name: str) -> str | None:
    for e in tracker.latest_message.get("entities") or []:
        if e.get("entity") == name and e.get("value") not in (None, ""):
            return str(e["value"])
    return None


def _intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def _text(tracker: Tracker) -> str:
    text = str(tracker.latest_message.get("text") or "")
    return "" if text.startswith("/") else text  # button payloads carry entities, not words


def _channel(sender: str) -> str:
    return sender.split(":", 1)[0] if ":" in sender else "web"


def _payload(intent: str, **entities: str) -> str:
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False)


def _service_obj(service_id: str | None) -> Service | None:
    return _svc().directory.service(service_id) if service_id else None


def _office_obj(office_id: str | None) -> Office | None:
    return _svc().directory.get(office_id) if office_id else None


def _slot_button(slot: Slot) -> dict[str, str]:
    label = format_time(slot.start)
    return {"title": label, "payload": _payload("inform", jam=f"{slot.start:%H:%M}")}


def _day_button(day: dt.date) -> dict[str, str]:
    return {"title": format_day(day), "payload": _payload("inform", tanggal=day.isoformat())}


def _booking_line(b: Booking) -> dict[str, str]:
    return booking_fields(_svc().directory, b)


def _place_from(tracker: Tracker) -> PlaceMatch | None:
    lat, lon = _entity(tracker, "lat"), _entity(tracker, "lon")
    if lat is not None and lon is not None:
        try:
            la, lo = float(lat), float(lon)
        except ValueError:
            return None
        if -90 <= la <= 90 and -180 <= lo <= 180:
            return PlaceMatch(kind="location", name="lokasi Bapak/Ibu", kecamatan=None, lat=la, lon=lo, score=100.0)
        return None
    gaz = load_gazetteer()
    for name in ("desa", "kecamatan"):
        value = _entity(tracker, name)
        if value:
            hit = gaz.find(value)
            if hit:
                return hit
    text = _text(tracker)
    return gaz.find(text) if text else None


def _reset() -> list[EventType]:
    return [SlotSet(s, None) for s in (*FORM_SLOTS, "booking_reschedule", "booking_choices", "requested_slot")]


def _abort() -> list[EventType]:
    """Fill every form slot so the form ends at once (the submit action then stays silent)."""
    return [SlotSet(s, _ABORTED) for s in FORM_SLOTS]


# -- starting -----------------------------------------------------------------------------------
class ActionBookingStart(Action):
    """Prepare the form from the opening message: service, place, date, or the booking to move."""

    def name(self) -> str:
        """Action name."""
        return "action_booking_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Pre-fill what the resident already said."""
        events = _reset()
        if _intent(tracker) == "reschedule_booking":
            return events + self._reschedule(dispatcher, tracker)
        svc = _svc()
        if len(svc.active_for(tracker.sender_id)) >= svc.max_active:  # say so now, not after six questions
            dispatcher.utter_message(text=_m()["too_many"].format(max=svc.max_active))
            return events + _abort()
        chosen = _entity(tracker, "service_id")
        service_id = chosen
        text = _text(tracker)
        if service_id is None and text:
            words = " ".join(_BOOKING_WORDS.sub(" ", text).split())
            res = resolve_service(get_engine(), words) if words else None
            if res is not None and res.kind == "answer":
                service_id = res.service_id
            elif res is not None and res.kind == "choose":
                return [*events, SlotSet("booking_choices", [h.id for h in res.candidates])]
        if service_id is None:  # "booking dong" right after asking about a service: that one
            service_id = tracker.get_slot("service_id")
        if service_id:
            service = svc.directory.service(service_id)
            if service is not None:
                fill = _fill_service(dispatcher, service)
                events += fill
                if any(isinstance(e, dict) and e.get("value") == _ABORTED for e in fill):
                    return events
                office_id = next((e["value"] for e in fill if e.get("name") == "booking_office"), None)
                if office_id is None:
                    place = _place_from(tracker) if text else None
                    if place is not None:
                        events += _fill_office(dispatcher, service, place)
                        office_id = next((e["value"] for e in events if e.get("name") == "booking_office"), None)
                if office_id:
                    parsed = parse_date(text, svc.today()) if text else None
                    if parsed is not None and parsed.kind == "date" and parsed.date is not None:
                        events += _fill_date(dispatcher, service, office_id, parsed.date)
        return events

    def _reschedule(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        m = _m()
        svc = _svc()
        sender = tracker.sender_id
        code = _entity(tracker, "kode_booking")
        code = normalise_code(code) if code else normalise_code(_text(tracker))
        active = svc.active_for(sender)
        if code is None:
            if len(active) == 1:
                code = active[0].code
            else:
                if not active:
                    dispatcher.utter_message(text=m["list_none"])
                else:
                    buttons = [
                        {"title": display_code(b.code), "payload": _payload("reschedule_booking", kode_booking=b.code)}
                        for b in active
                    ]
                    dispatcher.utter_message(text=m["reschedule_which"], buttons=buttons)
                return _abort()
        booking = next((b for b in active if b.code == code), None)
        if booking is None:
            dispatcher.utter_message(text=m["cancel_not_found"])
            return _abort()
        line = _booking_line(booking)
        dispatcher.utter_message(text=m["reschedule_start"].format(**line))
        return [
            SlotSet("booking_reschedule", booking.code),
            SlotSet("booking_service", booking.service_id),
            SlotSet("booking_office", booking.office_id),
            SlotSet("booking_name", "-"),
        ]


def _fill_service(dispatcher: CollectingDispatcher, service: Service) -> list[EventType]:
    m = _m()
    svc = _svc()
    why = svc.directory.why_not_bookable(service)
    if why is not None:
        dispatcher.utter_message(
            text=m["not_bookable"].format(service=service.name, reason=why or m["not_bookable_default"])
        )
        return _abort()
    events: list[EventType] = [SlotSet("booking_service", service.id), SlotSet("service_id", service.id)]
    offices = svc.directory.offices_for(service)
    if len(offices) == 1:
        dispatcher.utter_message(text=m["office_only_mpp"].format(service=service.name, office=offices[0].name))
        events.append(SlotSet("booking_office", offices[0].id))
    else:
        dispatcher.utter_message(text=m["service_set"].format(service=service.name))
    return events


def _fill_office(dispatcher: CollectingDispatcher, service: Service, place: PlaceMatch) -> list[EventType]:
    m = _m()
    offices = _svc().directory.offices_for(service)
    ranked = nearest_offices(offices, place, limit=1)
    if not ranked:
        return [SlotSet("booking_office", None)]
    best = ranked[0]
    if place.kind == "location":
        km = haversine_km(place.lat, place.lon, best.office.lat, best.office.lon)
        if km > _FAR_KM:
            dispatcher.utter_message(text=m["nearest_far"].format(km=round(km)))
            return [SlotSet("booking_office", None)]
    if best.distance_km is not None:
        distance = m["office_distance"].format(km=f"{best.distance_km:.1f}".replace(".", ","), place=place.name)
    else:
        distance = m["office_home"].format(kecamatan=place.kecamatan)
    dispatcher.utter_message(
        text=m["office_nearest"].format(service=service.name, office=best.office.name, distance=distance)
    )
    if place.alternatives:
        dispatcher.utter_message(text=m["office_other_desa"].format(names=", ".join(place.alternatives)))
    return [SlotSet("booking_office", best.office.id)]


def _fill_date(dispatcher: CollectingDispatcher, service: Service, office_id: str, day: dt.date) -> list[EventType]:
    """Set the date when bookable; otherwise explain why and leave it empty (the form asks again)."""
    m = _m()
    svc = _svc()
    office = svc.directory.get(office_id)
    if office is None:
        return [SlotSet("booking_date", None)]
    check = svc.check_day(office_id, service.id, day)
    if check.ok and svc.free_slots(office_id, service.id, day):
        return [SlotSet("booking_date", day.isoformat())]
    day_label = format_day(day)
    if check.ok:
        text = m["date_full"].format(day=day_label)
    elif check.reason == "past":
        text = m["date_past"]
    elif check.reason == "horizon":
        text = m["date_horizon"].format(days=check.detail)
    elif check.reason == "holiday":
        text = m["date_holiday"].format(day=day_label, name=check.detail)
    elif check.reason == "closure":
        text = m["date_closure"].format(office=office.name, day=day_label, reason=check.detail)
    else:
        rule = svc.directory.rule(office, service)
        note = f" {rule.note}" if rule and rule.note else ""
        weekday = m["weekdays"][WEEKDAYS[day.weekday()]]
        text = m["date_not_served"].format(service=service.name, office=office.name, weekday=weekday, rule=note)
    dispatcher.utter_message(text=text)
    return [SlotSet("booking_date", None)]


# -- the form -----------------------------------------------------------------------------------
class ValidateBookingForm(FormValidationAction):
    """Fills the requested slot from whatever the resident sent: text, button or location."""

    def name(self) -> str:
        """Action name."""
        return "validate_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Validate the answer to the question last asked."""
        requested = tracker.get_slot("requested_slot")
        if requested not in FORM_SLOTS:
            return []
        intent = _intent(tracker)
        text = _text(tracker)
        if requested != "booking_confirm" and (
            intent in ("deny", "cancel_booking", "request_human") or (text and _STOP_WORDS.search(text))
        ):
            return []  # a rule stops the form
        handler = getattr(self, f"_{requested}")
        events: list[EventType] | None = handler(dispatcher, tracker, intent, text)
        if events is None:  # not an answer: leave it to the rules (a question, a request for a person)
            return []
        return events

    def _booking_service(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, text: str
    ) -> list[EventType] | None:
        m = _m()
        chosen = _entity(tracker, "service_id")
        service_id = chosen
        if service_id is None and text:
            res = resolve_service(get_engine(), text)
            if res.kind == "choose":
                buttons = [
                    {"title": h.name[:60], "payload": _payload("inform", service_id=h.id)} for h in res.candidates
                ]
                dispatcher.utter_message(text=m["ask_service_choose"], buttons=buttons)
                return [SlotSet("booking_service", None)]
            service_id = res.service_id if res.kind == "answer" else None
        service = _service_obj(service_id)
        if service is None:
            if intent in _INTERRUPTS - {"ask_service"}:
                return None
            dispatcher.utter_message(text=m["ask_service_not_found"])
            return [SlotSet("booking_service", None)]
        return _fill_service(dispatcher, service)

    def _booking_office(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, text: str
    ) -> list[EventType] | None:
        m = _m()
        service = _service_obj(tracker.get_slot("booking_service"))
        if service is None:
            return [SlotSet("booking_service", None)]
        chosen = _entity(tracker, "office_id")
        office = _office_obj(chosen)
        if office is not None and office in _svc().directory.offices_for(service):
            return [SlotSet("booking_office", office.id)]
        place = _place_from(tracker)
        if place is None:
            if intent in _INTERRUPTS:
                return None
            dispatcher.utter_message(text=m["office_not_found"])
            return [SlotSet("booking_office", None)]
        return _fill_office(dispatcher, service, place)

    def _booking_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, text: str
    ) -> list[EventType] | None:
        m = _m()
        svc = _svc()
        service = _service_obj(tracker.get_slot("booking_service"))
        office_id = tracker.get_slot("booking_office")
        if service is None or not office_id:
            return [SlotSet("booking_office", None)]
        value = _entity(tracker, "tanggal")
        source = text or value or ""
        if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            source = value
        parsed = parse_date(source, svc.today())
        if parsed.kind == "date" and parsed.date is not None:
            events = _fill_date(dispatcher, service, office_id, parsed.date)
            if not tracker.get_slot("booking_reschedule"):
                time = parse_time(text)
                if time is not None and events and events[0].get("value"):
                    events += _fill_time(dispatcher, service, office_id, parsed.date, time)
            return events
        if parsed.kind == "invalid":
            dispatcher.utter_message(text=m["date_invalid"])
            return [SlotSet("booking_date", None)]
        place = load_gazetteer().find(text) if text else None
        if place is not None and not tracker.get_slot("booking_reschedule"):  # "kantor lain": change the office
            return [*_fill_office(dispatcher, service, place), SlotSet("booking_date", None)]
        if intent in _INTERRUPTS:
            return None
        dispatcher.utter_message(text=m["date_none"])
        return [SlotSet("booking_date", None)]

    def _booking_time(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, text: str
    ) -> list[EventType] | None:
        m = _m()
        service = _service_obj(tracker.get_slot("booking_service"))
        office_id = tracker.get_slot("booking_office")
        day_iso = tracker.get_slot("booking_date")
        if service is None or not office_id or not day_iso:
            return [SlotSet("booking_date", None)]
        day = dt.date.fromisoformat(day_iso)
        value = _entity(tracker, "jam")
        time = parse_time(value) if value else None
        if time is None and value and re.fullmatch(r"\d{2}:\d{2}", value):
            time = dt.time.fromisoformat(value)
        if time is None:
            time = parse_time(text)
        if time is None:
            parsed = parse_date(text, _svc().today()) if text else None
            if parsed is not None and parsed.kind == "date" and parsed.date is not None:  # another day instead
                return [*_fill_date(dispatcher, service, office_id, parsed.date), SlotSet("booking_time", None)]
            if intent in _INTERRUPTS:
                return None
            dispatcher.utter_message(text=m["time_none"])
            return [SlotSet("booking_time", None)]
        return _fill_time(dispatcher, service, office_id, day, time)

    def _booking_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, text: str
    ) -> list[EventType] | None:
        name = " ".join(
            re.sub(r"^(nama( saya)?|atas nama|an\.?|a\.n\.?)\s*:?\s*", "", text.strip(), flags=re.I).split()
        )
        if (
            not (2 <= len(name) <= 80)
            or not re.fullmatch(r"[A-Za-zÀ-ÿ.' -]+", name)
            or not re.search("[A-Za-z]{2}", name)
        ):
            if intent in _INTERRUPTS - {"deny"} and not text:
                return None
            dispatcher.utter_message(text=_m()["name_invalid"])
            return [SlotSet("booking_name", None)]
        return [SlotSet("booking_name", name.title() if name.islower() or name.isupper() else name)]

    def _booking_confirm(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, text: str
    ) -> list[EventType] | None:
        m = _m()
        if intent == "affirm" or _entity(tracker, "konfirmasi") == "ya":
            return self._commit(dispatcher, tracker)
        if intent in ("deny", "cancel_booking") or (text and _STOP_WORDS.search(text)):
            dispatcher.utter_message(text=m["cancelled_flow"])
            return [SlotSet("booking_confirm", "no")]
        if intent in _INTERRUPTS:
            return None
        dispatcher.utter_message(text=m["confirm_unclear"])
        return [SlotSet("booking_confirm", None)]

    def _commit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        m = _m()
        svc = _svc()
        day = dt.date.fromisoformat(str(tracker.get_slot("booking_date")))
        start = dt.datetime.combine(day, dt.time.fromisoformat(str(tracker.get_slot("booking_time"))), tzinfo=WITA)
        reschedule = tracker.get_slot("booking_reschedule")
        try:
            if reschedule:
                booking = svc.reschedule(tracker.sender_id, str(reschedule), start)
            else:
                booking = svc.book(
                    tracker.sender_id,
                    _channel(tracker.sender_id),
                    str(tracker.get_slot("booking_office")),
                    str(tracker.get_slot("booking_service")),
                    start,
                    str(tracker.get_slot("booking_name")),
                )
        except BookingError as exc:
            log.info("booking refused", extra={"kind": exc.kind})
            if exc.kind in ("slot_full", "quota_full", "past", "bad_slot"):
                dispatcher.utter_message(text=m["slot_taken"].format(time=format_time(start)))
                return [SlotSet("booking_time", None), SlotSet("booking_confirm", None)]
            if exc.kind == "too_many":
                dispatcher.utter_message(text=m["too_many"].format(max=exc.detail))
                return [SlotSet("booking_confirm", "no")]
            dispatcher.utter_message(text=m["failed"].format(reason=_reason_text(exc)))
            return [SlotSet("booking_confirm", "no")]
        log.info(
            "booking made",
            extra={"office": booking.office_id, "service": booking.service_id, "rescheduled": bool(reschedule)},
        )
        return [SlotSet("booking_confirm", _DONE), SlotSet("booking_code", booking.code)]


def _reason_text(exc: BookingError) -> str:
    m = _m()
    table = {
        "holiday": m["date_holiday"].format(day="Hari itu", name=exc.detail or ""),
        "horizon": m["date_horizon"].format(days=exc.detail or ""),
        "closure": "kantor tutup pada hari itu.",
        "not_served": "layanan tidak dilayani pada hari itu.",
        "not_offered": "kantor itu tidak melayani layanan ini.",
    }
    return table.get(exc.kind, "data pemesanan tidak lengkap.")


def _fill_time(
    dispatcher: CollectingDispatcher, service: Service, office_id: str, day: dt.date, time: dt.time
) -> list[EventType]:
    svc = _svc()
    free = svc.free_slots(office_id, service.id, day)
    for slot in free:
        if slot.start.time() == time:
            return [SlotSet("booking_time", f"{time:%H:%M}")]
    dispatcher.utter_message(text=_m()["time_unavailable"].format(time=format_time(time)))
    return [SlotSet("booking_time", None)]


class ActionAskBookingService(Action):
    """Ask which service."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Ask, with buttons when the opening message left a choice between sibling services."""
        m = _m()
        choices = [s for s in (_service_obj(i) for i in tracker.get_slot("booking_choices") or []) if s is not None]
        if choices:
            buttons = [{"title": s.name[:60], "payload": _payload("inform", service_id=s.id)} for s in choices]
            dispatcher.utter_message(text=m["ask_service_choose"], buttons=buttons)
            return [SlotSet("booking_choices", None)]
        dispatcher.utter_message(text=m["ask_service"])
        return []


class ActionAskBookingOffice(Action):
    """Ask where the resident lives (or for a location)."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_office"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Ask."""
        dispatcher.utter_message(text=_m()["ask_office"])
        return []


class ActionAskBookingDate(Action):
    """Ask the date, offering the next open days as buttons."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Ask."""
        m = _m()
        svc = _svc()
        office_id, service_id = tracker.get_slot("booking_office"), tracker.get_slot("booking_service")
        days: list[dt.date] = []
        if office_id and service_id:
            days = svc.next_open_days(str(office_id), str(service_id), svc.today(), limit=3)
        text = m["ask_date"] + (f"\n{m['ask_date_suggest']}" if days else "")
        dispatcher.utter_message(text=text, buttons=[_day_button(d) for d in days])
        return []


class ActionAskBookingTime(Action):
    """Offer the free slots of the chosen day as buttons."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Ask."""
        m = _m()
        svc = _svc()
        office = _office_obj(tracker.get_slot("booking_office"))
        service_id = tracker.get_slot("booking_service")
        day_iso = tracker.get_slot("booking_date")
        if office is None or not service_id or not day_iso:
            return [SlotSet("booking_date", None)]
        day = dt.date.fromisoformat(str(day_iso))
        free = svc.free_slots(office.id, str(service_id), day)
        if not free:
            dispatcher.utter_message(text=m["date_full"].format(day=format_day(day)))
            return [SlotSet("booking_date", None)]
        if len(free) > _MAX_TIME_BUTTONS:  # spread the choice over the day rather than only the morning
            step = len(free) / _MAX_TIME_BUTTONS
            free = [free[int(i * step)] for i in range(_MAX_TIME_BUTTONS)]
        dispatcher.utter_message(
            text=m["ask_time"].format(day=format_day(day), office=office.name), buttons=[_slot_button(s) for s in free]
        )
        return []


class ActionAskBookingName(Action):
    """Ask the name on the booking."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Ask."""
        dispatcher.utter_message(text=_m()["ask_name"])
        return []


class ActionAskBookingConfirm(Action):
    """Show the summary and ask to confirm."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Ask."""
        m = _m()
        service = _service_obj(tracker.get_slot("booking_service"))
        office = _office_obj(tracker.get_slot("booking_office"))
        day_iso, time = tracker.get_slot("booking_date"), tracker.get_slot("booking_time")
        if service is None or office is None or not day_iso or not time:
            return [SlotSet("booking_time", None)]
        day = dt.date.fromisoformat(str(day_iso))
        hhmm = dt.time.fromisoformat(str(time))
        code = tracker.get_slot("booking_reschedule")
        fields = {
            "service": service.name,
            "office": office.name,
            "day": format_day(day),
            "time": format_time(hhmm),
            "name": tracker.get_slot("booking_name") or "",
            "code": display_code(str(code)) if code else "",
        }
        text = (m["confirm_reschedule"] if code else m["confirm"]).format(**fields)
        buttons = [
            {"title": m["confirm_yes"], "payload": _payload("affirm", konfirmasi="ya")},
            {"title": m["confirm_no"], "payload": "/deny"},
        ]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionBookingSubmit(Action):
    """After the form: the confirmation with code, address and what to bring (or nothing if aborted)."""

    def name(self) -> str:
        """Action name."""
        return "action_booking_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Confirm."""
        m = _m()
        code = tracker.get_slot("booking_code")
        if tracker.get_slot("booking_confirm") == _DONE and code:
            booking = _svc().get(str(code))
            if booking is not None:
                line = _booking_line(booking)
                if tracker.get_slot("booking_reschedule"):
                    dispatcher.utter_message(text=m["rescheduled"].format(**line))
                else:
                    service = _service_obj(booking.service_id)
                    reqs = "\n".join(f"{i}. {r}" for i, r in enumerate(service.requirements if service else (), 1))
                    text = m["done"].format(requirements=reqs, **line)
                    if service is not None and not service.verified:
                        text += "\n\n" + m["done_unverified"]
                    dispatcher.utter_message(text=text)
        return [*_reset(), SlotSet("booking_code", None)]


class ActionBookingStop(Action):
    """Leave the form on "batal" / "tidak jadi"."""

    def name(self) -> str:
        """Action name."""
        return "action_booking_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Stop."""
        dispatcher.utter_message(text=_m()["stopped"])
        return [ActiveLoop(None), *_reset()]


class ActionBookingList(Action):
    """ "cek booking saya": the resident's own active bookings, with cancel/reschedule buttons."""

    def name(self) -> str:
        """Action name."""
        return "action_booking_list"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """List."""
        m = _m()
        active = _svc().active_for(tracker.sender_id)
        if not active:
            dispatcher.utter_message(text=m["list_none"])
            return []
        lines = [m["list_item"].format(**_booking_line(b)) for b in active]
        buttons = []
        for b in active:
            buttons.append(
                {
                    "title": f"Batalkan {display_code(b.code)}",
                    "payload": _payload("cancel_booking", kode_booking=b.code),
                }
            )
            buttons.append(
                {
                    "title": f"Ubah {display_code(b.code)}",
                    "payload": _payload("reschedule_booking", kode_booking=b.code),
                }
            )
        dispatcher.utter_message(text=m["list_title"] + "\n" + "\n".join(lines), buttons=buttons)
        return []


class ActionBookingCancel(Action):
    """Cancel one's own booking, after a confirmation button."""

    def name(self) -> str:
        """Action name."""
        return "action_booking_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Ask which / confirm / cancel."""
        m = _m()
        svc = _svc()
        sender = tracker.sender_id
        raw = _entity(tracker, "kode_booking")
        code = normalise_code(raw) if raw else normalise_code(_text(tracker))
        active = svc.active_for(sender)
        if code is None:
            if not active:
                dispatcher.utter_message(text=m["list_none"])
                return []
            if len(active) > 1:
                buttons = [
                    {"title": display_code(b.code), "payload": _payload("cancel_booking", kode_booking=b.code)}
                    for b in active
                ]
                dispatcher.utter_message(text=m["cancel_which"], buttons=buttons)
                return []
            code = active[0].code
        try:
            booking = svc.own(sender, code)
        except BookingError:
            dispatcher.utter_message(text=m["cancel_not_found"])
            return []
        line = _booking_line(booking)
        if booking.status != "active":
            dispatcher.utter_message(text=m["cancel_not_active"].format(**line))
            return []
        if _entity(tracker, "konfirmasi") != "ya":
            buttons = [
                {"title": m["cancel_yes"], "payload": _payload("cancel_booking", kode_booking=code, konfirmasi="ya")},
                {"title": m["cancel_no"], "payload": "/deny"},
            ]
            dispatcher.utter_message(text=m["cancel_confirm"].format(**line), buttons=buttons)
            return []
        try:
            svc.cancel(sender, code, reason="dibatalkan warga lewat chat")
        except BookingError:
            dispatcher.utter_message(text=m["cancel_not_active"].format(**line))
            return []
        dispatcher.utter_message(text=m["cancelled"].format(**line))
        return []


class ActionNearestOffice(Action):
    """A shared location outside the booking form: the nearest offices with distances."""

    def name(self) -> str:
        """Action name."""
        return "action_nearest_office"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Answer."""
        m = _m()
        place = _place_from(tracker)
        if place is None:
            dispatcher.utter_message(text=m["office_not_found"])
            return []
        offices = list(_svc().directory.offices.values())
        ranked = nearest_offices(offices, place, prefer_home=place.kind != "location", limit=2)
        if place.kind == "location" and ranked and (ranked[0].distance_km or 0) > _FAR_KM:
            dispatcher.utter_message(text=m["nearest_far"].format(km=round(ranked[0].distance_km or 0)))
            return []
        lines = []
        for r in ranked:
            km = (
                r.distance_km
                if r.distance_km is not None
                else haversine_km(place.lat, place.lon, r.office.lat, r.office.lon)
            )
            lines.append(
                m["nearest_line"].format(
                    office=r.office.name, km=f"{km:.1f}".replace(".", ","), address=r.office.address
                )
            )
        dispatcher.utter_message(text=m["nearest"].format(lines="\n".join(lines)))
        return []
