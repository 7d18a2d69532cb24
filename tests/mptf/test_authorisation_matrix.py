"""Every route of the app, requested as every principal, against a table of expected outcomes
written out below (DESIGN.md §1 and the views' decorators); CSRF on every form POST; the
session's life (fixation, logout, deactivation).

One fund is built once for the module through the services (a note of Kenya in each state, a
closed round with reviews and an open one, an approved cycle with an issued decision and its
letters, a draft cycle with a draft decision, contributions, memberships, an API token per
principal). GET requests leave it as it was (checked at the end); unsafe methods are sent only
where they must be refused, or as a probe that cannot change anything (an id that does not
exist, an empty form): the role gate is the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from mptf import create_app
from mptf.allocation import cycles, decisions
from mptf.api import tokens
from mptf.extensions import db
from mptf.models import (
    ApiToken,
    Assignment,
    AuditEvent,
    ConceptNote,
    Contribution,
    Decision,
    FundingCycle,
    Membership,
    MembershipRepresentative,
    Notification,
    Organisation,
    Review,
    ReviewRound,
    User,
)
from mptf.reference.seed import seed_reference_data
from mptf.review import services as review
from tests import factories
from tests.conftest import csrf_token, make_test_config

# --- the principals ----------------------------------------------------------------------------

ANON, TEAM, OTHER = "anonymous", "country_team", "other_country"
SEC, REV, CHAIR, OFFICE, ADMIN = "secretariat", "reviewer", "chair", "fund_office", "admin"
PRINCIPALS = (ANON, TEAM, OTHER, SEC, REV, CHAIR, OFFICE, ADMIN)
SIGNED_IN = PRINCIPALS[1:]

# Markers written into texts that some principals must never see in any response.
OPEN_MARK = "ZQXOPENROUNDCOMMENT"      # another reviewer's comment in the open round: nobody
OWN_MARK = "ZQXOWNDRAFTCOMMENT"        # our reviewer's own draft comment: that reviewer only
CLOSED_MARK = "ZQXCLOSEDROUNDCOMMENT"  # an individual comment of the closed round
DRAFT_MARK = "ZQXKENYADRAFT"           # a Kenyan note's text

MARK_READERS = {
    OPEN_MARK: set(),
    OWN_MARK: {REV},
    CLOSED_MARK: {SEC, CHAIR},
    DRAFT_MARK: {TEAM, SEC, REV, CHAIR, OFFICE},
}

# --- the expected outcomes ---------------------------------------------------------------------

LOGIN = "→/login"        # 302 to the sign-in page
HOME = "→/home"
PASS = "passes"          # an unsafe method let through the role gate (probed, see below)
REFUSALS = {LOGIN, 401, 403, 404}


def row(default, **cells) -> dict[str, object]:
    """One route's outcome per principal: ``default`` unless named (``other`` is the other
    country's team, ``office`` the fund office)."""
    names = {"anon": ANON, "team": TEAM, "other": OTHER, "sec": SEC, "rev": REV,
             "chair": CHAIR, "office": OFFICE, "admin": ADMIN}
    unknown = set(cells) - set(names)
    assert not unknown, unknown
    return {p: cells.get(next(k for k, v in names.items() if v == p), default)
            for p in PRINCIPALS}


def signed_in(default, **cells):
    return row(default, anon=LOGIN, **cells)


def api(default, **cells):
    return row(default, anon=401, **cells)


EVERYONE = row(200)
SIGNED_IN_ALL = signed_in(200)
MONEY = signed_in(403, sec=200, chair=200, office=200)       # fund and cycle pages
PIPELINE = signed_in(200, admin=403)                          # the pipeline's lists
NOTE = signed_in(200, other=404, admin=403)                   # one note of Kenya
OWN_NOTE_POST = signed_in(403, team=PASS, other=404)          # a Kenyan team's change
SEC_ONLY = signed_in(403, sec=200)
SEC_POST = signed_in(403, sec=PASS)
COMMITTEE = signed_in(200, team=403, other=403)
ROUNDS = signed_in(403, sec=200, rev=200, chair=200, office=200)
API_ROUNDS = api(403, sec=200, rev=200, chair=200, office=200)
API_CYCLES = api(403, sec=200, chair=200, office=200)

