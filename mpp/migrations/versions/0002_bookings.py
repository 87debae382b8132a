"""Bookings, capacity counters and closures (filled in by the booking work).

Revision ID: 0002
Revises: 0001
"""

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Placeholder until the booking tables land."""


def downgrade() -> None:
    """Nothing to undo."""
