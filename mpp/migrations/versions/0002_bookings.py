"""Bookings, capacity counters and closures.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the booking tables."""
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("sender", sa.String(128), nullable=False, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("office_id", sa.String(64), nullable=False, index=True),
        sa.Column("service_id", sa.String(80), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False, index=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active", index=True),
        sa.Column("cancel_reason", sa.Text, nullable=True),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "capacity_counters",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("used", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("used >= 0", name="ck_capacity_used_non_negative"),
    )
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("office_id", sa.String(64), nullable=True, index=True),
        sa.Column("day", sa.Date, nullable=False, index=True),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.String(128), nullable=False, server_default="system"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("office_id", "day", name="uq_closure_office_day"),
    )


def downgrade() -> None:
    """Drop the booking tables."""
    op.drop_table("closures")
    op.drop_table("capacity_counters")
    op.drop_table("bookings")
