"""Rasa custom actions (rasa-sdk), one module per skill."""
