"""SKM survey responses, their answers, and the complaints inbox.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _response_fk(ondelete: str, *, nullable: bool, index: bool = False, unique: bool = False) -> sa.Column:
    return sa.Column(
        "response_id",
        sa.Integer,
        sa.ForeignKey("survey_responses.id", ondelete=ondelete),
        nullable=nullable,
        index=index,
        unique=unique,
    )


def upgrade() -> None:
    """Create survey_responses, survey_answers and complaints."""
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(160), nullable=False, unique=True),
        sa.Column("booking_code", sa.String(32), nullable=True, index=True),
        sa.Column("sender_hash", sa.String(64), nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False, server_default="web"),
        sa.Column("office_id", sa.String(64), nullable=True, index=True),
        sa.Column("tenant_id", sa.String(64), nullable=True, index=True),
        sa.Column("service_id", sa.String(96), nullable=True, index=True),
        sa.Column("day", sa.Date, nullable=False, index=True),
        sa.Column("mode", sa.String(8), nullable=False, server_default="full"),
        sa.Column("status", sa.String(16), nullable=False, server_default="open", index=True),
        sa.Column("comment", sa.Text, nullable=True),
        _created_at(),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        _response_fk("CASCADE", nullable=False, index=True),
        sa.Column("element", sa.String(4), nullable=False),
        sa.Column("value", sa.SmallInteger, nullable=True),
        _created_at(),
        sa.UniqueConstraint("response_id", "element", name="uq_survey_answers_response_element"),
        sa.CheckConstraint("value IS NULL OR (value >= 1 AND value <= 4)", name="ck_survey_answers_value"),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender", sa.String(128), nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False, server_default="web"),
        sa.Column("source", sa.String(16), nullable=False, server_default="survey"),
        _response_fk("SET NULL", nullable=True, unique=True),
        sa.Column("booking_code", sa.String(32), nullable=True),
        sa.Column("office_id", sa.String(64), nullable=True, index=True),
        sa.Column("tenant_id", sa.String(64), nullable=True),
        sa.Column("service_id", sa.String(96), nullable=True),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="open", index=True),
        _created_at(),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Drop the survey tables."""
    op.drop_table("complaints")
    op.drop_table("survey_answers")
    op.drop_table("survey_responses")
