"""Property: every HTML form POST endpoint, posted by the role that may use it with a valid
CSRF token and malformed, oversized, wrong-typed, missing or unexpected fields (Hypothesis,
bounded: MPTF_FUZZ_EXAMPLES per endpoint), answers below 500, says why, and saves nothing.
The endpoints are the url_map's: a new form without a description here fails the suite."""

from __future__ import annotations

import io

import pytest

from mptf.extensions import db
from tests import factories
from tests.mptf.security import bad_input
from tests.mptf.security.bad_input import (
    COVERED_ELSEWHERE,
    ENDPOINTS,
    Session,
    fuzz_forms,
    table_digests,
)

PIPELINE_AND_COMMITTEE = ("pipeline.", "committee.", "review.")


def html_post_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and not rule.rule.startswith("/api/")}


def test_every_html_form_is_fuzzed(app):
    described = {spec.endpoint for spec in ENDPOINTS}
    missing = html_post_endpoints(app) - described - COVERED_ELSEWHERE
    assert not missing, f"add these forms to tests/mptf/security/bad_input.py ENDPOINTS: {missing}"
    assert described - html_post_endpoints(app) <= {"allocation.what_if"}  # a GET form


@pytest.mark.parametrize("prefix", PIPELINE_AND_COMMITTEE)
def test_bad_input_is_refused_and_nothing_saved(form_ids, client, prefix):
    fuzz_forms(client, form_ids, prefix)