EXPECTED: dict[str, dict[str, object]] = {
    # accounts
    "auth.login": row(HOME, anon=200),
    "auth.logout": signed_in(PASS),
    "auth.profile": SIGNED_IN_ALL,
    "tokens.index": SIGNED_IN_ALL,
    "tokens.create": signed_in(PASS),
    "tokens.revoke": signed_in(404, admin=PASS),  # the admin's token: nobody else's
    "admin.users": signed_in(403, admin=200),
    "admin.set_active": signed_in(403, admin=PASS),
    "admin.audit_log": signed_in(403, sec=200, admin=200),
    # notifications: each user's own; the outbox is the secretariat's and the admin's
    "notifications.index": SIGNED_IN_ALL,
    "notifications.mark_read": signed_in(PASS),
    "notifications.preferences": SIGNED_IN_ALL,
    "notifications.outbox": signed_in(403, sec=200, admin=200),
    "notifications.outbox_message": signed_in(403, sec=200, admin=200),
    "notifications.retry": signed_in(403, sec=PASS, admin=PASS),
    # main and public
    "main.index": row(HOME, anon="→/portfolio/"),
    "main.home": SIGNED_IN_ALL,
    "main.healthz": EVERYONE,
    "public.index": EVERYONE,
    "public.programme": EVERYONE,
    "public.chart": EVERYONE,
    # the pipeline
    "pipeline.index": PIPELINE,
    "pipeline.export": PIPELINE,
    "pipeline.new": signed_in(403, team=200, other=200),
    "pipeline.show": NOTE,
    "pipeline.versions": NOTE,
    "pipeline.download": NOTE,
    "pipeline.edit": signed_in(403, team=200, other=404),
    "pipeline.upload": OWN_NOTE_POST,
    "pipeline.delete_attachment": OWN_NOTE_POST,
    "pipeline.withdraw": signed_in(403, team=200, other=404),  # GET: its confirmation
    "pipeline.screen": SEC_ONLY,
    "pipeline.config": SEC_ONLY,
    "pipeline.import_page": SEC_ONLY,
    # the Steering Committee
    "committee.composition": COMMITTEE,
    "committee.timeline": COMMITTEE,
    "committee.timeline_svg": COMMITTEE,
    "committee.memberships": COMMITTEE,
    "committee.membership": COMMITTEE,
    "committee.add_membership": SEC_POST,
    "committee.end_membership": SEC_POST,
    "committee.add_representative": SEC_POST,
    "committee.remove_representative": SEC_POST,
    "committee.config": SEC_ONLY,
    "committee.rotation_order": SEC_ONLY,
    "committee.set_rotation_order": SEC_POST,
    "committee.rotation": SEC_ONLY,
    "committee.conflicts": signed_in(403, sec=200, rev=200, chair=200),
    "committee.declare_conflict": signed_in(403, sec=PASS, rev=PASS, chair=PASS),
    # review rounds (the open round unless said)
    "review.index": ROUNDS,
    "review.new": SEC_ONLY,
    "review.edit": SEC_ONLY,                          # the round in preparation
    "review.rubric": SEC_ONLY,                        # the round in preparation
    "review.open_": SEC_POST,                         # the round in preparation
    "review.show": ROUNDS | {OFFICE: 404},            # the fund office sees closed rounds only
    "review.close": SEC_ONLY,                         # GET: its confirmation
    "review.remind": SEC_POST,
    "review.score": signed_in(403, rev=200),
    "review.reopen": signed_in(403, rev=PASS),
    "review.conflict": signed_in(403, rev=200),       # GET: its confirmation
    "review.results": ROUNDS,                         # the closed round
    "review.export": ROUNDS,                          # the closed round
    # the fund's money and funding cycles
    "allocation.balance": MONEY,
    "allocation.chart_svg": MONEY,
    "allocation.balance_export": MONEY,
    "allocation.cycles_export": MONEY,
    "allocation.contributions": MONEY,
    "allocation.contributions_export": MONEY,
    "allocation.contribution": MONEY,
    "allocation.new_contribution": signed_in(403, office=200),
    "allocation.correct": signed_in(403, office=200),
    "allocation.cycles": MONEY,
    "allocation.cycle": MONEY,                        # the approved cycle
    "allocation.new_cycle": SEC_ONLY,
    "allocation.edit_cycle": SEC_ONLY,                # the draft cycle
    "allocation.run_cycle": SEC_POST,
    "allocation.exclusions": SEC_ONLY,                # the draft cycle
    "allocation.include_note": SEC_POST,
    "allocation.what_if": MONEY,
    "allocation.run_export": MONEY,
    # decisions and documents (the issued decision unless said)
    "reports.index": MONEY,
    "reports.decision": signed_in(403, sec=200, chair=200),          # the draft decision
    "reports.decision_preview": signed_in(403, sec=200, chair=200),  # the draft decision
    "reports.issue": signed_in(403, chair=200),    # the draft decision; GET: its confirmation
    "reports.decision_view": MONEY,
    "reports.decision_pdf": EVERYONE,                # sealed and public, like the portfolio
    "reports.decision_csv": MONEY,
    "reports.decision_xlsx": MONEY,
    # the letter on a Kenyan note: Kenya's team (linked from the note's page), not another's
    "reports.letter": MONEY | {TEAM: 200, OTHER: 404},
    "reports.pipeline_pdf": MONEY,
    "reports.pipeline_csv": MONEY,
    "reports.pipeline_xlsx": MONEY,
    "reports.round_pdf": ROUNDS,                     # the closed round
    "reports.verify": EVERYONE,
    # the API (a bearer token per principal; anonymous sends none)
    "api.programmes": EVERYONE,
    "api.programme": EVERYONE,
    "api.fund": EVERYONE,
    "api.contributions": EVERYONE,
    "api.demand": EVERYONE,
    "api.decisions": EVERYONE,
    "api.decision": EVERYONE,
    "api.reference": EVERYONE,
    "api.iati_activities": EVERYONE,
    "api.openapi": EVERYONE,
    "api.docs": EVERYONE,
    "api.me": api(200),
    "api.notes": api(200),                           # each sees its own selection
    # the draft: a never-submitted note is its team's and the secretariat's only
    "api.note": api(404, team=200, sec=200),
    "api.create_note": api(403, team=PASS, other=PASS),
    "api.update_note": api(403, team=PASS, other=404),
    "api.submit_note": api(403, team=PASS, other=404),
    "api.rounds": API_ROUNDS,
    "api.round_detail": API_ROUNDS | {OFFICE: 404},  # the open round
    "api.round_results": API_ROUNDS,                 # the closed round
    "api.my_review": api(403, rev=200),
    "api.save_review": api(403, rev=PASS),
    "api.cycles": API_CYCLES,
    "api.cycle": API_CYCLES,
    "api.run": API_CYCLES,
}

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
BOGUS_ID = 999_999


