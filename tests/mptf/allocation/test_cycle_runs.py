"""A cycle's saved run: the reason beside each note, notes the secretariat excludes, and a run
that goes stale when its money, policy, scores or exclusions change.

The cycle of tests/mptf/reports/conftest.py: USD 3,465,000.00 net, eight notes of USD
1,070,000.00 each (all in thematic area 4); notes 0, 1 (Kenya, 100) and 4 (Bangladesh, 50) are
funded, 2 and 3 (Kenya, 75) hit the limit of two notes per country, 5, 6 and 7 find USD
255,000.00 left.
"""

from datetime import date
from html import unescape

import pytest

from mptf.allocation import cycles
from mptf.extensions import db
from mptf.models import AuditEvent, CycleExclusion, RoundNote
from mptf.services.errors import NotAllowed, NotFound, ServiceError
from tests.mptf.reports.conftest import contribute


def statuses(run, notes) -> list[str]:
    by_note = {line.note_id: line.status for line in run.lines}
    return [by_note[n.id] for n in notes]


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return unescape(response.get_data(as_text=True))


# --- reasons -------------------------------------------------------------------------------------

def test_the_cycle_page_says_why_each_note_is_not_funded(client, auth, cycle, teams,
                                                         pipeline_notes):
    # USD 1,000,000.00 earmarked to area 2 (990,000.00 net) before the cycle is run again:
    # none of the notes (all in area 4) may use it.
    contribute("C-3", "CHE", 100_000_000, date(2026, 2, 20), earmark=2)
    db.session.commit()
    run = cycles.save_run(teams["sec"], cycle)
    db.session.commit()
    assert statuses(run, pipeline_notes) == [
        "funded", "funded", "country_limit", "country_limit", "funded", "insufficient_funds",
        "insufficient_funds", "insufficient_funds"]
    auth.login("sec@example.org")
    text = page(client, f"/fund/cycles/{cycle.id}")
    assert ("left USD 1,245,000.00: USD 255,000.00 unearmarked, USD 990,000.00 earmarked to "
            "area 2.") in text
    assert ("Not enough unearmarked money left (USD 255,000.00) for the USD 1,070,000.00 the "
            "note asks; USD 990,000.00 is earmarked to area 2, which only that area's notes "
            "may use.") in text
    # Notes 2 and 3 met the country limit when tried; at the end the money is short too.
    assert ("Kenya has 2 funded notes, the most the policy allows per country; also not "
            "enough unearmarked money left (USD 255,000.00)") in text
    assert "Notes whose review did not reach quorum come after every note that did" in text


def test_the_what_if_says_why_with_the_optimal_method_too(client, auth, cycle):
    # A cap of 40 % on area 4 (USD 1,386,000.00) leaves room for one note: the seven others
    # are out by the cap, with money enough left (USD 2,395,000.00).
    auth.login("sec@example.org")
    text = page(client, f"/fund/cycles/{cycle.id}/what-if?method=optimal&max_per_country=2"
                        "&cap_4=40")
    assert text.count("Thematic area 4's cap is USD 1,386,000.00, USD 1,070,000.00 is "
                      "allocated to the area and the note asks USD 1,070,000.00.") == 7
    assert "Not enough" not in text


# --- exclusions ----------------------------------------------------------------------------------

def test_an_excluded_note_takes_no_part_and_the_run_says_why(client, auth, cycle, teams,
                                                            pipeline_notes):
    # Without note 0, Kenya's notes 1 and 2 are funded (2 now within the limit), 3 hits it, 4
    # is funded; the excluded note is listed after the allocated ones.
    sec = teams["sec"]
    cycles.exclude_note(sec, cycle, pipeline_notes[0].id,
                        "  No quorum on it without the members recused from it.  ")
    db.session.commit()
    run = cycles.save_run(sec, cycle)
    db.session.commit()
    assert statuses(run, pipeline_notes) == [
        "excluded", "funded", "funded", "country_limit", "funded", "insufficient_funds",
        "insufficient_funds", "insufficient_funds"]
    last = max(run.lines, key=lambda line: line.order)
    assert (last.note_id, last.amount_cents, last.score) == (pipeline_notes[0].id, 0, 100.0)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "note_excluded"))
    assert event.after == {"note": pipeline_notes[0].reference,
                           "reason": "No quorum on it without the members recused from it."}
    auth.login("sec@example.org")
    text = page(client, f"/fund/cycles/{cycle.id}")
    assert ("Excluded by the secretariat: No quorum on it without the members recused from "
            "it.") in text


