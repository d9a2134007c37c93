"""constraint names by the naming convention

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:02:41.118203

The metadata now names constraints by a convention (grid.dbtypes.NAMING_CONVENTION): ``pk_<table>`` and
``fk_<table>_<column>_<referred table>``. A database made before that has the names PostgreSQL made up
(``ticket_pkey``, ``ticket_reporter_id_fkey``) and on SQLite no names at all; this gives every primary and
foreign key its conventional name, so that later migrations can drop or change them by one name on both.

Migrations 0001-0003 run today already name what they create by the convention (alembic applies the target
metadata's convention to the operations), except the department's calendar key, which 0002 named by hand
``fk_department_calendar_code``; so this renames whatever differs, found by reflection. The downgrade gives
that key its old name back, which is all 0002's downgrade needs, and leaves the others named as 0001-0003
name them now.
"""
from collections.abc import Callable

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_CALENDAR_KEY = "fk_department_calendar_code"


def conventional_name(table: sa.Table, constraint: sa.Constraint) -> str | None:
    """The convention of 0004, frozen here: a later change of the convention is a later migration."""
    if isinstance(constraint, sa.PrimaryKeyConstraint):
        return f"pk_{table.name}"
    if isinstance(constraint, sa.ForeignKeyConstraint):
        return f"fk_{table.name}_{constraint.column_keys[0]}_{constraint.referred_table.name}"
    return constraint.name


def old_name(table: sa.Table, constraint: sa.Constraint) -> str | None:
    if table.name == "department" and isinstance(constraint, sa.ForeignKeyConstraint) \
            and constraint.column_keys == ["calendar_code"]:
        return OLD_CALENDAR_KEY
    return constraint.name


def rename_constraints(name_for: Callable[[sa.Table, sa.Constraint], str | None]) -> None:
    """Give each primary and foreign key of every table the name ``name_for`` says. PostgreSQL renames in
    place; SQLite cannot rename a constraint, so a table with a name to change is rebuilt (batch mode)."""
    bind = op.get_bind()
    metadata = sa.MetaData()
    metadata.reflect(bind)
    quote = bind.dialect.identifier_preparer.quote
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        changes = [(c, name_for(table, c)) for c in table.constraints
                   if isinstance(c, (sa.PrimaryKeyConstraint, sa.ForeignKeyConstraint))]
        changes = [(c, name) for c, name in changes if name != c.name]
        if not changes:
            continue
        if bind.dialect.name == "sqlite":
            for constraint, name in changes:
                constraint.name = name
            with op.batch_alter_table(table.name, copy_from=table, recreate="always"):
                pass
        else:
            for constraint, name in changes:
                op.execute(f"ALTER TABLE {quote(table.name)} RENAME CONSTRAINT {quote(constraint.name)} "
                           f"TO {quote(name)}")


def upgrade() -> None:
    rename_constraints(conventional_name)


def downgrade() -> None:
    rename_constraints(old_name)
