"""Alembic environment: runs on the engine the app made (web.db.alembic_config puts it in attributes)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator, TypeEngine

from web.db import import_models, make_engine

config = context.config
target_metadata = import_models().metadata


def compare_type(_context, _inspected_column, _metadata_column,  # noqa: ANN001
                 inspected: TypeEngine, declared: TypeEngine) -> bool | None:
    """Alembic's own comparison (None), except for a string's length: alembic lets VARCHAR pass for VARCHAR(10)
    (a length on one side only), so a max_length added to a model would never reach the database."""
    inspected = inspected.impl_instance if isinstance(inspected, TypeDecorator) else inspected
    declared = declared.impl_instance if isinstance(declared, TypeDecorator) else declared
    if isinstance(inspected, String) and isinstance(declared, String) and inspected.length != declared.length:
        return True
    return None


def include_object(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:  # noqa: ANN001
    """Leave out of autogenerate what the models do not describe on purpose: PostgreSQL's trigram indexes for
    search (migration 0010, ``ix_trgm_…``)."""
    return not (type_ == "index" and reflected and compare_to is None and (name or "").startswith("ix_trgm_"))


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a SQLite table by dropping it, which fails while other tables' rows point at
            # it. Foreign keys are off for the run (the pragma is a no-op inside a transaction, hence the raw
            # connection before BEGIN) and checked as a whole before the commit.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # generated revisions use batch operations, so that one written against PostgreSQL runs on
                # SQLite too (on PostgreSQL a batch is plain ALTER statements)
                render_as_batch=True,
                compare_type=compare_type,
                include_object=include_object,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration leaves rows whose foreign keys point nowhere: {broken[:10]}")
            connection.commit()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


run_migrations_online()
