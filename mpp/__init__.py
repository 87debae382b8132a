"""Cross-cutting foundation shared by every process: settings, logging, redaction, CLI."""

from mpp.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