# --- the fund ----------------------------------------------------------------------------------

@dataclass
class World:
    app: Flask
    served: Flask
    ids: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)
    clients: dict = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)
    before: dict = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    def args(self, endpoint: str, argument: str):
        """The real value of one URL argument for one endpoint."""
        ids = self.ids
        fixed = {"fmt": "csv", "constituency": "un_network"}
        if argument in fixed:
            return fixed[argument]
        if argument == "name":
            return {"public.chart": "area", "reports.pipeline_csv": "region",
                    "reports.decision_csv": "approved"}[endpoint]
        if argument == "note_id":
            if endpoint.startswith(("review.", "api.my_review", "api.save_review")):
                return ids["open_note"]
            if endpoint == "reports.letter":
                return ids["funded_note"]
            if endpoint in ("pipeline.edit", "pipeline.upload", "api.note", "api.update_note",
                            "api.submit_note"):
                return ids["draft_note"]
            return ids["submitted_note"]
        if argument == "round_id":
            if endpoint in ("review.edit", "review.rubric", "review.open_"):
                return ids["draft_round"]
            if endpoint in ("review.results", "review.export", "reports.round_pdf",
                            "api.round_results"):
                return ids["closed_round"]
            return ids["open_round"]
        if argument == "cycle_id":
            if endpoint in ("allocation.edit_cycle", "allocation.run_cycle",
                            "allocation.exclusions", "allocation.include_note",
                            "allocation.what_if", "reports.decision",
                            "reports.decision_preview"):
                return ids["draft_cycle"]
            return ids["approved_cycle"]
        if argument == "user_id" and endpoint == "admin.set_active":
            return ids["spare_user"]
        if argument == "decision_id":
            return ids["draft_decision" if endpoint == "reports.issue" else "issued_decision"]
        return ids[{"attachment_id": "attachment", "membership_id": "membership",
                    "user_id": "user", "contribution_id": "contribution",
                    "allocation_id": "allocation", "run_id": "run",
                    "token_id": "spare_token", "notification_id": "notification"}[argument]]


