"""FastAPI gateway and channel adapters: the only process residents' messages reach directly."""

from channels.app import create_app

__all__ = ["create_app"]