def test_excluding_and_counting_again_through_the_pages(client, auth, cycle, pipeline_notes):
    note = pipeline_notes[4]
    auth.login("sec@example.org")
    path = f"/fund/cycles/{cycle.id}/exclusions"
    assert f'<option selected value="{note.id}">' in page(client, f"{path}?note_id={note.id}")
    refused = auth.post(path, {"note_id": str(note.id), "reason": "   "}, token_from=path)
    assert refused.status_code == 400 and "Say why" in refused.get_data(as_text=True)
    assert db.session.scalars(db.select(CycleExclusion)).all() == []
    done = auth.post(path, {"note_id": str(note.id), "reason": "Bangladesh asked to wait."},
                     token_from=path)
    assert done.status_code == 302
    text = page(client, path)
    assert "Bangladesh asked to wait." in text
    assert f'value="{note.id}"' not in text.split("Exclude a note")[1]  # not offered twice
    again = auth.post(f"{path}/{note.id}/include", {}, token_from=path)
    assert again.status_code == 302
    assert db.session.scalars(db.select(CycleExclusion)).all() == []
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "note_included"))
    assert event.before == {"note": note.reference, "reason": "Bangladesh asked to wait."}
    assert auth.post(f"{path}/{note.id}/include", {}, token_from=path).status_code == 404


def test_exclusion_refusals(cycle, teams, chair, pipeline_notes):
    sec, note = teams["sec"], pipeline_notes[0]
    with pytest.raises(NotAllowed):
        cycles.exclude_note(chair, cycle, note.id, "Because.")
    with pytest.raises(ServiceError) as refused:
        cycles.exclude_note(sec, cycle, None, "")
    assert refused.value.fields == {"reason": ["Say why the note is taken out of the cycle."],
                                    "note_id": ["Choose a note."]}
    cycles.exclude_note(sec, cycle, note.id, "Because.")
    with pytest.raises(ServiceError) as refused:
        cycles.exclude_note(sec, cycle, note.id, "Again.")
    assert refused.value.fields["note_id"] == [f"{note.reference} is excluded from this cycle "
                                               "already."]
    with pytest.raises(NotFound):
        cycles.include_note(sec, cycle, pipeline_notes[1].id)
    db.session.rollback()
    withdrawn = pipeline_notes[7]
    withdrawn.status = "withdrawn"
    with pytest.raises(ServiceError) as refused:
        cycles.exclude_note(sec, cycle, withdrawn.id, "Gone.")
    assert "is not among the notes this cycle's runs consider" in \
        refused.value.fields["note_id"][0]
    db.session.rollback()
    cycle.status, cycle.approved_at = "approved", cycles.utcnow()
    with pytest.raises(ServiceError, match="approved"):
        cycles.exclude_note(sec, cycle, note.id, "Late.")


# --- stale runs ----------------------------------------------------------------------------------

def test_a_run_goes_stale_when_its_inputs_change(cycle, teams, pipeline_notes):
    sec = teams["sec"]
    run = cycles.latest_run(cycle)
    assert cycles.stale_reasons(run) == []
    contribute("C-3", "NOR", 50_000_000, date(2026, 3, 1))
    db.session.commit()
    assert cycles.stale_reasons(run) == [cycles.STALE_PARTS["money"]]
    run = cycles.save_run(sec, cycle)
    db.session.commit()
    assert cycles.stale_reasons(run) == []

    cycles.update_cycle(sec, cycle, cycles.CycleInput(
        name=cycle.name, decision_date=cycle.decision_date, envelope_cents=None,
        policy={"max_per_country": 3}, round_ids=[r.id for r in cycle.rounds]))
    db.session.commit()
    assert cycles.stale_reasons(run) == [cycles.STALE_PARTS["policy"]]
    run = cycles.save_run(sec, cycle)

    result = db.session.scalar(db.select(RoundNote).where(
        RoundNote.note_id == pipeline_notes[6].id))
    result.score = 99.0
    db.session.commit()
    assert cycles.stale_reasons(run) == [cycles.STALE_PARTS["notes"]]
    run = cycles.save_run(sec, cycle)

    cycles.exclude_note(sec, cycle, pipeline_notes[6].id, "Its score is under appeal.")
    db.session.commit()
    assert cycles.stale_reasons(run) == [cycles.STALE_PARTS["exclusions"]]
    run = cycles.save_run(sec, cycle)
    db.session.commit()
    assert cycles.stale_reasons(run) == []

    run.inputs_digest = None  # a run saved before runs kept their inputs
    assert cycles.stale_reasons(run) == [cycles.NO_DIGEST]


def test_the_cycle_page_says_the_run_is_stale(client, auth, cycle):
    contribute("C-3", "NOR", 50_000_000, date(2026, 3, 1))
    db.session.commit()
    auth.login("sec@example.org")
    text = page(client, f"/fund/cycles/{cycle.id}")
    assert ("The saved run is out of date: since it was saved, the money the cycle may spend "
            "changed (a contribution was recorded or corrected, or another cycle was "
            "approved). Run the allocation again.") in text
