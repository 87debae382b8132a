"""Channel inbox, dedupe fallback and channel users.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the channel tables."""
    op.create_table(
        "channel_inbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("sender", sa.String(128), nullable=False, index=True),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_channel_inbox_status_id", "channel_inbox", ["status", "id"])
    op.create_table(
        "channel_dedupe",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "channel_users",
        sa.Column("sender", sa.String(128), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("blocked_reason", sa.String(64), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    """Drop the channel tables."""
    op.drop_table("channel_users")
    op.drop_table("channel_dedupe")
    op.drop_index("ix_channel_inbox_status_id", table_name="channel_inbox")
    op.drop_table("channel_inbox")
