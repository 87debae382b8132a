"""Staff console: accounts, sessions fallback, drafts, audit log, unanswered questions (filled in by the console work).

Revision ID: 0005
Revises: 0004
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Placeholder until the console tables land."""


def downgrade() -> None:
    """Nothing to undo."""
