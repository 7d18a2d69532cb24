"""concept notes carry a version counter against lost updates

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 06:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('concept_notes') as batch_op:
        batch_op.add_column(sa.Column('lock_version', sa.Integer(), server_default='1',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('concept_notes') as batch_op:
        batch_op.drop_column('lock_version')