TERM = factories.sitting_term()
MEETING = date(2026, 5, 20)
# (constituency, position, kind, acronym): seven scoring seats; DEU's representative is our
# reviewer, the others score too. UNHCR and Mexico give every note a UN Network member and a
# country of origin, transit and destination without the members recused from it, as the
# decision's quorum on each note needs.
SEATS = [("un_network", 1, "un_entity", "IOM"), ("un_network", 2, "un_entity", "UNDP"),
         ("un_network", 3, "un_entity", "UNHCR"),
         ("contributing_state", 1, "state", "DEU"), ("cotd_state", 1, "state", "KEN"),
         ("cotd_state", 2, "state", "MEX"), ("stakeholder", 1, "stakeholder", None)]


def _committee() -> dict[str, Membership]:
    members = {}
    for constituency, position, kind, acronym in SEATS:
        query = select(Organisation).where(Organisation.kind == kind)
        if acronym:
            query = query.where(Organisation.acronym == acronym)
        party = db.session.scalars(query.order_by(Organisation.id)).first()
        membership = Membership(seat=factories.seat(constituency, position),
                                organisation=party, start_date=TERM[0], end_date=TERM[1])
        db.session.add(membership)
        db.session.flush()
        key = acronym or "CSO"
        person = factories.user("reviewer", email=f"{key.lower()}@reviewers.example")
        db.session.add(MembershipRepresentative(membership=membership, user=person))
        members[key] = membership
    db.session.flush()
    return members


def _score(round_, members, note_level: dict[int, int], comment_of) -> None:
    for key, membership in members.items():
        reviewer = membership.representatives[0].user
        for assignment, _review in review.my_assignments(reviewer, round_):
            if assignment.status == "assigned" and assignment.note_id in note_level:
                level = note_level[assignment.note_id]
                review.save_review(reviewer, round_, assignment.note_id,
                                   {c.code: level for c in round_.criteria}, {},
                                   comment_of(key), submit=True)


def build() -> dict[str, int]:
    """The fund, through the services; returns the ids the URLs use."""
    ken = factories.user("country_team", country="KEN", email="kenya@example.org")
    bgd = factories.user("country_team", country="BGD", email="bangladesh@example.org")
    sec = factories.user("secretariat", email="sec@example.org")
    chair = factories.user("chair", email="chair@example.org")
    office = factories.user("fund_office", email="office@example.org")
    admin = factories.user("admin", email="admin@example.org")
    spare = factories.user("country_team", country="BGD", email="spare@example.org")
    members = _committee()
    db.session.commit()

    bgd_punos = [("IOM", 60_000_000), ("UNDP", 40_000_000)]
    submitted = factories.note(ken, "draft", title=f"Kenya submitted {DRAFT_MARK}",
                               summary=f"Summary {DRAFT_MARK}")
    attachment = factories.add_pdf(ken, submitted)
    from mptf.pipeline import services as pipeline

    pipeline.submit(ken, submitted)
    draft = factories.note(ken, "draft", title=f"Kenya draft {DRAFT_MARK}")
    factories.note(ken, "returned", title="Kenya returned")
    factories.note(ken, "withdrawn", title="Kenya withdrawn")
    funded = factories.note(ken, "pipeline", title="Kenya funded")
    unfunded = factories.note(ken, "pipeline", title="Kenya unfunded")
    bgd_funded = factories.note(bgd, "pipeline", title="Bangladesh funded", punos=bgd_punos)
    open_note = factories.note(ken, "pipeline", title="Kenya in the open round")
    bgd_open = factories.note(bgd, "pipeline", title="Bangladesh in the open round",
                              punos=bgd_punos)
    db.session.commit()

    closed = review.create_round(sec, review.RoundInput(
        name="Round 1", opens_on=date(2026, 3, 1), closes_on=date(2026, 4, 1), quorum=2,
        note_ids=[funded.id, unfunded.id, bgd_funded.id]))
    review.open_round(sec, closed, date(2026, 3, 1))
    _score(closed, members, {funded.id: 5, bgd_funded.id: 5, unfunded.id: 4},
           lambda key: f"{key} {CLOSED_MARK}")
    review.close_round(sec, closed)
    opened = review.create_round(sec, review.RoundInput(
        name="Round 2", opens_on=date(2026, 11, 1), closes_on=None, quorum=2,
        note_ids=[open_note.id, bgd_open.id]))
    review.open_round(sec, opened, date(2026, 11, 1))
    reviewer = members["DEU"].representatives[0].user
    review.save_review(reviewer, opened, open_note.id,
                       {opened.criteria[0].code: 4}, {}, OWN_MARK, submit=False)
    stakeholder = members["CSO"].representatives[0].user
    review.save_review(stakeholder, opened, open_note.id,
                       {c.code: 3 for c in opened.criteria}, {}, OPEN_MARK, submit=True)
    preparing = review.create_round(sec, review.RoundInput(
        name="Round 3", opens_on=None, closes_on=None))
    db.session.commit()

    # Net USD 2,475,000 after the 1 % fee: two notes of USD 1,070,000; the third waits.
    contribution = factories.contribution("DEU", "1,500,000.00", date(2026, 1, 10))
    factories.contribution("NOR", "1,000,000.00", date(2026, 2, 10))
    approved = cycles.create_cycle(sec, cycles.CycleInput(
        name="Cycle 2026-1", decision_date=MEETING, envelope_cents=None,
        policy={"max_per_country": None}, round_ids=[closed.id]))
    run = cycles.save_run(sec, approved)
    present = [m.id for m in members.values()]
    draft_input = decisions.DraftInput(
        meeting_date=MEETING, place="Geneva", virtual=False, present_ids=present,
        outcome_mode="consensus", escalation_step=None, text="Approved.",
        other_decisions="", conditions={})
    issued = decisions.issue(chair, decisions.save_draft(sec, approved, draft_input))
    db.session.commit()
    assert {a.note_id for a in approved.allocations} == {funded.id, bgd_funded.id}
    drafting = cycles.create_cycle(sec, cycles.CycleInput(
        name="Cycle 2026-2", decision_date=date(2026, 12, 20), envelope_cents=None,
        policy={}, round_ids=[closed.id]))
    cycles.save_run(sec, drafting)
    draft_decision = decisions.save_draft(sec, drafting, decisions.DraftInput(
        **{**draft_input.__dict__, "meeting_date": date(2026, 12, 20)}))
    _spare_token, _ = tokens.create_token(admin, "spare")
    db.session.commit()
    allocation = next(a for a in approved.allocations if a.note_id == funded.id)
    return {"draft_note": draft.id, "submitted_note": submitted.id, "funded_note": funded.id,
            "open_note": open_note.id, "attachment": attachment.id,
            "membership": members["DEU"].id, "user": reviewer.id, "spare_user": spare.id,
            "contribution": contribution.id, "allocation": allocation.id, "run": run.id,
            "open_round": opened.id, "closed_round": closed.id, "draft_round": preparing.id,
            "approved_cycle": approved.id, "draft_cycle": drafting.id,
            "issued_decision": issued.id, "draft_decision": draft_decision.id,
            "spare_token": _spare_token.id,
            "notification": db.session.scalar(select(func.min(Notification.id))),
            **{f"user:{p}": u.id for p, u in {TEAM: ken, OTHER: bgd, SEC: sec, REV: reviewer,
                                             CHAIR: chair, OFFICE: office,
                                             ADMIN: admin}.items()}}


