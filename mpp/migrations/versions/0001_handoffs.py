"""Hand-offs to staff.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the handoffs table."""
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender", sa.String(128), nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False, server_default="web"),
        sa.Column("reason", sa.String(32), nullable=False, server_default="request"),
        sa.Column("last_message", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="open", index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Drop the handoffs table."""
    op.drop_table("handoffs")
