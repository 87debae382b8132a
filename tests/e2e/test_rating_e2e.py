"""The SKM survey end to end: through POST /api/chat, and the staff invitation through Rasa's HTTP API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import Engine, select

from mpp.db import engine_for
from mpp.survey.models import Complaint, SurveyAnswer, SurveyResponse

pytestmark = pytest.mark.slow


def texts(msgs: list[dict[str, Any]]) -> str:
    return "\n".join(str(m["text"]) for m in msgs)


def buttons(msgs: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in msgs for b in m["buttons"]]


def answer(msgs: list[dict[str, Any]], value: int | str) -> str:
    """The payload of the button with this value among the offered ones."""
    for b in buttons(msgs):
        if json.loads(b["payload"][len("/give_rating") :])["skm_value"] == value:
            return b["payload"]
    raise AssertionError(f"no button {value} in {buttons(msgs)}")


@pytest.fixture
def db(stack_urls: dict[str, str]) -> Engine:
    return engine_for(stack_urls["database"])


def test_survey_through_the_chat_api(chat: Any, db: Engine) -> None:
    msgs = chat("mau kasih nilai pelayanan")
    assert "9 pertanyaan" in texts(msgs) and "Pertanyaan 1/9" in texts(msgs)
    rid = json.loads(buttons(msgs)[0]["payload"][len("/give_rating") :])["skm_response"]
    for i in range(9):
        msgs = chat(answer(msgs, "lewati" if i == 3 else 4 if i != 8 else 2))
        if i < 8:
            assert f"Pertanyaan {i + 2}/9" in texts(msgs)
    assert "saran atau masukan" in texts(msgs)
    skip_comment = buttons(msgs)[0]["payload"]
    done = chat("antrenya lama sekali dan petugas kurang ramah")
    assert "keluhan Bapak/Ibu sudah kami catat" in texts(done)
    assert "sudah selesai" in texts(chat(skip_comment))  # a button of the finished survey is refused
    with db.connect() as conn:
        resp = conn.execute(select(SurveyResponse).where(SurveyResponse.id == rid)).one()
        answers = dict(
            conn.execute(select(SurveyAnswer.element, SurveyAnswer.value).where(SurveyAnswer.response_id == rid)).all()
        )
        complaint = conn.execute(select(Complaint.status, Complaint.text).where(Complaint.response_id == rid)).one()
    assert resp.status == "completed" and "lama sekali" in (resp.comment or "")
    assert answers == {"U1": 4, "U2": 4, "U3": 4, "U4": None, "U5": 4, "U6": 4, "U7": 4, "U8": 4, "U9": 2}
    assert complaint == ("open", "antrenya lama sekali dan petugas kurang ramah")


def test_staff_invitation_for_a_booking(stack_urls: dict[str, str], db: Engine) -> None:
    from channels.chat import ChatService
    from channels.rasa_client import RasaClient
    from channels.survey import invite_rating

    sender = "web:e2e_invite"

    async def scenario() -> tuple[list[Any], list[Any], list[Any], list[Any]]:
        chat = ChatService(RasaClient(stack_urls["rasa"], timeout_s=30))
        try:
            invited = await invite_rating(chat, sender, "KKR-E2E1")
            again = await invite_rating(chat, sender, "KKR-E2E1")  # staff completed after check-in
            payload = next(b.payload for b in again[-1].buttons if '"skm_value":3' in b.payload)
            step = await chat.handle_text(sender, payload)
            seen = [m.text for m in step]
            while step and step[-1].buttons and "komentar" not in step[-1].buttons[0].payload:
                step = await chat.handle_text(sender, step[-1].buttons[2].payload)
                seen += [m.text for m in step]
            assert step and step[-1].buttons, seen
            end = await chat.handle_text(sender, step[-1].buttons[0].payload)  # skip the comment
            after = await invite_rating(chat, sender, "KKR-E2E1")
            return invited, again, end, after
        finally:
            await chat.rasa.aclose()

    invited, again, end, after = asyncio.run(scenario())
    assert "*KKR-E2E1*" in invited[0].text and "Pertanyaan 1/9" in invited[1].text
    assert len(invited[1].buttons) == 5
    assert "Pertanyaan 1/9" in again[-1].text  # resumed, not a second survey
    assert "Terima kasih atas penilaian" in end[0].text
    assert after == []  # already rated: nothing to deliver
    with db.connect() as conn:
        rows = conn.execute(select(SurveyResponse.status).where(SurveyResponse.booking_code == "KKR-E2E1")).all()
        values = (
            conn.execute(
                select(SurveyAnswer.value).join(SurveyResponse).where(SurveyResponse.booking_code == "KKR-E2E1")
            )
            .scalars()
            .all()
        )
    assert [r.status for r in rows] == ["completed"] and values == [3] * 9
