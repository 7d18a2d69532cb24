"""Revision 0005 on a database that has data: stored ranks follow the new rule (notes without
quorum last), a run line may be 'excluded' and nothing else new."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from mptf.extensions import db
from mptf.models import AllocationRun, AllocationRunLine, FundingCycle, ReviewRound, RoundNote
from mptf.models.base import utcnow
from mptf.reference.seed import seed_reference_data
from tests import factories


def test_ranks_are_renumbered_and_excluded_lines_allowed(empty_app):
    directory = empty_app.extensions["migrate"].directory
    upgrade(directory=directory)
    seed_reference_data()
    notes = [factories.bare_note(f"MIG-2026-90{k:02d}") for k in range(4)]
    round_ = ReviewRound(name="Round A", status="closed", opened_at=utcnow(),
                         closed_at=utcnow())
    db.session.add(round_)
    db.session.flush()
    # Ranked the old way: note 1 (one review at 100, no quorum) first.
    for note, rank, met in zip(notes, [3, 1, 2, 4], [True, False, True, False], strict=True):
        db.session.add(RoundNote(round_id=round_.id, note_id=note.id, rank=rank,
                                 quorum_met=met))
    cycle = FundingCycle(name="Cycle A", policy={})
    run = AllocationRun(cycle=cycle, envelope_cents=0, allocated_cents=0)
    db.session.add(run)
    db.session.commit()
    note_ids, run_id = [n.id for n in notes], run.id
    # Reading the ids began a transaction: end it, or PostgreSQL's ALTER TABLE of the
    # downgrade waits for this session's lock for ever.
    db.session.remove()
    downgrade(directory=directory, revision="0004")
    upgrade(directory=directory)

    ranks = dict(db.session.execute(db.select(RoundNote.note_id, RoundNote.rank)).all())
    assert [ranks[n] for n in note_ids] == [2, 3, 1, 4]
    assert db.session.scalar(db.select(AllocationRun.inputs_digest)) is None
    db.session.add(AllocationRunLine(run_id=run_id, note_id=note_ids[0], order=1,
                                     status="excluded", requested_cents=1, amount_cents=0,
                                     from_earmarked_cents=0, from_unearmarked_cents=0))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text(
            "INSERT INTO allocation_run_lines (run_id, note_id, \"order\", status, "
            "requested_cents, amount_cents, from_earmarked_cents, from_unearmarked_cents) "
            f"VALUES ({run_id}, {note_ids[1]}, 2, 'made_up', 1, 0, 0, 0)"))
    db.session.rollback()
