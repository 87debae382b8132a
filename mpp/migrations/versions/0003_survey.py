"""SKM survey responses and complaints (filled in by the survey work).

Revision ID: 0003
Revises: 0002
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Placeholder until the survey tables land."""


def downgrade() -> None:
    """Nothing to undo."""
