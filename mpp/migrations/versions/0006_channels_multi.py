"""Channels across several gateway processes: durable inbox dedupe, shared state, reply retries.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Unique inbox key, stored replies to retry, and the channel_state table."""
    # Duplicates stored during a Redis outage before this revision would block the unique index: keep the first.
    op.execute(
        "DELETE FROM channel_inbox WHERE id NOT IN "
        "(SELECT keep FROM (SELECT min(id) AS keep FROM channel_inbox GROUP BY channel, external_id) AS firsts)"
    )
    op.create_index("uq_channel_inbox_channel_external_id", "channel_inbox", ["channel", "external_id"], unique=True)
    op.add_column("channel_inbox", sa.Column("reply", sa.Text, nullable=True))
    op.add_column("channel_inbox", sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "channel_state",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("channel_state")
    with op.batch_alter_table("channel_inbox") as batch:
        batch.drop_column("retry_at")
        batch.drop_column("reply")
    op.drop_index("uq_channel_inbox_channel_external_id", table_name="channel_inbox")
