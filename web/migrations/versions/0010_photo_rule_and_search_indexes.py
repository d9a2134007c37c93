"""categories say whether resolving needs an after-photo; trigram indexes for searching cases

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 13:20:00

``category.after_photo_required`` (default true: the domain wants photo evidence of handling). On PostgreSQL,
pg_trgm GIN indexes let a search by part of a case number, of a description or of an area's name use an
index (ILIKE '%…%'); the models do not describe them (they exist on PostgreSQL only), and web/migrations/env.py
keeps autogenerate from proposing to drop them. SQLite searches with LIKE over the caller's scope.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TRIGRAM = [('ix_trgm_ticket_case_number', 'ticket', 'case_number'),
           ('ix_trgm_ticket_description', 'ticket', 'description'),
           ('ix_trgm_area_name', 'area', 'name')]


def upgrade() -> None:
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('after_photo_required', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for name, table, column in TRIGRAM:
            op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" USING gin ({column} gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, _table, _column in TRIGRAM:
            op.execute(f'DROP INDEX IF EXISTS {name}')
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_column('after_photo_required')
