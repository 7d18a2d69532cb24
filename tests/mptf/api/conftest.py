"""A fund with a history, built through the services: a committee, four pipeline notes scored
in a closed round, contributions enough for three, a cycle approved by the chair (three
allocations, one transfer made), an issued decision; plus an unfunded pipeline note and a
draft whose texts carry markers that must never reach a public page. API tokens per role."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import pytest

from mptf.allocation import cycles
from mptf.api import tokens
from mptf.extensions import db
from mptf.models import ConceptNote, Decision, FundingCycle, User
from mptf.models.base import utcnow
from mptf.review import services as review
from tests import factories
from tests.conftest import make_test_config
from tests.mptf.api.conformance import Conformance
from tests.mptf.review.conftest import appoint, committee, teams  # noqa: F401 (fixtures)

UNFUNDED_MARK = "ZQXUNFUNDEDSECRET"
DRAFT_MARK = "ZQXDRAFTSECRET"
REVIEW_MARK = "ZQXREVIEWERCOMMENT"
OPENING = date(2026, 3, 1)
DIRECT = 50_000_000  # USD 500,000.00 per PUNO: a note is USD 1,070,000.00 with 7 % indirect


@pytest.fixture
def test_config(tmp_path):
    """The suite's configuration with the API's rate limits out of the way (one test sets
    them low on purpose)."""
    config, schema = make_test_config(tmp_path)
    config.update(API_RATE_LIMIT=1_000_000, API_RATE_LIMIT_IP=1_000_000)
    return config, schema


_conformance: dict[int, tuple[object, Conformance]] = {}


def conformance(app) -> Conformance:
    """One checker per app (the document is built once for it)."""
    known = _conformance.get(id(app))
    if known is None or known[0] is not app:
        known = (app, Conformance(app))
        _conformance.clear()  # the previous test's apps are done with
        _conformance[id(app)] = known
    return known[1]


@pytest.fixture(autouse=True)
def answers_match_the_description(monkeypatch):
    """Every API response of these tests is checked against the published OpenAPI document
    (``conformance.py``): an undocumented status, media type or JSON shape fails the test that
    received it."""
    from flask.testing import FlaskClient

    opened = FlaskClient.open

    def open_and_check(self, *args, **kwargs):
        response = opened(self, *args, **kwargs)
        request = response.request
        if request.path.startswith("/api/"):
            problems = conformance(self.application).problems(request.method, request.path,
                                                              response)
            assert not problems, "The answer does not match the OpenAPI document:\n" + \
                "\n".join(problems[:20])
        return response

    monkeypatch.setattr(FlaskClient, "open", open_and_check)


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    """These tests make a dozen accounts each; scrypt's cost is the login tests' business."""
    from functools import partial

    from werkzeug.security import generate_password_hash

    monkeypatch.setattr("mptf.models.accounts.generate_password_hash",
                        partial(generate_password_hash, method="pbkdf2:sha256:1"))


@dataclass
class World:
    users: dict[str, User]
    funded: list[ConceptNote]
    unfunded: ConceptNote
    draft: ConceptNote
    other_draft: ConceptNote
    round_id: int
    cycle: FundingCycle
    decision: Decision
    tokens: dict[str, str] = field(default_factory=dict)


def make_token(user: User, name: str = "script") -> str:
    _token, text = tokens.create_token(user, name)
    db.session.commit()
    return text


@pytest.fixture
def people(teams, committee):  # noqa: F811 (fixtures imported above)
    made = {"KEN": teams["KEN"], "BGD": teams["BGD"], "sec": teams["sec"],
            "chair": factories.user("chair", email="chair@example.org"),
            "office": factories.user("fund_office", email="office@example.org"),
            "admin": factories.user("admin", email="admin@example.org"),
            "reviewer": committee["DEU"].representatives[0].user,
            "undp": committee["UNDP"].representatives[0].user}
    db.session.commit()
    return made


def _score_all(round_, committee_, note_ids, level: int, comment: str = "") -> None:  # noqa: F811
    for membership in committee_.values():
        reviewer = membership.representatives[0].user
        for note_id, _assignment in [(a.note_id, a) for a, _r in
                                     review.my_assignments(reviewer, round_)
                                     if a.status == "assigned" and a.note_id in note_ids]:
            values = {c.code: level for c in round_.criteria}
            review.save_review(reviewer, round_, note_id, values, {}, comment, submit=True)


@pytest.fixture
def world(people, committee):  # noqa: F811
    ken, bgd, sec = people["KEN"], people["BGD"], people["sec"]
    punos_bgd = [("IOM", DIRECT), ("UNDP", DIRECT)]
    funded = [
        factories.note(ken, "pipeline", title="Kenya labour mobility", punos=[
            ("IOM", DIRECT), ("ILO", DIRECT)], summary="Fair recruitment in Kenya."),
        factories.note(ken, "pipeline", title="Kenya data", thematic_area_id=1,
                       objective_ids=[1], punos=[("IOM", DIRECT), ("ILO", DIRECT)],
                       summary="Migration data for planning.", gender_marker=3),
        factories.note(bgd, "pipeline", title="Bangladesh returnees", thematic_area_id=2,
                       objective_ids=[7], punos=punos_bgd, summary="Reintegration support."),
    ]
    unfunded = factories.note(bgd, "pipeline", title=f"Unfunded {UNFUNDED_MARK}",
                              summary=f"Secret summary {UNFUNDED_MARK}", punos=punos_bgd)
    draft = factories.note(ken, "draft", title=f"Draft {DRAFT_MARK}",
                           summary=f"Draft summary {DRAFT_MARK}")
    other_draft = factories.note(bgd, "draft", title="Bangladesh draft")
    db.session.commit()
    round_ = review.create_round(sec, review.RoundInput(
        name="Round 1", opens_on=OPENING, closes_on=date(2026, 4, 1),
        note_ids=[n.id for n in [*funded, unfunded]]))
    review.open_round(sec, round_, OPENING)
    _score_all(round_, committee, {n.id for n in funded}, 5, comment=REVIEW_MARK)
    _score_all(round_, committee, {unfunded.id}, 2, comment=REVIEW_MARK)
    review.close_round(sec, round_)
    db.session.commit()
    # Net USD 3,300,000.00 after the 1 % fee: three notes of USD 1,070,000.00, not four.
    factories.contribution("DEU", "2,000,000.00", date(2026, 1, 10), reference="DEP-1")
    factories.contribution("NOR", "1,333,333.34", date(2026, 2, 10), reference="DEP-2")
    cycle = cycles.create_cycle(sec, cycles.CycleInput(
        name="Cycle 2026-1", decision_date=date(2026, 5, 20), envelope_cents=None,
        policy={"max_per_country": None}, round_ids=[round_.id]))
    run = cycles.save_run(sec, cycle)
    cycles.approve(people["chair"], cycle, run)
    pdf = b"%PDF-1.4 sealed decision"
    decision = Decision(cycle=cycle, run=run, reference="MIG-SC-2026-01", status="issued",
                        meeting_date=date(2026, 5, 20), outcome_mode="consensus",
                        issued_at=utcnow().replace(microsecond=0), issued_by_id=people["chair"].id,
                        pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest())
    db.session.add(decision)
    allocation = next(a for a in cycle.allocations if a.note_id == funded[1].id)
    allocation.transfers[0].transferred_on = date(2026, 6, 1)  # IOM's share of "Kenya data"
    db.session.commit()
    assert sorted(a.note_id for a in cycle.allocations) == sorted(n.id for n in funded)
    assert unfunded.status == "pipeline"
    return World(users=people, funded=funded, unfunded=unfunded, draft=draft,
                 other_draft=other_draft, round_id=round_.id, cycle=cycle, decision=decision)


@pytest.fixture
def api_tokens(world):
    return {key: make_token(user) for key, user in world.users.items()}


class Api:
    """Requests to the API with a bearer token (never a session cookie)."""

    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token

    def headers(self, extra=None):
        headers = dict(extra or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path, **kwargs):
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)),
                               **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.client.post(path, json=json, headers=self.headers(kwargs.pop("headers",
                                                                                 None)),
                                **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.client.patch(path, json=json, headers=self.headers(
            kwargs.pop("headers", None)), **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.client.put(path, json=json, headers=self.headers(kwargs.pop("headers",
                                                                                None)),
                               **kwargs)

    def as_(self, token: str | None) -> Api:
        return Api(self.client, token)


@pytest.fixture
def api(client):
    return Api(client)


__all__ = ["appoint", "committee", "teams"]
