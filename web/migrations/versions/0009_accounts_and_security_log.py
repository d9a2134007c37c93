"""accounts: expiring sessions and tokens, forced password change; the security log

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 12:14:22.802983

Sessions get an idle limit (last_seen_at) and say where they signed in from; API tokens expire, show when
they were last used and when they were revoked; an admin can make a user change their password at the next
sign-in. The security log is one hash chain (security_event) whose newest entry security_head holds.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import grid.dbtypes


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('security_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', grid.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_event'))
    )
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_seq'), ['seq'], unique=True)

    op.create_table('security_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_head'))
    )
    op.execute("INSERT INTO security_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', grid.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_used_at', grid.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', grid.dbtypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('name',
               existing_type=sa.VARCHAR(),
               type_=sqlmodel.sql.sqltypes.AutoString(length=80),
               existing_nullable=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('password_changed_at', grid.dbtypes.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', grid.dbtypes.UTCDateTime(timezone=True), nullable=False,
                                      server_default=sa.func.current_timestamp()))
        batch_op.add_column(sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_column('user_agent')
        batch_op.drop_column('client')
        batch_op.drop_column('last_seen_at')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('name',
               existing_type=sqlmodel.sql.sqltypes.AutoString(length=80),
               type_=sa.VARCHAR(),
               existing_nullable=False)
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('expires_at')

    op.drop_table('security_head')
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_event_seq'))
        batch_op.drop_index(batch_op.f('ix_security_event_kind'))
        batch_op.drop_index(batch_op.f('ix_security_event_at'))
        batch_op.drop_index(batch_op.f('ix_security_event_actor_id'))

    op.drop_table('security_event')