def fingerprint() -> dict:
    """What a request must not change: every table's rows but the counters a request keeps
    (rate limits, the login throttle, sign-in events), and the states of the workflow."""
    skipped = {"api_rate_limits", "login_throttle", "audit_events"}
    counts = {t.name: db.session.scalar(select(func.count()).select_from(t))
              for t in db.metadata.sorted_tables if t.name not in skipped}
    counts["audit_events"] = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action.not_in(("login", "api_token_created"))))
    states = {
        model.__tablename__: db.session.execute(select(model.id, *columns)
                                                .order_by(model.id)).all()
        for model, columns in (
            (ConceptNote, [ConceptNote.status, ConceptNote.updated_at]),
            (ReviewRound, [ReviewRound.status]), (FundingCycle, [FundingCycle.status]),
            (Decision, [Decision.status, Decision.pdf_sha256]),
            (User, [User.active, User.password_hash]), (ApiToken, [ApiToken.revoked_at]),
            (Contribution, [Contribution.amount_cents, Contribution.reference]),
            (Membership, [Membership.end_date]), (Assignment, [Assignment.status]),
            (Review, [Review.status]))}
    return {"counts": counts, "states": states}


def sign_in(world: World, principal: str) -> None:
    """The principal's client signed in (anonymous: just a session), with its CSRF token."""
    client = world.clients[principal]
    if principal != ANON:
        response = client.post("/login", data={"email": world.emails[principal],
                                               "password": factories.PASSWORD,
                                               "csrf_token": csrf_token(client, "/login")})
        assert response.status_code == 302, principal
    world.csrf[principal] = csrf_token(client, "/login" if principal == ANON else "/profile")


