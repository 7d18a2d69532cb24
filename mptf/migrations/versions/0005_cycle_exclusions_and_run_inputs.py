"""notes excluded from a cycle by the secretariat; runs keep a digest of their inputs; ranks put
notes without quorum last

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:00:00

A run line may be 'excluded'. Runs saved before this revision have no digest: they count as
stale until the cycle is run again. Closed rounds' stored ranks are renumbered by the rule
scoring.aggregate_round now follows (notes that met quorum first, in their old order, then
the others in theirs): the same ranks closing the round would give today. The downgrade keeps
the new ranks.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OLD_STATUSES = ('funded', 'below_min_score', 'no_quorum', 'marker', 'country_limit',
                'thematic_cap', 'region_cap', 'insufficient_funds', 'expired')
NEW_STATUSES = OLD_STATUSES + ('excluded',)

round_notes = sa.table('round_notes', sa.column('id', sa.Integer()),
                       sa.column('round_id', sa.Integer()), sa.column('rank', sa.Integer()),
                       sa.column('quorum_met', sa.Boolean()))
run_lines = sa.table('allocation_run_lines', sa.column('status', sa.String(20)))


def _status_check(statuses):
    quoted = ', '.join(f"'{s}'" for s in statuses)
    return f'status IN ({quoted})'


def upgrade():
    op.create_table('cycle_exclusions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('excluded_by_id', sa.Integer(), nullable=True),
    sa.Column('excluded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("reason != ''", name=op.f('ck_cycle_exclusions_reason_given')),
    sa.ForeignKeyConstraint(['cycle_id'], ['funding_cycles.id'], name=op.f('fk_cycle_exclusions_cycle_id_funding_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['excluded_by_id'], ['users.id'], name=op.f('fk_cycle_exclusions_excluded_by_id_users')),
    sa.ForeignKeyConstraint(['note_id'], ['concept_notes.id'], name=op.f('fk_cycle_exclusions_note_id_concept_notes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_exclusions')),
    sa.UniqueConstraint('cycle_id', 'note_id', name=op.f('uq_cycle_exclusions_cycle_id_note_id'))
    )
    with op.batch_alter_table('cycle_exclusions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cycle_exclusions_cycle_id'), ['cycle_id'], unique=False)

    with op.batch_alter_table('allocation_runs') as batch_op:
        batch_op.add_column(sa.Column('inputs_digest', sa.JSON(), nullable=True))

    with op.batch_alter_table('allocation_run_lines') as batch_op:
        batch_op.drop_constraint(op.f('ck_allocation_run_lines_status_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_allocation_run_lines_status_valid'),
                                         _status_check(NEW_STATUSES))

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(round_notes.c.id, round_notes.c.round_id, round_notes.c.rank,
                  round_notes.c.quorum_met).where(round_notes.c.rank.is_not(None))
        .order_by(round_notes.c.round_id, round_notes.c.rank)).all()
    by_round = {}
    for row in rows:
        by_round.setdefault(row.round_id, []).append(row)
    for notes in by_round.values():
        ordered = sorted(notes, key=lambda r: (not r.quorum_met, r.rank))
        for rank, row in enumerate(ordered, start=1):
            if row.rank != rank:
                connection.execute(round_notes.update().where(round_notes.c.id == row.id)
                                   .values(rank=rank))


def downgrade():
    op.execute(run_lines.delete().where(run_lines.c.status == 'excluded'))
    with op.batch_alter_table('allocation_run_lines') as batch_op:
        batch_op.drop_constraint(op.f('ck_allocation_run_lines_status_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_allocation_run_lines_status_valid'),
                                         _status_check(OLD_STATUSES))

    with op.batch_alter_table('allocation_runs') as batch_op:
        batch_op.drop_column('inputs_digest')

    with op.batch_alter_table('cycle_exclusions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_exclusions_cycle_id'))

    op.drop_table('cycle_exclusions')
