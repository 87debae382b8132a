"""`POST /api/chat`: the web channel, and the shape every channel's reply takes."""

from __future__ import annotations

from fastapi import APIRouter

from channels.deps import ChatDep
from channels.schemas import ChatRequest, ChatResponse

__all__ = ["router"]

router = APIRouter(tags=["chat"])


@router.post("/api/chat", response_model=ChatResponse)
async def post_chat(body: ChatRequest, chat: ChatDep) -> ChatResponse:
    """Send one message to the assistant and get its replies."""
    sender = f"web:{body.sender}"
    if body.location is not None:
        messages = await chat.handle_location(sender, body.location.lat, body.location.lon)
    else:
        text = body.text or ""
        if text.lstrip().startswith("/"):
            await chat.buttons.refresh(sender)  # the buttons may have been offered by another gateway process
        messages = await chat.handle_text(sender, text)
    await chat.buttons.flush(sender)  # shared before the page can press them
    return ChatResponse(messages=messages)