def test_logging_out_with_unexpected_fields_changes_nothing(form_ids, client):
    session = Session(client)
    session.as_("KEN")
    before = table_digests(("users", "audit_events"))
    response = client.post("/logout", data={"csrf_token": session.token, "is_admin": "1",
                                            "next": "//evil.example", "user_id": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert table_digests(("users", "audit_events")) == before
    db.session.rollback()


# --- regressions: each defect the property found ---------------------------------------------

def test_an_id_beyond_the_database_integer_is_not_found(form_ids, client):
    """It reached the database and overflowed (SQLite: OverflowError; PostgreSQL: integer out
    of range), a 500."""
    session = Session(client)
    session.as_("KEN")
    for path in (f"/pipeline/{2**31}", f"/pipeline/{2**63}/edit", f"/pipeline/{10**30}"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/pipeline/{form_ids['draft']}").status_code == 200


def test_a_nul_character_in_a_form_is_refused_with_a_sentence(form_ids, client):
    """PostgreSQL cannot store NUL: the title saved through the edit form was a 500 there."""
    session = Session(client)
    session.as_("KEN")
    before = table_digests()
    response = client.post(f"/pipeline/{form_ids['draft']}/edit", data={
        "csrf_token": session.token, "title": "Safe\x00corridors", "save": "Save draft"})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    assert table_digests() == before


@pytest.mark.parametrize("path", ["/pipeline/?q=a%00b", "/pipeline/?region=Af%00rica",
                                  "/pipeline/export.csv?q=%00", "/admin/audit?action=%00",
                                  "/admin/audit?actor=a%00@x.org"])
def test_a_nul_character_in_a_filter_is_dropped_with_a_sentence(form_ids, client, path):
    """A filter is only compared, but PostgreSQL cannot compare with NUL either: a 500."""
    session = Session(client)
    session.as_("sec")
    response = client.get(path)
    assert response.status_code == 200
    if not path.endswith(".csv") and "export" not in path:
        assert "Must not contain NUL characters." in response.get_data(as_text=True)


@pytest.mark.parametrize("body, sentence", [
    (b"x" * 140_000, "a field holds at most 20,000 characters"),
    (b"x" * 20_001, "line 2, column title, holds 20,001 characters"),
    (b"t,4,5,IOM\nKEN,t" * 5_001, "more than 5,000 rows"),
    (b"a\x00b", "NUL character (line 2)"),
])
def test_an_import_past_its_limits_is_refused_whole_with_the_limit(form_ids, client, body,
                                                                   sentence):
    """A field past the csv module's 131,072 characters was a 500; a longer field or a NUL
    was stored, and a file of more rows imported 5,000 of them past the worker's timeout."""
    session = Session(client)
    session.as_("sec")
    before = table_digests()
    data = bad_input.IMPORT_COLUMNS + b"KEN," + body + b",4,5,IOM\n"
    response = client.post("/pipeline/import", data={
        "csrf_token": session.token, "file": (io.BytesIO(data), "notes.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert sentence in response.get_data(as_text=True)
    assert table_digests() == before


def test_a_rubric_scale_is_bounded(form_ids, client):
    """A scale of 1 to a million was saved, and the scoring form drew a million choices."""
    session = Session(client)
    session.as_("sec")
    code, label, weight, low, _high = form_ids["criteria"][0]
    response = client.post(f"/review/{form_ids['draft_round']}/rubric", data={
        "csrf_token": session.token, "code_0": code, "label_0": label,
        "weight_0": str(weight), "min_0": str(low), "max_0": "1000000"})
    assert response.status_code == 400
    assert "A scale runs between -100 and 100" in response.get_data(as_text=True)


def test_a_too_long_review_comment_says_why(form_ids, client):
    """The scoring page refused it (400) without showing the comment's error."""
    session = Session(client)
    session.as_("reviewer")
    code = form_ids["criteria"][0][0]
    response = client.post(f"/review/{form_ids['open_round']}/notes/{form_ids['unfunded']}",
                           data={"csrf_token": session.token, f"comment_{code}": "x" * 5001,
                                 "overall": "y" * 10_001, "save": "Save draft"})
    assert response.status_code == 400
    assert response.get_data(as_text=True).count('class="error"') == 2


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity", "abc", "101"])
def test_a_share_that_is_not_a_number_is_a_field_error(form_ids, client, value):
    """'sNaN' raised in NumberRange, and the '%' of 'A share from 0 to 100 %.' broke its
    message's formatting: both were 500s on the cycle form."""
    session = Session(client)
    session.as_("sec")
    response = client.post("/fund/cycles/new", data={
        "csrf_token": session.token, "name": "Cycle 9", "method": "greedy",
        "cap_1": value, "min_score": value})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Not a valid decimal value." in html or "A share from 0 to 100 %." in html


def test_unexpected_fields_on_an_accepted_form_change_nothing_else(form_ids, client):
    """Mass assignment: a valid edit with extra status, country, reference and owner fields
    saves the edit and nothing of the extras."""
    from mptf.models import ConceptNote

    session = Session(client)
    session.as_("KEN")
    note = db.session.get(ConceptNote, form_ids["draft"])
    before = (note.status, note.country_id, note.reference, note.created_by_id
              if hasattr(note, "created_by_id") else None)
    data = bad_input.payload(next(s for s in ENDPOINTS if s.endpoint == "pipeline.edit"),
                             form_ids, {}, [("status", "funded"), ("country_id", "1"),
                                            ("reference", "MIG-2026-9999"), ("score", "100"),
                                            ("created_by_id", "1"), ("current_version", "9")])
    data["title"] = "Edited with extras"
    data["csrf_token"] = session.token
    response = client.post(f"/pipeline/{form_ids['draft']}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    note = db.session.get(ConceptNote, form_ids["draft"])
    assert note.title == "Edited with extras"
    assert (note.status, note.country_id, note.reference, note.created_by_id
            if hasattr(note, "created_by_id") else None) == before
    assert note.score is None and note.current_version == 0


def test_changing_ones_password_on_the_profile_page_works(form_ids, client):
    """The audit event took the type of Flask-Login's current_user proxy for the model's:
    AttributeError, a 500, on every valid password change."""
    session = Session(client)
    session.as_("KEN")
    response = client.post("/profile", data={
        "csrf_token": session.token, "current": "correct-horse-battery",
        "new": "a-new-password-1", "confirm": "a-new-password-1"})
    assert response.status_code == 302
    from mptf.models import AuditEvent

    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "password_changed"))
    assert event.entity_type == "users"


# Bases that are refused by design: an unknown digest is "not issued" (404); the import's
# only field is its file, which every example breaks.
REFUSED_BASES = {"reports.verify", "pipeline.import_page"}


def test_every_base_payload_is_accepted(form_ids, client):
    """The property breaks one to three fields of a valid payload: were the base itself
    refused, every example would be refused for the base's fault, proving nothing."""
    session = Session(client)
    specs = [s for s in ENDPOINTS if s.fields and s.endpoint not in REFUSED_BASES]
    specs.sort(key=lambda s: s.endpoint in ("auth.profile", "auth.login"))  # they sign in/out
    for spec in specs:
        session.as_(spec.role)
        data = bad_input.payload(spec, form_ids, {}, [])
        path = spec.path(form_ids)
        if spec.method == "GET":
            response = client.get(path, query_string=data)
        else:
            data["csrf_token"] = session.token
            response = client.post(path, data=data, content_type="multipart/form-data"
                                   if spec.multipart else None)
        html = response.get_data(as_text=True)
        if 300 <= response.status_code < 400:
            html = client.get(response.headers["Location"]).get_data(as_text=True)
        assert response.status_code < 400, (spec.endpoint, response.status_code)
        assert 'class="flash error"' not in html and 'class="error"' not in html, \
            spec.endpoint
        if spec.endpoint == "auth.login":
            session.role, session.token = "KEN", session._token("/home")


def test_an_unknown_what_if_method_says_why(form_ids, client):
    """The what-if page refused it and showed no error: the method's errors were not drawn."""
    session = Session(client)
    session.as_("office")
    response = client.get(f"/fund/cycles/{form_ids['cycle']}/what-if",
                          query_string={"method": "random", "min_score": "0"})
    assert response.status_code == 200
    assert "Not a valid choice." in response.get_data(as_text=True)


def test_digits_that_are_not_decimals_are_refused_not_a_500(client, seeded):
    """'²' is a digit to Python's isdigit() but not a number int() reads: every page that
    reads a number from a parameter refuses or ignores it."""
    from tests.conftest import Auth

    factories.user("secretariat", email="sec@example.org")
    db.session.commit()
    for path in ("/portfolio/?area=²&year=²", "/portfolio/?page=²"):
        assert client.get(path).status_code == 200
    Auth(client).login("sec@example.org")
    for path in ("/pipeline/?area=²&page=²", "/admin/audit?entity_id=²"):
        assert client.get(path).status_code < 500


HUGE_PAGES = ["99999999999999999999999", str(2**63), str(2**31), "1000000000", "٣"]


def test_a_huge_page_number_is_the_last_page_not_a_500(client, seeded):
    """A page number past 64 bits overflowed SQL's OFFSET (a 500 on the pipeline, the audit
    log and the accounts): every numbered listing shows its last page instead."""
    from tests.conftest import Auth

    factories.user("secretariat", email="sec@example.org")
    factories.user("admin", email="admin@example.org")
    db.session.commit()
    listings = {"sec@example.org": ("/pipeline/", "/admin/audit"),
                "admin@example.org": ("/admin/users", "/admin/audit")}
    for page in HUGE_PAGES:
        assert client.get("/portfolio/", query_string={"page": page}).status_code == 200, page
    for email, paths in listings.items():
        Auth(client).login(email)
        for path in paths:
            for page in HUGE_PAGES:
                for args in ({"page": page}, {"page": page, "status": "draft"}):
                    response = client.get(path, query_string=args)
                    assert response.status_code == 200, (path, args, response.status_code)
        Auth(client).logout()


def test_a_nul_in_a_repeated_field_is_refused(client, seeded):
    """The guard reads every value of a repeated key, not only the first."""
    from werkzeug.datastructures import MultiDict

    from tests.conftest import csrf_token

    data = MultiDict([("csrf_token", csrf_token(client, "/login")), ("email", "a@example.org"),
                      ("email", "b\x00@example.org"), ("password", "whatever")])
    refused = client.post("/login", data=data)
    assert refused.status_code == 400
    assert "NUL character" in refused.get_data(as_text=True)