def _new_schema(config, schema):
    app = create_app(config)
    with app.app_context():
        if schema:
            with db.engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        db.create_all()
    return app


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    config, schema = make_test_config(tmp_path_factory.mktemp("matrix"))
    config.update(API_RATE_LIMIT=10**9, API_RATE_LIMIT_IP=10**9)
    app = _new_schema(config, schema)
    with app.app_context():
        seed_reference_data()
        db.session.commit()
        ids = build()
        the_world = World(app=app, served=create_app(config), ids=ids)
        for principal in SIGNED_IN:
            user = db.session.get(User, ids[f"user:{principal}"])
            token, the_world.tokens[principal] = tokens.create_token(user, "matrix")
        db.session.commit()
        the_world.emails = {p: db.session.get(User, ids[f"user:{p}"]).email
                            for p in SIGNED_IN}
    for principal in PRINCIPALS:
        the_world.clients[principal] = the_world.served.test_client()
        sign_in(the_world, principal)
    # The letter on the funded Kenyan note is sealed at its first download: download it now,
    # so that the matrix's GETs read only.
    letter = (f"/reports/decisions/{ids['issued_decision']}/letters/"
              f"{ids['funded_note']}.pdf")
    assert the_world.clients[CHAIR].get(letter).status_code == 200
    with app.app_context():
        the_world.before = fingerprint()
    yield the_world
    with the_world.served.app_context():
        db.engine.dispose()
    with app.app_context():
        db.session.remove()
        if schema:
            with db.engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        db.engine.dispose()


# --- requests ----------------------------------------------------------------------------------

def rules(app: Flask) -> dict[str, object]:
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            assert rule.endpoint not in found, f"{rule.endpoint} has two rules"
            found[rule.endpoint] = rule
    return found


def _path(world: World, rule, bogus: bool = False) -> str:
    values = {}
    for argument in rule.arguments:
        value = world.args(rule.endpoint, argument)
        if bogus:
            value = BOGUS_ID if isinstance(value, int) else "nonexistent"
        values[argument] = value
    return world.served.url_map.bind("localhost").build(rule.endpoint, values)


def send(world: World, principal: str, rule, method: str, bogus: bool = False):
    """One request as ``principal``: a session cookie on the site, a bearer token on the API
    (never both); unsafe site methods carry the principal's valid CSRF token."""
    path = _path(world, rule, bogus)
    if rule.rule.startswith("/api/"):
        headers = {} if principal == ANON else {
            "Authorization": f"Bearer {world.tokens[principal]}"}
        client = world.served.test_client(use_cookies=False)
        kwargs = {"json": {}} if method in UNSAFE else {}
        return client.open(path, method=method, headers=headers, **kwargs)
    client = world.clients[principal]
    data = {"csrf_token": world.csrf[principal]} if method in UNSAFE else None
    response = client.open(path, method=method, data=data)
    with client.session_transaction() as session:
        session.pop("_flashes", None)  # flashed refusals would pile up in the cookie
    return response


def outcome(response):
    if response.status_code in (301, 302, 303):
        return "→" + response.headers["Location"].split("?")[0].removeprefix(
            "http://localhost")
    return response.status_code


def _probe(world: World, principal: str, rule, method: str):
    """Let through the role gate: the same request on an id that does not exist is a 404;
    a form without its fields is a 400. Neither changes anything."""
    if rule.endpoint == "auth.logout":  # signs out for real, then back in
        response = world.clients[principal].post("/logout",
                                                 data={"csrf_token": world.csrf[principal]})
        sign_in(world, principal)
        return response, LOGIN
    if rule.arguments:
        return send(world, principal, rule, method, bogus=True), 404
    return send(world, principal, rule, method), 400


# --- the matrix --------------------------------------------------------------------------------

def test_the_table_covers_every_route(world):
    """A route added without its row in EXPECTED fails here."""
    assert set(EXPECTED) == set(rules(world.served)), (
        f"missing: {sorted(set(rules(world.served)) - set(EXPECTED))}; "
        f"stale: {sorted(set(EXPECTED) - set(rules(world.served)))}")


