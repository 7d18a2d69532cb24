"""The cycle decision: issued once, sealed, served as stored, reproducible, exact to the cent,
reconciled with the fund's balance; letters, reports, verification and the CLI."""

import io
import re
from datetime import date
from html import unescape

import pytest
from pypdf import PdfReader

from mptf.allocation import cycles, decision_documents, decisions
from mptf.cli import main
from mptf.documents.pdf import sha256
from mptf.extensions import db
from mptf.models import Allocation, ConceptNote, FundingCycle, TransferLine
from mptf.reports import documents
from mptf.services.errors import Conflict, ServiceError
from tests import factories
from tests.mptf.reports.conftest import MEETING, appoint, contribute, the_chair

FUNDED = [0, 1, 4]
DEFERRED = {2: "Country limit reached", 3: "Country limit reached",
            5: "Insufficient funds", 6: "Insufficient funds", 7: "Insufficient funds"}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def money(cents: int) -> str:
    whole, part = divmod(cents, 100)
    return f"{whole:,}.{part:02d}"


@pytest.fixture
def issued(draft):
    decisions.issue(the_chair(), draft)
    db.session.commit()
    return draft


def test_issuing_approves_the_cycle_and_seals_the_pdf(issued, pipeline_notes):
    cycle = db.session.get(FundingCycle, issued.cycle_id)
    assert cycle.status == "approved" and issued.status == "issued"
    allocations = db.session.scalars(db.select(Allocation).order_by(Allocation.rank)).all()
    assert [a.note_id for a in allocations] == [pipeline_notes[i].id for i in FUNDED]
    assert all(a.amount_cents == 107_000_000 for a in allocations)
    for a in allocations:
        assert sum(t.direct_cents + t.indirect_cents for t in a.transfers) == a.amount_cents
    statuses = {n.id: n.status for n in db.session.scalars(db.select(ConceptNote))}
    assert [statuses[pipeline_notes[i].id] for i in range(8)] == [
        "selected", "selected", "pipeline", "pipeline", "selected", "pipeline", "pipeline",
        "pipeline"]
    assert issued.pdf_sha256 == sha256(issued.pdf)


def test_an_issued_decision_cannot_change_or_be_issued_again(issued, committee, teams):
    with pytest.raises(Conflict, match="issued"):
        decisions.issue(the_chair(), issued)
    with pytest.raises(Conflict, match="can no longer change"):
        decisions.save_draft(teams["sec"], issued.cycle, decisions.DraftInput(
            meeting_date=MEETING, place="x", virtual=True, present_ids=[],
            outcome_mode="consensus", escalation_step=None, text="", other_decisions="",
            conditions={}))


