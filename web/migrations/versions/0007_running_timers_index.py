"""running timers by case: a partial index on sla_timer (ticket_id) WHERE active

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 08:30:00

The map's headlines read the running timers of the cases in view: about one timer in four is running, and
the plain ticket_id index made every case's finished timers be fetched and thrown away.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_sla_timer_running', 'sla_timer', ['ticket_id'], postgresql_where=sa.text('active'),
                    sqlite_where=sa.text('active'))


def downgrade() -> None:
    op.drop_index('ix_sla_timer_running', table_name='sla_timer')
