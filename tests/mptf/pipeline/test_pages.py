"""The pipeline pages: drafting and submitting through the form, per-object refusals, screening,
versions and the listing."""

import re

import pytest

from mptf import money
from mptf.extensions import db
from mptf.models import ConceptNote
from tests import factories
from tests.conftest import counting_queries


def form_post(note_overrides: dict | None = None, button: str = "save") -> dict:
    """The concept-note form as a browser posts it."""
    iom, ilo = factories.entity("IOM"), factories.entity("ILO")
    gender, child = factories.principle_id("gender"), factories.principle_id("child")
    data = {
        "title": "Safe labour migration corridors", "thematic_area_id": "4",
        "objective_ids": ["5", "6"], "duration_months": "24",
        "punos-0-organisation": str(iom.id), "punos-0-direct": "600,000", "punos-0-lead": "y",
        "punos-1-organisation": str(ilo.id), "punos-1-direct": "400000.00",
        f"principle_{gender}": "y", f"principle_{gender}_how": "Women lead the design.",
        f"principle_{child}": "y", f"principle_{child}_how": "Children left behind.",
        "gender_marker": "2", "gender_justification": "Gender analysis.",
        "human_rights_marker": "2", "human_rights_justification": "Rights-based.",
        "child_marker": "1", "child_justification": "Safeguarding.",
        "summary": "Better recruitment.", "problem_statement": "Fees.",
        "theory_of_change": "If then.", "expected_results": "Fees halved.",
        "national_partners-0-name": "Ministry of Labour",
        "national_partners-0-kind": "government",
        "stakeholder_migrants": "y", "stakeholder_migrants_how": "Workers' associations",
        "government_endorsed": "y", "endorsement_date": "2026-01-15",
        button: "1",
    }
    data.update(note_overrides or {})
    return data


def test_country_team_drafts_then_submits_through_the_form(client, auth, kenya):
    auth.login("kenya@example.org")
    response = auth.post("/pipeline/new", form_post({"title": "", "summary": ""}),
                         token_from="/pipeline/new")
    assert response.status_code == 302  # an incomplete draft saves
    note = db.session.scalar(db.select(ConceptNote))
    assert note.status == "draft" and note.title == ""
    assert note.total_cents == 107_000_000
    page = auth.post(f"/pipeline/{note.id}/edit", form_post({"title": ""}, "submit"),
                     token_from=f"/pipeline/{note.id}/edit")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Your edits are saved as a draft" in html
    assert "Give a title." in html and "Give a summary." not in html
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).summary == "Better recruitment."  # saved
    done = auth.post(f"/pipeline/{note.id}/edit", form_post(button="submit"),
                     token_from=f"/pipeline/{note.id}/edit")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).status == "submitted"


def test_bad_money_gets_a_field_message_and_saves_nothing(client, auth, kenya):
    auth.login("kenya@example.org")
    page = auth.post("/pipeline/new", form_post({"punos-0-direct": "12.345"}),
                     token_from="/pipeline/new")
    assert page.status_code == 400
    assert money.TOO_MANY_DECIMALS in page.get_data(as_text=True)
    assert db.session.scalar(db.select(ConceptNote)) is None


def test_the_country_cannot_be_changed_by_editing_the_post(client, auth, kenya):
    auth.login("kenya@example.org")
    bangladesh = factories.country("BGD")
    auth.post("/pipeline/new", form_post({"country_id": str(bangladesh.id)}),
              token_from="/pipeline/new")
    note = db.session.scalar(db.select(ConceptNote))
    assert note.country.iso3 == "KEN"


def test_another_countrys_note_is_404_everywhere(client, auth, kenya, bangladesh):
    note = factories.note(kenya, "draft")
    factories.add_pdf(kenya, note)
    db.session.commit()
    attachment = note.attachments[0]
    auth.login("bangladesh@example.org")
    for path in (f"/pipeline/{note.id}", f"/pipeline/{note.id}/edit",
                 f"/pipeline/{note.id}/versions",
                 f"/pipeline/{note.id}/attachments/{attachment.id}"):
        assert client.get(path).status_code == 404, path
    for path in (f"/pipeline/{note.id}/edit", f"/pipeline/{note.id}/withdraw",
                 f"/pipeline/{note.id}/attachments",
                 f"/pipeline/{note.id}/attachments/{attachment.id}/delete"):
        assert auth.post(path, form_post()).status_code == 404, path
    listing = client.get("/pipeline/").get_data(as_text=True)
    assert note.reference not in listing
    export = client.get("/pipeline/export.csv").get_data(as_text=True)
    assert note.reference not in export
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).status == "draft"


