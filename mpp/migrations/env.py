"""Alembic environment: runs on the connection handed over by mpp.db.migrate."""

from alembic import context

from mpp.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` CLI use: connect from the settings
    from mpp.db import engine_for
    from mpp.settings import get_settings

    connection = engine_for(get_settings().sqlalchemy_url).connect()
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
