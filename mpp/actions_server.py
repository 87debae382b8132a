"""Serving the rasa-sdk action server on 127.0.0.1 with the search index loaded before the first call."""

from __future__ import annotations

import logging
import warnings

__all__ = ["serve_actions"]

log = logging.getLogger(__name__)


def serve_actions(port: int) -> None:
    """Run the action server in this process (blocks)."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor

    from actions._kb import get_engine

    get_engine()  # load the index and model now, not on a resident's first question
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    log.info("action server ready", extra={"port": port, "actions": len(executor.actions)})
    app.run(host="127.0.0.1", port=port, single_process=True, access_log=False, motd=False)