def test_roles_that_may_not(client, auth, kenya, secretariat):
    note = factories.note(kenya, "submitted")
    db.session.commit()
    auth.login("sec@example.org")
    assert client.get("/pipeline/new").status_code == 403
    assert auth.post(f"/pipeline/{note.id}/withdraw", {}).status_code == 403
    auth.logout()
    auth.login("kenya@example.org")
    assert client.get(f"/pipeline/{note.id}/screen").status_code == 403
    assert client.get("/pipeline/config").status_code == 403
    assert client.get("/pipeline/import").status_code == 403
    factories.user("admin", email="admin@example.org")
    db.session.commit()
    auth.logout()
    auth.login("admin@example.org")
    assert client.get("/pipeline/").status_code == 403


def test_screening_through_the_page(client, auth, kenya, secretariat):
    note = factories.note(kenya, "submitted")
    db.session.commit()
    auth.login("sec@example.org")
    page = client.get(f"/pipeline/{note.id}/screen").get_data(as_text=True)
    assert "passes every rule" in page
    refused = auth.post(f"/pipeline/{note.id}/screen", {"outcome": "returned", "reasons": ""},
                        token_from=f"/pipeline/{note.id}/screen")
    assert refused.status_code == 400
    assert "Say why the note is returned" in refused.get_data(as_text=True)
    auth.post(f"/pipeline/{note.id}/screen",
              {"outcome": "returned", "reasons": "Attach the endorsement letter."},
              token_from=f"/pipeline/{note.id}/screen")
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).status == "returned"
    auth.logout()
    auth.login("kenya@example.org")
    page = client.get(f"/pipeline/{note.id}").get_data(as_text=True)
    assert "Attach the endorsement letter." in page


def test_versions_and_field_by_field_diff(client, auth, kenya, secretariat):
    from mptf.pipeline import services

    note = factories.note(kenya, "returned")
    services.update_draft(kenya, note, {"title": "Corridors, revised", "duration_months": 30})
    services.submit(kenya, note)
    db.session.commit()
    auth.login("sec@example.org")
    html = client.get(f"/pipeline/{note.id}/versions?from=1&to=2").get_data(as_text=True)
    rows = re.findall(r'<th scope="row">([^<]+)</th>', html)
    assert rows == ["Title", "Duration (months)"]
    assert "Safe labour migration corridors" in html and "Corridors, revised" in html
    assert client.get(f"/pipeline/{note.id}/versions?from=1&to=9").status_code == 404


def test_listing_filters_search_and_totals(client, auth, kenya, bangladesh, secretariat):
    factories.note(kenya, "pipeline", title="Kenya data systems", thematic_area_id=1)
    factories.note(kenya, "draft", title="Kenya returns")
    factories.note(bangladesh, "submitted", title="Bangladesh recruitment")
    db.session.commit()
    auth.login("sec@example.org")
    html = client.get("/pipeline/?q=kenya").get_data(as_text=True)
    assert "2 concept notes" in html
    html = client.get("/pipeline/?q=KENYA&status=pipeline").get_data(as_text=True)
    assert "1 concept note<" in html
    html = client.get("/pipeline/?region=Asia-Pacific").get_data(as_text=True)
    assert "Bangladesh recruitment" in html and "Kenya data" not in html
    html = client.get("/pipeline/?area=1").get_data(as_text=True)
    assert "Kenya data systems" in html and "Kenya returns" not in html
    bad = client.get("/pipeline/?area=x&score_min=500&submitted_from=soon&q=%25'%22;--")
    assert bad.status_code == 200
    assert "Some filters were ignored" in bad.get_data(as_text=True)


def test_listing_runs_a_constant_number_of_queries(client, auth, kenya, secretariat):
    def count_queries(path: str) -> int:
        with client.application.app_context():
            engine = db.engine
        with counting_queries(engine) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    auth.login("sec@example.org")
    for _ in range(3):
        factories.note(kenya, "pipeline")
    db.session.commit()
    few = count_queries("/pipeline/")
    for _ in range(25):
        factories.note(kenya, "pipeline", punos=[("IOM", 50_000_000), ("ILO", 30_000_000),
                                                 ("UNICEF", 20_000_000)])
    db.session.commit()
    many = count_queries("/pipeline/")
    assert many == few
    assert few <= 15


LOCK_RE = re.compile(r'name="lock_version" type="hidden" value="(\d+)"')


