"""the notifications outbox and each user's choice of messages by e-mail

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:17:32

Messages are written in the transaction of the change they tell of and delivered by
'mptf mail worker'; a message is unique per recipient and dedup key.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('by_email', sa.Boolean(), nullable=False),
    sa.CheckConstraint("event IN ('note_submitted', 'note_to_screen', 'note_returned', 'note_in_pipeline', 'note_withdrawn', 'note_expiring', 'note_expired', 'round_opened', 'reminder', 'round_closing', 'round_closed', 'decision_issued', 'contribution_recorded', 'rotation_confirmed')", name=op.f('ck_notification_preferences_event_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'event', name=op.f('pk_notification_preferences'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('dedup_key', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=1000), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("event IN ('note_submitted', 'note_to_screen', 'note_returned', 'note_in_pipeline', 'note_withdrawn', 'note_expiring', 'note_expired', 'round_opened', 'reminder', 'round_closing', 'round_closed', 'decision_issued', 'contribution_recorded', 'rotation_confirmed')", name=op.f('ck_notifications_event_valid')),
    sa.CheckConstraint("state != 'sent' OR sent_at IS NOT NULL", name=op.f('ck_notifications_sent_has_time')),
    sa.CheckConstraint("state IN ('queued', 'sent', 'failed', 'site_only')", name=op.f('ck_notifications_state_valid')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_notifications_attempts_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'dedup_key', name=op.f('uq_notifications_user_id_dedup_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at'], unique=False)



def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')
        batch_op.drop_index('ix_notifications_due')

    op.drop_table('notifications')
    op.drop_table('notification_preferences')
