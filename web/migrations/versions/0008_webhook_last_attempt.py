"""webhook deliveries: when the last attempt was made

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 09:00:00

Admins see each receiver's last success and last failure (GET /api/v1/webhooks): the time of a failed
attempt was not kept.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_delivery') as batch:
        batch.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_delivery') as batch:
        batch.drop_column('last_attempt_at')
