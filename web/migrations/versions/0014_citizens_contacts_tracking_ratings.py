"""citizens: contacts, tracking, ratings, public supports

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 20:22:35

The public in the loop (issue 14). ``ticket``: the reporter's contact for citizen and hotline cases
(name, number, 保密), the hash of the private tracking token, how many times the case was closed (a rating
belongs to one closing) and its call-back (回访) state. ``rating``: 好差评, one per closing, with its appeal.
``public_support``: "same problem" from the public, once per number or per client.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import grid.dbtypes


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('public_support',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', grid.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_public_support_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('ticket_id', 'key', name=op.f('pk_public_support'))
    )
    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('closing', sa.Integer(), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('at', grid.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('appeal_until', grid.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('appeal_state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('excluded', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_rating_recorded_by_app_user')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_rating_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating')),
    sa.UniqueConstraint('ticket_id', 'closing', name='uq_rating_closing')
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_appeal_state'), ['appeal_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_department_code'), ['department_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('confidential', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('tracking_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('closings', sa.Integer(), nullable=False, server_default=sa.text("0")))
        batch_op.add_column(sa.Column('callback_state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('callback_tries', sa.Integer(), nullable=False, server_default=sa.text("0")))
        batch_op.add_column(sa.Column('appeal_pending', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_ticket_callback_state'), ['callback_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_contact_phone'), ['contact_phone'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_ticket_tracking_hash'), ['tracking_hash'])
    op.execute("UPDATE ticket SET closings = 1 WHERE closed_at IS NOT NULL")



def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_ticket_tracking_hash'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_ticket_contact_phone'))
        batch_op.drop_index(batch_op.f('ix_ticket_callback_state'))
        batch_op.drop_column('appeal_pending')
        batch_op.drop_column('callback_tries')
        batch_op.drop_column('callback_state')
        batch_op.drop_column('closings')
        batch_op.drop_column('tracking_hash')
        batch_op.drop_column('confidential')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_name')

    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_rating_department_code'))
        batch_op.drop_index(batch_op.f('ix_rating_at'))
        batch_op.drop_index(batch_op.f('ix_rating_appeal_state'))

    op.drop_table('rating')
    op.drop_table('public_support')
