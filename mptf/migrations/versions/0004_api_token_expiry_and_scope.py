"""api tokens expire, read only or read and write, and say why they were revoked

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00

Tokens made before this revision could write and never expired: they keep writing and expire
90 days after the upgrade (the default life of a new token).
"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

api_tokens = sa.table('api_tokens', sa.column('revoked_at', sa.DateTime()),
                      sa.column('revoked_because', sa.String(20)),
                      sa.column('expires_at', sa.DateTime()))


def upgrade():
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.add_column(sa.Column('revoked_because', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('scope', sa.String(length=10), server_default='read_write',
                                      nullable=False))
    expires = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=90)
    op.execute(api_tokens.update().values(expires_at=expires))
    op.execute(api_tokens.update().where(api_tokens.c.revoked_at.is_not(None))
               .values(revoked_because='owner'))
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_api_tokens_scope_valid'),
                                         "scope IN ('read', 'read_write')")


def downgrade():
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.drop_constraint(op.f('ck_api_tokens_scope_valid'), type_='check')
        batch_op.drop_column('scope')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('revoked_because')