def test_an_edit_of_a_note_saved_meanwhile_is_refused_and_kept_in_the_form(
        client, served_app, auth, kenya):
    """Two people of one country team open the same draft; the second to save is told, its
    text stays in the form, the first one's save stands, and saving again keeps the second."""
    from tests.conftest import Auth

    colleague = factories.user("country_team", country="KEN", email="kenya2@example.org")
    note = factories.note(kenya)
    db.session.commit()
    edit = f"/pipeline/{note.id}/edit"
    other = Auth(served_app.test_client())
    auth.login("kenya@example.org")
    other.login(colleague.email)
    mine = LOCK_RE.search(client.get(edit).get_data(as_text=True)).group(1)
    theirs = LOCK_RE.search(other.client.get(edit).get_data(as_text=True)).group(1)
    assert mine == theirs

    first = auth.post(edit, form_post({"title": "First words", "lock_version": mine}),
                      token_from=edit)
    assert first.status_code == 302
    late = other.post(edit, form_post({"title": "Second words", "lock_version": theirs}),
                      token_from=edit)
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "Someone else saved this note after you opened it" in html
    assert 'value="Second words"' in html  # nothing typed is lost
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).title == "First words"
    assert [e.action for e in events_of(note)].count("note_edited") == 1

    again = LOCK_RE.search(html).group(1)
    assert int(again) > int(theirs)
    kept = other.post(edit, form_post({"title": "Second words", "lock_version": again}),
                      token_from=edit)
    assert kept.status_code == 302
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).title == "Second words"


def events_of(note):
    from mptf.models import AuditEvent

    return db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.entity_type == "concept_notes", AuditEvent.entity_id == note.id)
        .order_by(AuditEvent.id)).all()


def test_a_draft_is_seen_by_its_team_and_the_secretariat_only(client, auth, kenya, secretariat):
    """Until it is first submitted, a note is its country team's work: the committee's
    members and the fund office find neither it on the pages nor in the API's list."""
    draft = factories.note(kenya, title="Unsubmitted draft")
    submitted = factories.note(kenya, "submitted", title="Submitted note")
    others = {role: factories.user(role) for role in ("reviewer", "chair", "fund_office")}
    db.session.commit()
    for email in ("kenya@example.org", "sec@example.org"):
        auth.login(email)
        assert client.get(f"/pipeline/{draft.id}").status_code == 200
        assert "Unsubmitted draft" in client.get("/pipeline/").get_data(as_text=True)
        auth.logout()
    for user in others.values():
        auth.login(user.email)
        assert client.get(f"/pipeline/{draft.id}").status_code == 404
        assert client.get(f"/pipeline/{submitted.id}").status_code == 200
        listing = client.get("/pipeline/").get_data(as_text=True)
        assert "Submitted note" in listing and "Unsubmitted draft" not in listing
        auth.logout()


def test_totals_by_area_and_region_hand_checked(kenya, bangladesh, secretariat):
    """Four notes: Kenya (Africa) in areas 1 and 4 and one draft without an area, all
    USD 1,070,000; a Bangladesh (Asia-Pacific) draft in area 4, USD 535,000 (500,000 direct
    + 7 %).
    The draft counts in its region, not in any area."""
    from mptf.pipeline.listing import Filters, totals

    factories.note(kenya, "pipeline", thematic_area_id=1)
    factories.note(kenya, "pipeline")
    factories.note(kenya, "draft", thematic_area_id=None)
    factories.note(bangladesh, punos=[("IOM", 30_000_000), ("UNDP", 20_000_000)])
    db.session.commit()
    seen = totals(secretariat, Filters.from_args({}))
    assert [(a["id"], a["count"], a["cents"]) for a in seen["by_area"]] == [
        (1, 1, 107_000_000), (2, 0, 0), (3, 0, 0), (4, 2, 160_500_000), (5, 0, 0)]
    assert seen["by_region"] == [
        {"region": "Africa", "count": 3, "cents": 321_000_000},
        {"region": "Asia-Pacific", "count": 1, "cents": 53_500_000}]
    assert (seen["count"], seen["cents"]) == (4, 374_500_000)
    only_area_4 = totals(secretariat, Filters.from_args({"area": "4"}))
    assert (only_area_4["count"], only_area_4["cents"]) == (2, 160_500_000)
    assert totals(kenya, Filters.from_args({}))["count"] == 3  # its own country only


