"""The one typed settings object, read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PROJECT_ROOT", "Settings", "get_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_DEV_SECRET = "changethis-dev-only"  # noqa: S105 (refused outside development)


class Settings(BaseSettings):
    """Every setting of every process; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(default="development", alias="MPP_ENV")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")

    # Storage: SQLite and in-process state when nothing else is configured.
    data_dir: Path = Field(default=PROJECT_ROOT / "var", alias="MPP_DATA_DIR")
    database_url: str = Field(default="", alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")

    # Knowledge base and search.
    catalogue_dir: Path = Field(default=PROJECT_ROOT / "knowledge_base" / "data" / "tenants", alias="MPP_CATALOGUE_DIR")
    search_dense: Literal[
        "finetuned+e5tuned", "e5tuned", "e5tuned+e5", "finetuned", "base", "e5", "finetuned+e5", "none"
    ] = Field(default="finetuned+e5tuned", alias="MPP_SEARCH_DENSE")
    # The second encoder is consulted only when BM25 + the first leave the top two services closer
    # than this; 1.0 (default): on every query, side by side with the first (see docs/SEARCH.md).
    search_cascade_margin: float = Field(default=1.0, ge=0.0, le=1.0, alias="MPP_SEARCH_CASCADE_MARGIN")
    # Threads of each search encoder at query time (0: all cores). 1: the two encoders run side by
    # side, one per core; index building and fine-tuning always use all cores.
    search_threads: int = Field(default=1, ge=0, le=64, alias="MPP_SEARCH_THREADS")
    # What runs the tuned search encoders on queries: ONNX Runtime at fp32 (default, torch's vectors
    # in half the time), ONNX Runtime with int8 weights (faster again), or torch (docs/SEARCH.md).
    search_runtime: Literal["onnx", "onnx-int8", "torch"] = Field(default="onnx", alias="MPP_SEARCH_RUNTIME")

    # Booking.
    booking_max_active: int = Field(default=2, ge=1, le=20, alias="BOOKING_MAX_ACTIVE")
    booking_horizon_days: int = Field(default=30, ge=1, le=366, alias="BOOKING_HORIZON_DAYS")
    booking_reminders: bool = Field(default=True, alias="BOOKING_REMINDERS")
    booking_reminder_hour: int = Field(default=16, ge=0, le=23, alias="BOOKING_REMINDER_HOUR")
    whatsapp_reminder_content_sid: str | None = Field(default=None, alias="WHATSAPP_REMINDER_CONTENT_SID")

    # Processes (everything but the gateway listens on loopback only).
    gateway_host: str = Field(default="127.0.0.1", alias="GATEWAY_HOST")
    gateway_port: int = Field(default=8000, alias="GATEWAY_PORT")
    rasa_url: str = Field(default="http://127.0.0.1:5005", alias="RASA_URL")
    # Rasa processes `mpp run` starts on consecutive ports from RASA_URL's; the gateway keeps each
    # resident on one of them. More than one pays off only with spare cores (each holds a model).
    rasa_processes: int = Field(default=1, ge=1, le=16, alias="RASA_PROCESSES")
    action_server_port: int = Field(default=5055, alias="ACTION_SERVER_PORT")
    # Search results the action server keeps per process (0: none). Residents ask the same few
    # questions all day; a repeat costs microseconds instead of two encoder passes.
    action_search_cache: int = Field(default=4096, ge=0, alias="ACTION_SEARCH_CACHE")

    # Satisfaction survey (SKM): all 9 elements, or one element (SKM_QUICK_ELEMENT) in quick mode.
    skm_mode: Literal["full", "quick"] = Field(default="full", alias="SKM_MODE")
    skm_quick_element: Literal["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"] = Field(
        default="U3", alias="SKM_QUICK_ELEMENT"
    )

    # Secrets: the development default is refused outside development.
    secret_key: SecretStr = Field(default=SecretStr(_DEV_SECRET), alias="SECRET_KEY")
    staff_api_token: SecretStr = Field(default=SecretStr(_DEV_SECRET), alias="STAFF_API_TOKEN")

    # Staff console: cookies are Secure unless turned off (plain http://127.0.0.1 in development).
    console_cookie_secure: bool = Field(default=True, alias="CONSOLE_COOKIE_SECURE")
    console_session_hours: int = Field(default=12, ge=1, le=720, alias="CONSOLE_SESSION_HOURS")

    # Channels (a channel starts only when its credentials are set).
    public_base_url: str | None = Field(default=None, alias="PUBLIC_BASE_URL")
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: SecretStr | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")
    twilio_account_sid: str | None = Field(default=None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(default=None, alias="TWILIO_AUTH_TOKEN")
    twilio_whatsapp_from: str | None = Field(default=None, alias="TWILIO_WHATSAPP_FROM")
    telegram_api_base_url: str = Field(default="https://api.telegram.org", alias="TELEGRAM_API_BASE_URL")
    twilio_api_base_url: str | None = Field(default=None, alias="TWILIO_API_BASE_URL")
    redis_prefix: str = Field(default="mpp:", alias="REDIS_PREFIX")
    channels_flood_per_minute: float = Field(default=20.0, gt=0, alias="CHANNELS_FLOOD_PER_MINUTE")

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment != "development":
            for name in ("secret_key", "staff_api_token"):
                value: SecretStr = getattr(self, name)
                if value.get_secret_value() == _DEV_SECRET or len(value.get_secret_value()) < 16:
                    raise ValueError(f"{name.upper()} must be set to a real secret (>= 16 chars) outside development")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, SQLite under the data dir by default."""
        return self.database_url or f"sqlite:///{self.data_dir / 'mpp.db'}"

    @property
    def index_dir(self) -> Path:
        """Where the search index and fine-tuned model are cached."""
        return self.data_dir / "index"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
