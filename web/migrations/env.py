"""Alembic environment: runs on the engine the app made (web.db.alembic_config puts it in attributes)."""

from __future__ import annotations

from alembic import context

from web.db import import_models, make_engine

config = context.config
target_metadata = import_models().metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