def test_a_save_that_changes_only_objectives_still_moves_the_version(client, auth, kenya):
    """The objectives, principles, countries and PUNO lines live in other tables: a save that
    changes only those (as an API PATCH of one field does) must still make a colleague's
    older form stale."""
    from mptf.pipeline import services

    note = factories.note(kenya)
    db.session.commit()
    version = note.lock_version
    services.update_draft(kenya, note, {"objective_ids": [5, 18]})
    db.session.commit()
    assert note.lock_version > version
    auth.login("kenya@example.org")
    edit = f"/pipeline/{note.id}/edit"
    late = auth.post(edit, form_post({"objective_ids": ["6"], "lock_version": str(version)}),
                     token_from=edit)
    assert late.status_code == 409
    db.session.expire_all()
    assert [o.id for o in db.session.get(ConceptNote, note.id).objectives] == [5, 18]


def test_a_save_racing_another_is_a_conflict_that_keeps_the_form(served_app, kenya):
    """The note was read, then another request saved it: this save's write finds the row
    changed and is refused as stale (not a 500, not an overwrite), wherever it is flushed."""
    from mptf.pipeline import services
    from mptf.services.errors import Conflict

    note = factories.note(kenya)
    db.session.commit()
    with served_app.app_context():  # another request saves it meanwhile
        other = db.session.get(ConceptNote, note.id)
        other.title = "Saved meanwhile"
        db.session.commit()
    with pytest.raises(Conflict) as refused:
        services.update_draft(kenya, note, factories.note_data(objective_ids=[1]))
    assert refused.value.code == "stale"
    db.session.rollback()
    assert db.session.get(ConceptNote, note.id).title == "Saved meanwhile"


def input_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_a_saved_money_field_keeps_its_thousands_separators(client, auth, kenya):
    auth.login("kenya@example.org")
    auth.post("/pipeline/new", form_post({"punos-1-direct": "1250000.50"}),
              token_from="/pipeline/new")
    note = db.session.scalar(db.select(ConceptNote))
    edit = f"/pipeline/{note.id}/edit"
    html = client.get(edit).get_data(as_text=True)
    shown = [input_value(html, "punos-0-direct"), input_value(html, "punos-1-direct")]
    assert shown == ["600,000.00", "1,250,000.50"]
    assert [money.parse_usd(v) for v in shown] == [60_000_000, 125_000_050]
    # Saving the form as shown keeps every cent.
    assert auth.post(edit, form_post({"punos-0-direct": shown[0], "punos-1-direct": shown[1]}),
                     token_from=edit).status_code == 302
    db.session.expire_all()
    assert [line.direct_cents for line in db.session.get(ConceptNote, note.id).puno_lines] == [
        60_000_000, 125_000_050]


def test_the_fund_limits_show_their_cents_with_separators(client, auth, secretariat):
    from mptf.pipeline.services import fund_config

    fund_config().budget_floor_cents = 25_000_050
    db.session.commit()
    auth.login("sec@example.org")
    html = client.get("/pipeline/config").get_data(as_text=True)
    assert input_value(html, "budget_floor") == "250,000.50"  # the cents were cut off
    assert money.parse_usd(input_value(html, "budget_ceiling")) == \
        fund_config().budget_ceiling_cents


def test_the_error_summary_names_the_puno_by_its_number(client, auth, kenya):
    auth.login("kenya@example.org")
    page = auth.post("/pipeline/new", form_post({"punos-1-direct": "12.345"}),
                     token_from="/pipeline/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert f'href="#punos-1-direct">PUNO 2: {money.TOO_MANY_DECIMALS}' in html
    assert "Punos, row" not in html


def test_the_history_reads_as_sentences(client, auth, kenya, secretariat):
    from mptf.pipeline import services
    from mptf.pipeline.services import CHECKLIST

    note = factories.note(kenya, "draft")
    services.submit(kenya, note)
    services.screen(secretariat, note, {}, "returned", "Attach the endorsement letter.")
    services.submit(kenya, note)
    services.screen(secretariat, note, dict.fromkeys(CHECKLIST, True), "pipeline", "")
    secretariat.name = "Network Secretariat"
    db.session.commit()
    auth.login("sec@example.org")
    html = client.get(f"/pipeline/{note.id}").get_data(as_text=True)
    events = [re.sub(r"\s+", " ", e).split(" · ", 1)[1] for e in re.findall(
        r"<li>([^<]*)</li>", html.split("<h2>History</h2>", 1)[1].split("</ol>", 1)[0])]
    expires = f"{note.expires_on.day} {note.expires_on:%B %Y}"
    assert events == [
        "Drafted by kenya",
        "Submitted to the Network Secretariat by kenya: version 1",
        "Returned for revision by Network Secretariat: Attach the endorsement letter.",
        "Submitted to the Network Secretariat by kenya: version 2",
        f"Screened into the pipeline by Network Secretariat: in the pipeline until {expires}",
    ]
