"""FastAPI dependencies (Annotated aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from channels.chat import ChatService

__all__ = ["ChatDep"]


def _chat(request: Request) -> ChatService:
    service: ChatService = request.app.state.chat
    return service


ChatDep = Annotated[ChatService, Depends(_chat)]
