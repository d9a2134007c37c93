"""reference version: one row that every change to reference data bumps

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 05:20:00

Reference data (catalogue, departments, routing rules, calendars, SLA policies, workers' cells) is cached
in each app process; this row's value tells a process that its caches are out of date (grid.refcache).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'reference_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_version')),
    )
    op.bulk_insert(table, [{'id': 1, 'value': 0}])


def downgrade() -> None:
    op.drop_table('reference_version')
