"""a job's heartbeat

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 19:25:00

``job.heartbeat_at``: the process running a job writes it every few seconds; a job still "running" whose
heartbeat stopped belongs to a process that died (killed, restarted), and is reported failed instead of
running for ever.
"""
from alembic import op
import sqlalchemy as sa
import grid.dbtypes


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', grid.dbtypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