def test_the_table_agrees_with_the_role_decorators(world):
    """Where a view says its roles (``roles_required`` leaves them on the view, the API's
    ``operation`` its description), the table refuses every other role with 403, lets those
    roles through the gate and sends anonymous requests to sign in (401 on the API)."""
    role_of = {TEAM: "country_team", OTHER: "country_team"} | {p: p for p in SIGNED_IN[2:]}
    disagree, checked = [], 0
    for endpoint, view in world.served.view_functions.items():
        roles, signed_out = getattr(view, "allowed_roles", None), LOGIN
        operation = getattr(view, "api_operation", None)
        if operation is not None and operation.roles is not None:
            roles, signed_out = operation.roles or tuple(role_of.values()), 401
        if roles is None:
            continue
        checked += 1
        for principal, role in role_of.items():
            cell = EXPECTED[endpoint][principal]
            if (role in roles) == (cell == 403):
                disagree.append(f"{endpoint} {principal}: {cell} but roles {roles}")
        if EXPECTED[endpoint][ANON] != signed_out:
            disagree.append(f"{endpoint} anonymous: {EXPECTED[endpoint][ANON]}")
    assert disagree == []
    assert checked >= 85  # 72 site views and 14 API operations say their roles today


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_every_route_as(world, principal):
    wrong, leaks = [], []
    for endpoint, rule in sorted(rules(world.served).items()):
        expected = EXPECTED[endpoint][principal]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = send(world, principal, rule, method)
                got = outcome(response)
                body = response.get_data(as_text=True) if response.mimetype.startswith(
                    ("text/", "application/json", "image/svg")) else ""
                leaks += [(endpoint, mark) for mark, readers in MARK_READERS.items()
                          if principal not in readers and mark in body]
                want = expected
            elif expected in REFUSALS:
                got, want = outcome(send(world, principal, rule, method)), expected
            elif expected == PASS:
                response, want = _probe(world, principal, rule, method)
                got = outcome(response)
            else:
                continue  # allowed, and shown by the GET of the same view
            if got != want:
                wrong.append(f"{method} {endpoint}: expected {want}, got {got}")
    assert wrong == []
    assert leaks == []


def test_a_method_the_route_lacks_is_405(world):
    with_get = {r.rule for r in world.served.url_map.iter_rules() if "GET" in r.methods}
    for endpoint, rule in rules(world.served).items():
        if rule.rule not in with_get:
            assert send(world, ANON, rule, "GET").status_code == 405, endpoint


@pytest.mark.parametrize("status", ["draft", "submitted", "returned", "withdrawn", "pipeline",
                                    "selected"])
def test_another_countrys_note_does_not_exist_in_any_state(world, status):
    """Every page and API resource of one Kenyan note, in each state: 404 for Bangladesh's
    team, never 403 (which would tell it the note exists)."""
    with world.app.app_context():
        note_id = db.session.scalars(select(ConceptNote.id).where(
            ConceptNote.status == status, ConceptNote.title.like("Kenya%"))
            .order_by(ConceptNote.id)).first()
    assert note_id is not None, status
    other, team = world.clients[OTHER], world.clients[TEAM]
    for path in (f"/pipeline/{note_id}", f"/pipeline/{note_id}/edit",
                 f"/pipeline/{note_id}/versions", f"/pipeline/{note_id}/screen"):
        expected = 403 if path.endswith("/screen") else 404
        assert other.get(path).status_code == expected, path
        assert team.get(path).status_code in (200, 302, 403), path
    bearer = {"Authorization": f"Bearer {world.tokens[OTHER]}"}
    api_client = world.served.test_client(use_cookies=False)
    assert api_client.get(f"/api/v1/notes/{note_id}", headers=bearer).status_code == 404
    listed = api_client.get("/api/v1/notes?limit=200", headers=bearer).get_json()["data"]
    assert note_id not in {n["id"] for n in listed}


def test_the_matrix_changed_nothing(world):
    """After the matrix (pytest runs a module's tests in order): every GET and every refused
    or probed unsafe request left the fund as it was built."""
    with world.app.app_context():
        assert fingerprint() == world.before


# --- CSRF --------------------------------------------------------------------------------------

def _form_posts(world: World):
    """Every site (non-API) rule taking POST, with a principal the role gate lets through."""
    for endpoint, rule in sorted(rules(world.served).items()):
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        allowed = [p for p in PRINCIPALS if EXPECTED[endpoint][p] not in REFUSALS]
        yield endpoint, rule, allowed[0]


def test_every_form_post_refuses_a_missing_or_wrong_csrf_token(world):
    stranger = world.served.test_client()
    others_token = csrf_token(stranger, "/login")  # valid, but for another session
    with world.app.app_context():
        before = fingerprint()
    refused = []
    for endpoint, rule, principal in _form_posts(world):
        client = world.clients[principal]
        path = _path(world, rule)
        for token in (None, "forged", others_token):
            data = {"reason": "x", "name": "x", "email": "x@example.org", "on": "2027-01-01"}
            if token is not None:
                data["csrf_token"] = token
            response = client.post(path, data=data)
            text_ = response.get_data(as_text=True)
            if response.status_code != 400 or "security token" not in text_ \
                    or "nothing was saved" not in text_:
                refused.append(f"{endpoint} as {principal} with {token!r}: "
                               f"{response.status_code}")
    assert refused == []
    with world.app.app_context():
        assert fingerprint() == before
    # still signed in: a refused logout did not sign anyone out
    assert outcome(world.clients[SEC].get("/home")) == 200


