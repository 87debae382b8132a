"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from channels.deps import ChatDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health")
async def read_health(chat: ChatDep) -> dict[str, object]:
    """The gateway is up; `assistant` says whether Rasa answers."""
    return {"status": "ok", "assistant": await chat.rasa.ready()}
