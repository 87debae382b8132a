"""A shared location ends with the nearest office: real ChatService, a fake Rasa that runs the real action."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.auxil.fake_http import wait_until
from tests.auxil.fake_rasa import script as default_script
from tests.channels.conftest import RESIDENT_TG, RESIDENT_WA, Harness, telegram_sample

TENGGARONG = (-0.4186, 116.9810)  # near MPP Kukar, Tenggarong
LOA_KULU = (-0.5255, 117.0505)


def _nearest_office_script(message: str, sender: str) -> list[dict[str, Any]]:
    """Rasa's part: `/share_location{lat, lon}` runs `action_nearest_office` as the rules say."""
    if not message.startswith("/share_location"):
        return default_script(message, sender)
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.booking import ActionNearestOffice

    coords = json.loads(message.removeprefix("/share_location"))
    latest = {
        "text": message,
        "intent": {"name": "share_location", "confidence": 1.0},
        "entities": [{"entity": "lat", "value": coords["lat"]}, {"entity": "lon", "value": coords["lon"]}],
    }
    tracker = Tracker(sender, {}, latest, [], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionNearestOffice().run(dispatcher, tracker, {}))
    return [{"recipient_id": sender, **m} for m in dispatcher.messages]


@pytest.fixture
def harness(make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch) -> Harness:
    import tests.auxil.fake_rasa as fake_rasa_module

    monkeypatch.setattr(fake_rasa_module, "script", _nearest_office_script)
    return make_harness()


def test_telegram_location_ends_with_the_nearest_office(harness: Harness) -> None:
    update = copy.deepcopy(telegram_sample("03_location"))
    update["message"]["location"].update(latitude=TENGGARONG[0], longitude=TENGGARONG[1])
    assert harness.post_telegram(update).status_code == 200
    assert wait_until(lambda: len(harness.telegram.sent(RESIDENT_TG)) >= 1, timeout_s=30)
    harness.idle(30)
    text = " ".join(m["text"] for m in harness.telegram.sent(RESIDENT_TG))
    assert "MPP Kukar Tenggarong" in text


def test_whatsapp_location_ends_with_the_nearest_office(harness: Harness) -> None:
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    from tests.channels.conftest import MANIFEST, PUBLIC, TW_TOKEN

    params = dict(MANIFEST["samples"]["03_location_pin"]["params"])
    params.update(Latitude=str(LOA_KULU[0]), Longitude=str(LOA_KULU[1]))
    url = f"{PUBLIC}/webhooks/twilio/whatsapp"
    sig = RequestValidator(TW_TOKEN).compute_signature(url, params)
    r = harness.client.post(
        "/webhooks/twilio/whatsapp",
        content=urlencode(params),
        headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": sig},
    )
    assert r.status_code == 200
    assert wait_until(lambda: len(harness.twilio.bodies(RESIDENT_WA)) >= 1, timeout_s=30)
    harness.idle(30)
    text = " ".join(harness.twilio.bodies(RESIDENT_WA))
    assert "Mini MPP Loa Kulu" in text