def test_stored_bytes_are_served_and_rerendering_gives_the_same_bytes(client, issued):
    response = client.get(f"/reports/decisions/{issued.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == issued.pdf
    assert decision_documents.decision_pdf(issued, decisions.verification_url()) == issued.pdf
    meta = PdfReader(io.BytesIO(issued.pdf)).metadata
    assert meta.title == f"Steering Committee decision {issued.reference}"
    assert meta.creation_date.replace(tzinfo=None) == issued.issued_at


def section(text: str, start: str, end: str) -> str:
    flat = " ".join(text.split())
    return flat[flat.index(start):flat.index(end, flat.index(start))]


def row_of(text: str, reference: str) -> str:
    """The text of a table row: from the reference to the next reference."""
    start = text.index(reference)
    following = re.search(r"MIG-\d{4}-\d{4}", text[start + len(reference):])
    return text[start:start + len(reference) + (following.start() if following else 200)]


def test_amounts_in_the_pdf_equal_the_allocations_to_the_cent(issued, pipeline_notes):
    text = pdf_text(issued.pdf)
    approved = section(text, "Approved allocations", "Transfer instructions")
    transfers = section(text, "Transfer instructions", "Totals per PUNO")
    for a in db.session.scalars(db.select(Allocation)):
        assert money(a.amount_cents) in row_of(approved, a.note.reference)
        for t in a.transfers:
            assert f"{a.note.reference} {t.organisation.acronym} {money(t.direct_cents)} " \
                   f"{money(t.indirect_cents)} {money(t.total_cents)}" in transfers
    total = sum(a.amount_cents for a in db.session.scalars(db.select(Allocation)))
    assert total == 321_000_000
    assert f"Total {money(total)}" in approved
    deferred = section(text, "Notes deferred to the pipeline", "For the Steering Committee")
    for index, reason in DEFERRED.items():
        assert reason in row_of(deferred, pipeline_notes[index].reference)


def test_totals_reconcile_with_the_fund_balance(issued):
    from mptf.allocation.services import available_funds

    unearmarked, earmarked = available_funds()
    # 3,500,000.00 deposited, 1 % fee = 35,000.00, net 3,465,000.00, allocated 3,210,000.00
    assert unearmarked + sum(earmarked.values()) == 346_500_000 - 321_000_000
    tables = decision_documents.decision_tables(issued)
    assert int(tables["approved"]["Amount"].sum()) == 321_000_000
    assert int(tables["puno_totals"]["Total"].sum()) == 321_000_000
    assert int(tables["by_area"]["Allocated"].sum()) == 321_000_000


def test_csv_and_xlsx_twins_carry_the_pdfs_numbers(client, auth, issued):
    import pandas as pd

    auth.login("sec@example.org")
    csv = pd.read_csv(io.BytesIO(client.get(
        f"/reports/decisions/{issued.id}/approved.csv").data), dtype=str)
    text = pdf_text(issued.pdf)
    for reference, amount in zip(csv["Reference"], csv["Amount"], strict=True):
        assert reference in text and f"{int(float(amount)):,}" in text
    xlsx = pd.read_excel(io.BytesIO(client.get(
        f"/reports/decisions/{issued.id}/tables.xlsx").data), sheet_name=None)
    assert list(xlsx) == ["Approved allocations", "Transfer instructions", "Totals per PUNO",
                          "By thematic area", "By region", "Notes deferred"]
    assert round(xlsx["Transfer instructions"]["Total"].sum() * 100) == 321_000_000


def test_letters_name_the_country_and_the_amounts(client, auth, issued, pipeline_notes):
    auth.login("sec@example.org")
    funded, deferred = pipeline_notes[4], pipeline_notes[5]
    letter = client.get(f"/reports/decisions/{issued.id}/letters/{funded.id}.pdf")
    text = pdf_text(letter.data)
    assert "United Nations in Bangladesh" in text
    assert "approved USD 1,070,000.00" in text
    assert "IOM 600,000.00 42,000.00 642,000.00" in text
    again = client.get(f"/reports/decisions/{issued.id}/letters/{funded.id}.pdf")
    assert again.data == letter.data
    refused = pdf_text(client.get(
        f"/reports/decisions/{issued.id}/letters/{deferred.id}.pdf").data)
    assert "Insufficient funds" in refused and "stays in the fund's rolling pipeline" in refused
    auth.logout()
    auth.login("kenya@example.org")
    assert client.get(f"/reports/decisions/{issued.id}/letters/{funded.id}.pdf"
                      ).status_code == 404
    own = client.get(f"/reports/decisions/{issued.id}/letters/{pipeline_notes[0].id}.pdf")
    assert own.status_code == 200 and "United Nations in Kenya" in pdf_text(own.data)


def test_verify_by_upload_and_by_hash(client, issued):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/reports/verify")
    genuine = client.post("/reports/verify", data={
        "csrf_token": token, "file": (io.BytesIO(issued.pdf), "decision.pdf")},
        content_type="multipart/form-data")
    assert genuine.status_code == 200 and "Genuine." in genuine.get_data(as_text=True)
    # one byte changed (flipped, so that it differs whatever the byte was: writing a '0'
    # changed nothing when the trailer's offset already had a 0 there)
    tampered = issued.pdf[:-10] + bytes([issued.pdf[-10] ^ 1]) + issued.pdf[-9:]
    assert tampered != issued.pdf
    forged = client.post("/reports/verify", data={
        "csrf_token": token, "file": (io.BytesIO(tampered), "decision.pdf")},
        content_type="multipart/form-data")
    assert forged.status_code == 404
    assert "Not a document issued by the fund" in forged.get_data(as_text=True)
    by_hash = client.post("/reports/verify", data={"csrf_token": token,
                                                    "sha256": issued.pdf_sha256.upper()})
    assert issued.reference in by_hash.get_data(as_text=True)
    bad = client.post("/reports/verify", data={"csrf_token": token, "sha256": "xyz"})
    assert bad.status_code == 400 and "64 hexadecimal" in bad.get_data(as_text=True)


def test_issuing_needs_a_quorum_and_the_chair(draft, committee, teams):
    with pytest.raises(ServiceError, match="Only the chair"):
        decisions.issue(teams["sec"], draft)
    decisions.save_draft(teams["sec"], draft.cycle, decisions.DraftInput(
        meeting_date=MEETING, place="Geneva", virtual=False,
        present_ids=[committee["IOM"].id], outcome_mode="consensus", escalation_step=None,
        text="", other_decisions="", conditions={}))
    with pytest.raises(ServiceError, match="no quorum"):
        decisions.issue(the_chair(), draft)
    assert draft.cycle.status == "draft"
    assert db.session.scalars(db.select(Allocation)).all() == []


def test_each_funded_note_needs_its_quorum_without_the_members_recused_from_it(
        client, auth, draft, committee, teams, pipeline_notes):
    """Five of the seven members seated on 4 May make the meeting's quorum (a majority is
    4), but on each funded note two of them are recused, leaving 3: on the Kenya notes IOM
    (PUNO) and Kenya (own country), with no other country of origin, transit and destination
    present; on the Bangladesh note IOM and UNDP (its PUNOs), with no other UN Network member.
    The chair cannot issue, the draft page says why per note, and nothing is approved."""
    decisions.save_draft(teams["sec"], draft.cycle, decisions.DraftInput(
        meeting_date=MEETING, place="Geneva", virtual=False,
        present_ids=[m.id for m in committee.values()], outcome_mode="consensus",
        escalation_step=None, text="", other_decisions="", conditions={}))
    db.session.commit()
    assert decisions.quorum(draft)[0] is True
    kenya, bangladesh = pipeline_notes[0].reference, pipeline_notes[4].reference
    short = "3 of 7 voting members are present; a majority is 4."
    no_cotd = "No member of Countries of origin, transit and destination is present."
    assert decisions.items_without_quorum(draft) == {
        kenya: [short, no_cotd], pipeline_notes[1].reference: [short, no_cotd],
        bangladesh: [short, "No member of UN Network on Migration is present."],
    }
    with pytest.raises(ServiceError, match=f"no quorum on {kenya} ") as refused:
        decisions.issue(the_chair(), draft)
    assert bangladesh in refused.value.message
    db.session.rollback()
    assert draft.cycle.status == "draft" and draft.status == "draft"
    assert db.session.scalars(db.select(Allocation)).all() == []
    auth.login("sec@example.org")
    assert "Record who else was present, or exclude those notes" in refused.value.message
    page = client.get(f"/reports/cycles/{draft.cycle_id}/decision").get_data(as_text=True)
    assert f"No quorum on {bangladesh} without the members recused from it" in page
    assert "Quorum met" not in page  # the page does not contradict itself
    assert (f'href="/fund/cycles/{draft.cycle_id}/exclusions?note_id={pipeline_notes[4].id}"'
            in page)


def plain(html: str) -> str:
    return " ".join(unescape(html).split())


DISABLED = '<button type="button" class="primary" disabled>Issue'


def test_notes_without_their_quorum_are_excluded_and_the_decision_issued(
        client, auth, cycle, committee, teams, chair, pipeline_notes):
    """Six members seated, all present. UNHCR gives the Bangladesh notes a UN Network member
    beside IOM and UNDP (their PUNOs), but Kenya is the only country of origin, transit and
    destination, so without it the four Kenya notes have no quorum. The page says so without
    claiming a quorum, the Issue button is disabled and the server refuses. The secretariat
    excludes the Kenya notes with a reason and runs the cycle again: Bangladesh 1 and 2 are
    funded (USD 2,140,000.00), 3 and 4 meet the limit of two per country. The chair issues,
    and the PDF says why the Kenya notes were left out."""
    appoint("un_network", 3, factories.entity("UNHCR"))
    db.session.commit()
    sec = teams["sec"]
    draft_input = decisions.DraftInput(
        meeting_date=MEETING, place="Geneva", virtual=False,
        present_ids=[m.id for m in decisions.members_on(MEETING)], outcome_mode="consensus",
        escalation_step=None, text="Approved.", other_decisions="", conditions={})
    draft = decisions.save_draft(sec, cycle, draft_input)
    db.session.commit()
    assert len(draft.attendance) == 6 and all(a.present for a in draft.attendance)
    kenya = [n.reference for n in pipeline_notes[:2]]
    [blocker] = decisions.issue_blockers(draft)
    assert blocker.startswith(f"Without the members recused from them, the meeting had no "
                              f"quorum on {kenya[0]} (")
    assert blocker.endswith("Every member seated on the meeting date is recorded present, so "
                            "exclude those notes from the cycle's run with a reason ('Exclude "
                            "notes' on the cycle's page), run the allocation again and save "
                            "the draft.")
    auth.login("chair@example.org")
    page = plain(client.get(f"/reports/cycles/{cycle.id}/decision").get_data(as_text=True))
    assert "Quorum met" not in page and f"No quorum on {kenya[0]}" in page
    assert "Every member seated on the meeting date is recorded present, so exclude" in page
    assert DISABLED in page
    refused = auth.post(f"/reports/decisions/{draft.id}/issue", {"confirm": "yes"},
                        token_from=f"/reports/cycles/{cycle.id}/decision")
    assert refused.status_code == 303
    assert db.session.scalars(db.select(Allocation)).all() == []

    for note in pipeline_notes[:4]:
        cycles.exclude_note(sec, cycle, note.id, "No quorum on it without Kenya and IOM.")
    cycles.save_run(sec, cycle)
    decisions.save_draft(sec, cycle, draft_input)
    db.session.commit()
    assert decisions.issue_blockers(draft) == []
    page = plain(client.get(f"/reports/cycles/{cycle.id}/decision").get_data(as_text=True))
    assert "Quorum met, at the meeting and on every funded note" in page
    assert DISABLED not in page and f'href="/reports/decisions/{draft.id}/issue"' in page
    decisions.issue(the_chair(), draft)
    db.session.commit()
    assert sorted(a.note_id for a in db.session.scalars(db.select(Allocation))) == [
        pipeline_notes[4].id, pipeline_notes[5].id]
    deferred = section(pdf_text(draft.pdf), "Notes deferred to the pipeline",
                       "For the Steering Committee")
    for note in pipeline_notes[:4]:
        assert ("Excluded by the secretariat: No quorum on it without Kenya and IOM" in
                row_of(deferred, note.reference))
    assert "Country limit reached: Bangladesh has 2 funded notes" in row_of(
        deferred, pipeline_notes[6].reference)


def test_a_stale_draft_is_not_issued(client, auth, draft, teams, pipeline_notes):
    """A contribution after the run: the draft's envelope is out of date. Issuing is refused
    until the cycle is run again and the draft saved on the new run."""
    contribute("C-3", "NOR", 120_000_000, date(2026, 4, 20))
    db.session.commit()
    [blocker] = decisions.issue_blockers(draft)
    assert blocker == ("The saved run is out of date: since it was saved, the money the cycle "
                       "may spend changed (a contribution was recorded or corrected, or "
                       "another cycle was approved). Run the allocation again. Then save the "
                       "draft again.")
    auth.login("chair@example.org")
    page = plain(client.get(f"/reports/cycles/{draft.cycle_id}/decision").get_data(
        as_text=True))
    assert blocker in page and DISABLED in page
    with pytest.raises(ServiceError, match="The saved run is out of date"):
        decisions.issue(the_chair(), draft)
    db.session.rollback()
    run = cycles.save_run(teams["sec"], draft.cycle)
    db.session.commit()
    assert decisions.issue_blockers(draft) == [
        f"The draft is based on run {draft.run_id}, but the cycle's latest run is {run.id}: "
        "save the draft again."]
    decisions.save_draft(teams["sec"], draft.cycle, decisions.DraftInput(
        meeting_date=MEETING, place="Geneva", virtual=False,
        present_ids=[a.membership_id for a in draft.attendance if a.present],
        outcome_mode="consensus", escalation_step=None, text="", other_decisions="",
        conditions={}))
    db.session.commit()
    assert decisions.issue_blockers(draft) == []
    decisions.issue(the_chair(), draft)
    db.session.commit()
    # USD 1,188,000.00 more: note 5 (Bangladesh, 50) is funded too.
    assert db.session.scalar(db.select(db.func.count()).select_from(Allocation)) == 4


def test_no_consensus_needs_an_escalation_step(draft, committee, teams):
    with pytest.raises(ServiceError) as raised:
        decisions.save_draft(teams["sec"], draft.cycle, decisions.DraftInput(
            meeting_date=MEETING, place="", virtual=True,
            present_ids=[m.id for m in committee.values()], outcome_mode="no_consensus",
            escalation_step=None, text="", other_decisions="", conditions={}))
    assert "escalation_step" in raised.value.fields


def test_user_text_is_escaped_in_the_pdf_and_fetches_nothing(issued, pipeline_notes, caplog):
    note = pipeline_notes[4]
    payload = '<img src="http://127.0.0.1:9/x"> <link href="file:///etc/passwd">'
    note.title = payload
    letter = decision_documents.letter_pdf(issued, note, decisions.verification_url())
    assert '<img src="http://127.0.0.1:9/x">' in pdf_text(letter)
    assert not [r for r in caplog.records if "127.0.0.1:9" in r.getMessage()]


def test_a_200_note_pipeline_report_renders(kenya_many):
    data = documents.pipeline_report_pdf()
    text = pdf_text(data)
    assert "Unfunded demand" in text and "Kenya" in text
    assert len(PdfReader(io.BytesIO(data)).pages) >= 1


@pytest.fixture
def kenya_many(seeded):
    from tests import factories

    team = factories.user("country_team", country="KEN", email="many@example.org")
    for i in range(200):
        note = factories.note(team, "pipeline", title=f"Note {i}",
                              thematic_area_id=i % 5 + 1)
        assert note.status == "pipeline"
    db.session.commit()


def test_the_cli_exports(runner, issued, tmp_path):
    pdf = tmp_path / "decision.pdf"
    result = runner.invoke(main, ["export", "decision", issued.cycle.name, "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes() == issued.pdf
    letters = runner.invoke(main, ["export", "letters", str(issued.cycle_id), "-o",
                                   str(tmp_path / "letters")])
    assert letters.exit_code == 0, letters.output
    assert len(list((tmp_path / "letters").glob("*.pdf"))) == 8
    report = runner.invoke(main, ["export", "pipeline", "-o", str(tmp_path / "p.pdf")])
    assert report.exit_code == 0 and (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")
    missing = runner.invoke(main, ["export", "decision", "No such cycle", "-o", str(pdf)])
    assert missing.exit_code == 2 and "No funding cycle" in missing.output


def test_the_pdf_transfer_lines_sum_to_each_allocation(issued):
    for a in db.session.scalars(db.select(Allocation)):
        lines = db.session.scalars(db.select(TransferLine).where(
            TransferLine.allocation_id == a.id)).all()
        assert sum(t.total_cents for t in lines) == a.amount_cents
        assert re.search(re.escape(a.note.reference), pdf_text(issued.pdf))


def test_the_decision_page_names_every_outcome_and_every_letter(client, auth, issued,
                                                                 pipeline_notes):
    auth.login("sec@example.org")
    html = client.get(f"/reports/decisions/{issued.id}").get_data(as_text=True)
    assert "Country limit reached" in html and "Insufficient funds" in html
    assert "country limit" not in html and "insufficient funds" not in html
    names = re.findall(r'aria-label="(Letter on [^"]+)"', html)
    assert names == [f"Letter on {n.reference} (PDF)" for n in pipeline_notes]


@pytest.mark.parametrize(("name", "phrase"), [
    ("Funding cycle 2026-3", "decided on the allocations of Funding cycle 2026-3 (decision"),
    ("2026-A", "decided on the allocations of the funding cycle 2026-A (decision"),
])
def test_a_letter_names_the_cycle_once(issued, pipeline_notes, name, phrase):
    issued.cycle.name = name  # not "the funding cycle Funding cycle 2026-3"
    letter = decision_documents.letter_pdf(issued, pipeline_notes[4], decisions.verification_url())
    text = " ".join(pdf_text(letter).split())
    assert phrase in text
    assert "funding cycle Funding cycle" not in text


def test_the_decision_page_labels_its_downloads(client, auth, issued):
    auth.login("sec@example.org")
    html = client.get(f"/reports/decisions/{issued.id}").get_data(as_text=True)
    labels = re.findall(r'/reports/decisions/\d+/\w+\.csv">([^<]+)</a>', html)
    assert labels == ["Approved allocations (CSV)", "Transfer instructions (CSV)",
                      "Totals per PUNO (CSV)", "By thematic area (CSV)", "By region (CSV)",
                      "Notes deferred (CSV)"]  # not "puno totals (CSV)"


def test_the_reports_page_names_cycle_statuses(client, auth, issued):
    auth.login("sec@example.org")
    html = client.get("/reports/").get_data(as_text=True)
    assert f"<td>{issued.cycle.name}</td><td>Approved</td>" in html
    assert "<td>approved</td>" not in html and "<td>draft</td>" not in html
