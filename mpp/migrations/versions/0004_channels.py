"""Channel inbox, dedupe fallback and channel users (filled in by the channels work).

Revision ID: 0004
Revises: 0003
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Placeholder until the channel tables land."""


def downgrade() -> None:
    """Nothing to undo."""
