"""public names for categories, the address gazetteer, admin jobs

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 16:17:56

``category.public_name`` / ``public_name_en``: plain words for citizens (empty: the class's own name).
``address``: the gazetteer (door numbers, buildings, points of interest) for reverse geocoding and address
search; on PostgreSQL a pg_trgm index on its name (as 0010's for cases and areas). ``job``: work an admin
starts and watches, such as applying an uploaded grid.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import grid.dbtypes


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('road', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('lng', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('cell_code', sqlmodel.sql.sqltypes.AutoString(length=15), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address'))
    )
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_address_cell_code'), ['cell_code'], unique=False)
        batch_op.create_index('ix_address_lng_lat', ['lng', 'lat'], unique=False)

    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', grid.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', grid.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', grid.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_job_created_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('public_name_en', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False,
                                      server_default=''))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX IF NOT EXISTS ix_trgm_address_name ON "address" USING gin (name gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_trgm_address_name')
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_column('public_name_en')
        batch_op.drop_column('public_name')

    op.drop_table('job')
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.drop_index('ix_address_lng_lat')
        batch_op.drop_index(batch_op.f('ix_address_cell_code'))

    op.drop_table('address')