def test_the_csrf_sweep_reaches_every_form_post(world):
    """The sweep above is driven by the url_map: a new POST route is in it without a change
    here."""
    posts = {endpoint for endpoint, _rule, _p in _form_posts(world)}
    assert {"auth.login", "auth.logout", "pipeline.withdraw", "reports.issue",
            "tokens.revoke", "committee.declare_conflict"} <= posts
    assert not any(e.startswith("api.") for e in posts)
    assert len(posts) == sum(1 for r in world.served.url_map.iter_rules()
                             if "POST" in r.methods and not r.rule.startswith("/api/"))


# --- the session -------------------------------------------------------------------------------

@pytest.fixture
def accounts(seeded):
    for role in ("secretariat", "admin"):
        factories.user(role, email=f"{role}@example.org")
    db.session.commit()


def _login(client, email: str):
    return client.post("/login", data={"email": email, "password": factories.PASSWORD,
                                       "csrf_token": csrf_token(client)})


def test_nothing_planted_in_the_session_before_sign_in_survives_it(client, accounts):
    """Fixation beyond the cookie's value (test_auth checks that it changes): what the
    session held before sign-in, the CSRF token included, is gone after it."""
    planted = csrf_token(client)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    assert _login(client, "secretariat@example.org").status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
    assert client.post("/logout", data={"csrf_token": planted}).status_code == 400
    assert outcome(client.get("/home")) == 200


def test_a_session_cookie_replayed_after_logout_is_anonymous(client, accounts):
    _login(client, "secretariat@example.org")
    stolen = client.get_cookie("session").value
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/home")}
                       ).status_code == 302
    assert outcome(client.get("/home")) == LOGIN
    client.set_cookie("session", stolen)
    assert outcome(client.get("/home")) == LOGIN
    assert outcome(client.get("/admin/audit")) == LOGIN


def test_signing_in_again_after_logout_works_and_old_cookies_stay_dead(client, accounts):
    _login(client, "secretariat@example.org")
    first = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})
    assert _login(client, "secretariat@example.org").status_code == 302
    assert outcome(client.get("/home")) == 200
    replay = type(client)(client.application)
    replay.set_cookie("session", first)
    assert outcome(replay.get("/home")) == LOGIN


def test_a_remember_me_cookie_replayed_after_logout_is_anonymous(client, served_app, accounts):
    """'Keep me signed in' writes a long-lived cookie of its own: sign-out ends it too."""
    client.post("/login", data={"email": "secretariat@example.org", "remember": "y",
                                "password": factories.PASSWORD, "csrf_token": csrf_token(client)})
    remembered = client.get_cookie("remember_token").value
    elsewhere = served_app.test_client()
    elsewhere.set_cookie("remember_token", remembered)
    assert outcome(elsewhere.get("/home")) == 200  # the cookie alone signs in
    client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})
    replay = served_app.test_client()
    replay.set_cookie("remember_token", remembered)
    assert outcome(replay.get("/home")) == LOGIN
    assert outcome(elsewhere.get("/home")) == LOGIN  # signed out everywhere


def test_a_deactivated_user_is_signed_out_on_the_next_request(client, served_app, accounts):
    _login(client, "secretariat@example.org")
    assert outcome(client.get("/home")) == 200
    admin = served_app.test_client()
    _login(admin, "admin@example.org")
    user_id = db.session.scalar(select(User.id).where(User.email == "secretariat@example.org"))
    response = admin.post(f"/admin/users/{user_id}/active",
                          data={"active": "0", "csrf_token": csrf_token(admin, "/admin/users")})
    assert response.status_code == 302
    assert outcome(client.get("/home")) == LOGIN
    assert outcome(client.get("/pipeline/")) == LOGIN
    assert client.post("/logout", data={"csrf_token": "x"}).status_code == 400
    # reactivated, the old session does not come back to life: sign in again
    admin.post(f"/admin/users/{user_id}/active",
               data={"active": "1", "csrf_token": csrf_token(admin, "/admin/users")})
    assert outcome(client.get("/home")) == LOGIN

