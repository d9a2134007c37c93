"""a trigram index for finding cases by their address

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 04:30:00

The search box finds a case by words of its address too ("福州路", "复兴东路14号"): on PostgreSQL a pg_trgm GIN
index on ``ticket.address`` serves ILIKE '%…%' as 0010's serve the case number, the description and area
names (web/migrations/env.py keeps autogenerate from proposing to drop it). SQLite searches with LIKE.
"""
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX IF NOT EXISTS ix_trgm_ticket_address ON "ticket" USING gin (address gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_trgm_ticket_address')
