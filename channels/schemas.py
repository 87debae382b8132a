"""Request and response bodies of the chat API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Button", "ChatRequest", "ChatResponse", "Location", "OutMessage"]


class Location(BaseModel):
    """A shared GPS position."""

    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ChatRequest(BaseModel):
    """One message from a resident: text (or a button payload) or a location."""

    model_config = ConfigDict(extra="forbid")
    sender: str = Field(min_length=1, max_length=128, pattern=r"^[\w:.@+\-]+$")
    text: str | None = Field(default=None, max_length=200_000)
    location: Location | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ChatRequest:
        if (self.text is None) == (self.location is None):
            raise ValueError("give exactly one of `text` or `location`")
        return self


class Button(BaseModel):
    """A choice offered to the resident; answering means sending `payload` as text."""

    title: str
    payload: str


class OutMessage(BaseModel):
    """One reply bubble."""

    text: str = ""
    buttons: list[Button] = Field(default_factory=list)


class ChatResponse(BaseModel):
    """Everything the assistant answers to one message."""

    messages: list[OutMessage]
