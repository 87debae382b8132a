"""Staff console: accounts, sessions fallback, drafts, audit log, unanswered questions (filled in by the console work).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the console tables."""
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("tenant_ids", sa.JSON, nullable=False),
        sa.Column("office_ids", sa.JSON, nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("failed_count", sa.Integer, nullable=False, server_default="0"),
        _ts("locked_until", nullable=True),
        sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        _ts("created_at"),
        _ts("last_login_at", nullable=True),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("data", sa.JSON, nullable=False),
        _ts("expires_at"),
    )
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])
    op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        _ts("updated_at"),
    )
    op.create_table(
        "published_services",
        sa.Column("service_id", sa.String(128), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False, index=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(254), nullable=False),
        _ts("updated_at"),
    )
    op.create_table(
        "service_drafts",
        sa.Column("service_id", sa.String(128), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False, index=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("is_new", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_by", sa.String(254), nullable=False),
        _ts("updated_at"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        _ts("at"),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(128), nullable=False, index=True),
        sa.Column("tenant", sa.String(64), nullable=True, index=True),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender", sa.String(128), nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False, server_default="web"),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="open", index=True),
        sa.Column("service_id", sa.String(128), nullable=True),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("resolved_by", sa.String(254), nullable=True),
        _ts("created_at"),
        _ts("resolved_at", nullable=True),
    )
    op.create_index("ix_unanswered_questions_created_at", "unanswered_questions", ["created_at"])
    op.create_table(
        "handoff_claims",
        sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("staff_email", sa.String(254), nullable=False),
        _ts("taken_at"),
    )
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "handoff_id", sa.Integer, sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("sender", sa.String(128), nullable=False, index=True),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("staff_email", sa.String(254), nullable=True),
        sa.Column("delivered", sa.Boolean, nullable=False, server_default=sa.false()),
        _ts("created_at"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Append-only in the database itself, not only in the ORM.
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def downgrade() -> None:
    """Drop the console tables."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for name in (
        "handoff_messages",
        "handoff_claims",
        "unanswered_questions",
        "audit_log",
        "service_drafts",
        "published_services",
        "catalogue_state",
        "staff_sessions",
        "staff_users",
    ):
        op.drop_table(name)
