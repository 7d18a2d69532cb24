"""The JSON API under /api/v1 (DESIGN.md §8): public data for anyone, and with a personal
token (``Authorization: Bearer …``) what the token owner's role sees on the site, through the
same services and permission checks as the web forms.

Requests authenticate by token only (never the session cookie), so the blueprint is exempt
from CSRF. Every request is counted against the rate limits first (``ratelimit``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from mptf import logs
from mptf.api import ratelimit, serialize, tokens
from mptf.api.schemas import COMPONENTS
from mptf.api.spec import (
    AREA,
    COUNTRY,
    IF_MATCH,
    PAGED,
    REGION,
    STATUS,
    YEAR,
    Q,
    document,
    operation,
)
from mptf.api.validation import (
    ApiError,
    Validator,
    bad_request,
    cursor_param,
    encode_cursor,
    json_body,
    limit_body,
    limit_param,
    too_large,
    unprocessable,
)
from mptf.extensions import csrf, db
from mptf.models import (
    NOTE_STATUSES,
    REGIONS,
    Allocation,
    AllocationRun,
    ConceptNote,
    Country,
    Decision,
    FundingCycle,
    GcmObjective,
    GuidingPrinciple,
    Organisation,
    Review,
    ReviewRound,
    ThematicArea,
)
from mptf.models.base import MAX_ID, utcnow
from mptf.models.money import DecisionStatus
from mptf.models.review import RoundStatus
from mptf.pipeline import services as pipeline
from mptf.pipeline.listing import Filters, filtered
from mptf.public import portfolio
from mptf.public.caching import conditional
from mptf.review import services as review
from mptf.services.errors import Conflict, NotFound, ServiceError
from mptf.services.policy import MONEY_ROLES, PIPELINE_READERS, Role, role_tuple
from mptf.services.unit_of_work import commit

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")
csrf.exempt(bp)

ID = f"int(min=1, max={MAX_ID})"
validator = Validator(COMPONENTS)
READ_ROLES = role_tuple(PIPELINE_READERS)
CYCLE_ROLES = role_tuple(MONEY_ROLES)
TEAM = (Role.COUNTRY_TEAM,)
REVIEWER = (Role.REVIEWER,)


# --- every request ----------------------------------------------------------------------------

@bp.before_request
def authenticate_and_count():
    """Count the request (per client address, and per token), then authenticate the token."""
    limit_body()
    now = utcnow()
    counts = [ratelimit.hit(f"ip:{request.remote_addr or 'unknown'}",
                            ratelimit.setting("API_RATE_LIMIT_IP"), now)]
    token = None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "bearer":
            token = tokens.authenticate(value.strip())
        if token is not None:
            counts.append(ratelimit.hit(f"token:{token.id}",
                                        ratelimit.setting("API_RATE_LIMIT"), now))
    commit()
    g.rate = min(counts, key=lambda c: c.remaining)
    exceeded = [c for c in counts if c.exceeded]
    if exceeded:
        raise ApiError("Too many requests; wait before trying again.", status=429,
                       code="rate_limited",
                       headers={"Retry-After": str(max(c.retry_after(now) for c in exceeded))})
    if header is not None and token is None:
        raise ApiError("The API token is invalid, expired or revoked.", status=401,
                       code="unauthorized")
    tokens.check_scope(token, request.method)
    g.api_token = token
    g.api_user = token.user if token is not None else None


@bp.after_request
def rate_headers(response: Response) -> Response:
    rate = g.get("rate")
    if rate is not None:
        response.headers["X-RateLimit-Limit"] = str(rate.limit)
        response.headers["X-RateLimit-Remaining"] = str(rate.remaining)
    if g.get("api_user") is not None and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def error_response(status: int, code: str, message: str,
                   fields: dict[str, list[str]] | None = None,
                   headers: dict[str, str] | None = None, *,
                   request_id: str | None = None) -> Response:
    error: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    if request_id is not None:
        error["request_id"] = request_id
    response = jsonify(error=error)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="mptf"'
    response.headers.update(headers or {})
    return response


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError):
    """A service's refusal of a well-formed request (the same as the web form's, which
    re-renders with 400) is a 422 here: the API keeps 400 for requests its description rules
    out (``validation.unprocessable``)."""
    db.session.rollback()
    status = 422 if exc.status == 400 and not isinstance(exc, ApiError) else exc.status
    return error_response(status, exc.code, exc.message, exc.fields,
                          getattr(exc, "headers", None))


@bp.errorhandler(IntegrityError)
@bp.errorhandler(OperationalError)
@bp.errorhandler(StaleDataError)
def database_conflict(exc: Exception):
    """A constraint or a lock refused a write a service flushed (two requests at once)."""
    db.session.rollback()
    error = Conflict("Someone else changed this at the same moment; nothing was saved. "
                     "Try again.")
    return error_response(error.status, error.code, error.message)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    db.session.rollback()
    if exc.code == 413:  # a body sent in chunks, past the limit while it was read
        error = too_large()
        return error_response(error.status, error.code, error.message)
    if exc.code == 500:  # an exception nothing handled (logged with its request id)
        return error_response(500, "internal_error", logs.server_error_message(),
                              request_id=logs.request_id())
    code = (exc.name or "error").lower().replace(" ", "_")
    response = error_response(exc.code or 500, code, exc.description or exc.name)
    if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def page(limit: int, last_id: int | None, more: bool, data: list) -> dict:
    """One page of a keyset listing; ``more`` when a further item exists after ``last_id``."""
    return {"data": data, "limit": limit,
            "next_cursor": encode_cursor(last_id) if more and last_id is not None else None}


def user():
    return g.api_user


def viewer() -> str | None:
    return f"token-user:{g.api_user.id}" if g.get("api_user") is not None else None


def public_json(build) -> Response:
    """A public JSON resource with ETag and Last-Modified (a 304 when unchanged)."""
    return conditional(lambda: jsonify(build()), viewer=viewer())


# --- public: the portfolio ------------------------------------------------------------------

def _portfolio_filters() -> portfolio.PortfolioFilters:
    f = portfolio.PortfolioFilters.from_args(request.args)
    if f.errors:
        raise bad_request("Some filters are not valid; see fields.", f.errors)
    return f


@bp.route("/programmes")
@operation("Funded programmes", tags=("public",), response="ProgrammePage",
           params=(AREA, REGION, COUNTRY, YEAR, Q, *PAGED),
           description="The allocations of approved funding cycles, oldest first, with their "
                       "note's country, thematic area, PUNOs, amount and decision.")
def programmes():
    f = _portfolio_filters()
    limit, after = limit_param(), cursor_param()

    def build():
        found = portfolio.programmes_after(f, after, limit + 1)
        shown = found[:limit]
        return page(limit, shown[-1].allocation.id if shown else None,
                    len(found) > limit, [serialize.programme(p) for p in shown])

    return public_json(build)


@bp.route(f"/programmes/<{ID}:allocation_id>")
@operation("One funded programme", tags=("public",), response="Programme")
def programme(allocation_id: int):
    found = portfolio.programme(allocation_id)
    if found is None:
        raise NotFound("There is no such funded programme.")
    return public_json(lambda: serialize.programme(found))


@bp.route("/fund")
@operation("The fund's money", tags=("public",), response="Fund",
           description="Deposits, the Administrative Agent's fee, net deposits, allocated and "
                       "available.")
def fund():
    return public_json(lambda: serialize.fund(portfolio.fund_totals(), portfolio.fund_name()))


@bp.route("/contributions")
@operation("Contributions summary", tags=("public",), response="Contributions",
           description="Deposits by donor and by earmark (thematic area or none).")
def contributions():
    def build():
        donors = portfolio.contributions_by_donor()
        return {
            "by_donor": [{"donor": d["name"], "kind": d["kind"],
                          "contributions": d["contributions"],
                          **serialize.money("gross", d["gross_cents"]),
                          **serialize.money("net", d["net_cents"]),
                          "first": serialize.day(d["first"]), "last": serialize.day(d["last"])}
                         for d in donors],
            "by_earmark": [{"thematic_area_id": e["area"], "contributions": e["contributions"],
                            **serialize.money("gross", e["gross_cents"]),
                            **serialize.money("net", e["net_cents"])}
                           for e in portfolio.contributions_by_earmark()],
            **serialize.money("gross", sum(d["gross_cents"] for d in donors)),
        }

    return public_json(build)


@bp.route("/pipeline/demand")
@operation("The pipeline's demand in aggregate", tags=("public",), response="Demand",
           description="Funded programmes and the unfunded demand of notes waiting in the "
                       "pipeline, counted and summed by thematic area and by region "
                       "(no note is listed).")
def demand():
    def build():
        found = portfolio.pipeline_demand()
        return {"by_thematic_area": [serialize.demand_row(r) for r in found["thematic_area"]],
                "by_region": [serialize.demand_row(r) for r in found["region"]]}

    return public_json(build)


def _decision_totals(cycle_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not cycle_ids:
        return {}
    rows = db.session.execute(
        select(Allocation.cycle_id, func.count(Allocation.id), func.sum(Allocation.amount_cents))
        .where(Allocation.cycle_id.in_(cycle_ids)).group_by(Allocation.cycle_id)).all()
    return {c: (int(n), int(total or 0)) for c, n, total in rows}


def _issued():
    return (select(Decision).where(Decision.status == DecisionStatus.ISSUED)
            .options(selectinload(Decision.cycle)))


@bp.route("/decisions")
@operation("Issued decisions", tags=("public",), response="DecisionPage", params=PAGED,
           description="The Steering Committee's issued decisions with the SHA-256 of each "
                       "sealed PDF (check a copy at /reports/verify).")
def decisions():
    limit, after = limit_param(), cursor_param()

    def build():
        found = db.session.scalars(_issued().where(Decision.id > after).order_by(Decision.id)
                                   .limit(limit + 1)).all()
        shown = found[:limit]
        totals = _decision_totals([d.cycle_id for d in shown])
        return page(limit, shown[-1].id if shown else None, len(found) > limit,
                    [serialize.decision(d, *totals.get(d.cycle_id, (0, 0))) for d in shown])

    return public_json(build)


@bp.route(f"/decisions/<{ID}:decision_id>")
@operation("One issued decision", tags=("public",), response="Decision")
def decision(decision_id: int):
    found = db.session.scalar(_issued().where(Decision.id == decision_id))
    if found is None:
        raise NotFound("There is no such issued decision.")
    totals = _decision_totals([found.cycle_id]).get(found.cycle_id, (0, 0))
    return public_json(lambda: serialize.decision(found, *totals))


@bp.route("/reference")
@operation("Reference data", tags=("public",), response="Reference",
           description="Ids and codes the write operations use: thematic areas, GCM "
                       "objectives, guiding principles, countries, UN entities.")
def reference():
    def build():
        return {
            "thematic_areas": [{"id": a.id, "name": a.name, "short_name": a.short_name}
                               for a in db.session.scalars(select(ThematicArea)
                                                           .order_by(ThematicArea.id))],
            "gcm_objectives": [{"id": o.id, "title": o.title, "short_title": o.short_title,
                                "thematic_area_id": o.thematic_area_id}
                               for o in db.session.scalars(select(GcmObjective)
                                                           .order_by(GcmObjective.id))],
            "guiding_principles": [{"id": p.id, "name": p.name} for p in db.session.scalars(
                select(GuidingPrinciple).order_by(GuidingPrinciple.id))],
            "countries": [{"id": c.id, **serialize.country(c), "champion": c.champion}
                          for c in db.session.scalars(select(Country).order_by(Country.iso3))],
            "un_entities": [{"id": o.id, "acronym": o.acronym, "name": o.name,
                             "network_member": o.network_member}
                            for o in db.session.scalars(
                                select(Organisation).where(Organisation.kind == "un_entity")
                                .order_by(Organisation.acronym))],
            "regions": list(REGIONS),
            "note_statuses": list(NOTE_STATUSES),
            "partner_kinds": pipeline.PARTNER_KINDS,
            "stakeholder_groups": pipeline.STAKEHOLDER_GROUPS,
        }

    return public_json(build)


@bp.route("/iati/activities.xml")
@operation("Funded programmes as IATI 2.03 activities", tags=("public",),
           media_type="application/xml",
           description="The funded programmes in the IATI Activity Standard 2.03: "
                       "participating organisations, recipient country, sector, gender policy "
                       "marker, commitment and disbursement transactions.")
def iati_activities():
    from mptf.api.iati import activities_xml

    def build():
        return Response(activities_xml(), mimetype="application/xml")

    return conditional(build, viewer=viewer())


# --- the description ---------------------------------------------------------------------------

def _document() -> dict[str, Any]:
    cache = current_app.extensions.setdefault("mptf_openapi", {})
    if "document" not in cache:
        cache["document"] = document(current_app)
    return cache["document"]


@bp.route("/openapi.json")
@operation("This API's OpenAPI 3.1 description", tags=("meta",))
def openapi():
    text = json.dumps(_document(), indent=1, sort_keys=True)
    response = Response(text, mimetype="application/json")
    response.set_etag(hashlib.sha256(text.encode()).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@bp.route("/docs")
@operation("This API's documentation page", tags=("meta",), media_type="text/html")
def docs():
    spec = _document()
    operations = [(path, method.upper(), op) for path, item in spec["paths"].items()
                  for method, op in item.items() if method != "parameters"]
    return render_template("api/docs.html", spec=spec, operations=operations)


# --- signed in ------------------------------------------------------------------------------------

@bp.route("/me")
@operation("The token's owner", tags=("account",), roles=(), response="Me")
def me():
    return jsonify(serialize.me(user(), g.api_token))


def _country_id(iso3: str | None) -> int | None:
    """The country's id for the listing filter; -1 (matches nothing) for an unknown code."""
    if iso3 is None:
        return None
    return db.session.scalar(select(Country.id).where(Country.iso3 == iso3)) or -1


@bp.route("/notes")
@operation("Concept notes you may see", tags=("pipeline",), roles=(), response="NotePage",
           params=(STATUS, AREA, REGION, COUNTRY, Q, *PAGED),
           description="A country team sees its own country's notes; the secretariat, "
                       "reviewers, the chair and the fund office see all. Oldest first.")
def notes():
    limit, after = limit_param(), cursor_param()
    f = portfolio.PortfolioFilters.from_args(request.args)
    status = request.args.get("status") or None
    if status is not None and status not in NOTE_STATUSES:
        f.errors.setdefault("status", []).append("Unknown status.")
    if f.errors:
        raise bad_request("Some filters are not valid; see fields.", f.errors)
    filters = Filters(status=status, thematic_area_id=f.area, region=f.region,
                      country_id=_country_id(f.country), q=f.q)
    found = db.session.scalars(
        filtered(user(), filters).where(ConceptNote.id > after)
        .options(selectinload(ConceptNote.country))
        .order_by(ConceptNote.id).limit(limit + 1)).all()
    shown = found[:limit]
    return jsonify(page(limit, shown[-1].id if shown else None, len(found) > limit,
                        [serialize.note_summary(n) for n in shown]))


def _note(note_id: int) -> ConceptNote:
    return pipeline.note_for(user(), note_id)


def _note_response(note: ConceptNote, status: int = 200) -> Response:
    response = jsonify(serialize.note(note, pipeline.can_edit(user(), note)))
    response.status_code = status
    response.set_etag(_note_etag(note))
    return response


def _note_etag(note: ConceptNote) -> str:
    """The note's version counter as an ETag: it changes with every write of the note."""
    return f"note-{note.id}-v{note.lock_version}"


def _require_unchanged(note: ConceptNote) -> None:
    """Honour If-Match: a client that read an older version gets 412, not a lost update."""
    if request.if_match and not request.if_match.contains(_note_etag(note)) \
            and not request.if_match.star_tag:
        raise ApiError("The note has changed since you read it: GET it again, reapply your "
                       "change and send its new ETag in If-Match.", status=412,
                       code="precondition_failed")


def _note_data(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON body as the services' data dict (``ConceptNoteFormBase.to_data`` shape).
    References the web form can only offer from a list are checked here first."""
    area = body.get("thematic_area_id")
    if area is not None and db.session.get(ThematicArea, area) is None:
        raise unprocessable("Unknown thematic area (see /reference).",
                            {"thematic_area_id": ["Unknown thematic area."]})
    data: dict[str, Any] = {}
    for key, value in body.items():
        if key == "punos":
            data["punos"] = _punos(value)
        elif key == "principles":
            data["principles"] = {int(k): v for k, v in value.items()}
        elif key == "endorsement_date":
            data[key] = date.fromisoformat(value) if value else None
        elif key == "title":
            data[key] = value.strip()
        else:
            data[key] = value
    return data


def _punos(rows: list[dict[str, Any]]) -> list[pipeline.PunoInput]:
    wanted = {r["organisation"].strip().upper() for r in rows}
    found = {o.acronym.upper(): o for o in db.session.scalars(
        select(Organisation).where(Organisation.kind == "un_entity",
                                   func.upper(Organisation.acronym).in_(wanted)))}
    problems = {f"punos[{i}].organisation": ["Not a UN entity's acronym (see /reference)."]
                for i, r in enumerate(rows) if r["organisation"].strip().upper() not in found}
    if problems:
        raise unprocessable("Unknown participating organisation; see fields.", problems)
    return [pipeline.PunoInput(found[r["organisation"].strip().upper()].id, r["direct_cents"],
                               bool(r.get("lead", False))) for r in rows]


@bp.route("/notes", methods=["POST"])
@operation("Draft a concept note", tags=("pipeline",), roles=TEAM,
           body="NoteCreate", response="Note", status=201,
           description="The same service as the web form: the note belongs to your country.")
def create_note():
    body = json_body(validator, COMPONENTS["NoteCreate"])
    note = pipeline.create_draft(user(), _note_data(body))
    commit()
    response = _note_response(note, 201)
    response.headers["Location"] = url_for("api.note", note_id=note.id)
    return response


@bp.route(f"/notes/<{ID}:note_id>")
@operation("One concept note", tags=("pipeline",), roles=(), response="Note")
def note(note_id: int):
    return _note_response(_note(note_id))


@bp.route(f"/notes/<{ID}:note_id>", methods=["PATCH"])
@operation("Change a draft or returned note", tags=("pipeline",), roles=TEAM,
           body="NoteUpdate", response="Note", errors=(409, 412), params=(IF_MATCH,),
           description="Send the ETag of your last GET in If-Match so that a change made "
                       "meanwhile by someone else is not overwritten.")
def update_note(note_id: int):
    found = _note(note_id)
    body = json_body(validator, COMPONENTS["NoteUpdate"])
    _require_unchanged(found)
    pipeline.update_draft(user(), found, _note_data(body))
    commit()
    return _note_response(found)


@bp.route(f"/notes/<{ID}:note_id>/submit", methods=["POST"])
@operation("Submit a note to the secretariat", tags=("pipeline",), roles=TEAM,
           response="Note", errors=(409, 422),
           description="Checks the whole note: a 422 lists every problem in error.fields.")
def submit_note(note_id: int):
    found = _note(note_id)
    pipeline.submit(user(), found)
    commit()
    return _note_response(found)


# --- review rounds ------------------------------------------------------------------------------

@bp.route("/rounds")
@operation("Review rounds you may see", tags=("review",), roles=READ_ROLES,
           response="RoundPage", params=PAGED)
def rounds():
    limit, after = limit_param(), cursor_param()
    found = db.session.scalars(review.visible_rounds(user()).order_by(None)
                               .where(ReviewRound.id > after).order_by(ReviewRound.id)
                               .limit(limit + 1)).all()
    shown = found[:limit]
    return jsonify(page(limit, shown[-1].id if shown else None, len(found) > limit,
                        [serialize.round_(r) for r in shown]))


@bp.route(f"/rounds/<{ID}:round_id>")
@operation("One review round", tags=("review",), roles=READ_ROLES, response="Round",
           description="Its rubric and notes; a reviewer's own assignments; for the "
                       "secretariat, during the round, counts of reviews (never scores).")
def round_detail(round_id: int):
    found = review.round_for(user(), round_id)
    out = serialize.round_detail(found)
    if user().role == Role.REVIEWER:
        out["my_assignments"] = [
            {"note_id": a.note_id, "status": a.status,
             "review_status": r.status if r is not None else None}
            for a, r in review.my_assignments(user(), found)]
    if user().role == Role.SECRETARIAT and found.status == RoundStatus.OPEN:
        progress = review.progress(found)["per_note"]
        out["progress"] = [{"note_id": n, **counts} for n, counts in sorted(progress.items())]
    return jsonify(out)


@bp.route(f"/rounds/<{ID}:round_id>/results")
@operation("A closed round's aggregated results", tags=("review",), roles=READ_ROLES,
           response="Results", errors=(409,),
           description="Per note: rank, reviews, mean, median, spread, score, quorum and "
                       "disagreement, as computed when the round closed. 409 while open.")
def round_results(round_id: int):
    found = review.round_for(user(), round_id)
    return jsonify(serialize.results(found.id, review.results_frame(found)))


def _own_review(found: ReviewRound, note_id: int) -> Review | None:
    assignment = review.assignment_for(user(), found, note_id)
    return db.session.scalar(select(Review).where(
        Review.round_id == found.id, Review.note_id == note_id,
        Review.membership_id == assignment.membership_id))


@bp.route(f"/rounds/<{ID}:round_id>/reviews/<{ID}:note_id>")
@operation("Your review of a note", tags=("review",), roles=REVIEWER, response="Review")
def my_review(round_id: int, note_id: int):
    found = review.round_for(user(), round_id)
    return jsonify(serialize.review(found.id, note_id, _own_review(found, note_id)))


@bp.route(f"/rounds/<{ID}:round_id>/reviews/<{ID}:note_id>", methods=["PUT"])
@operation("Save or submit your review of a note", tags=("review",), roles=REVIEWER,
           body="ReviewInput", response="Review", errors=(409,),
           description="The same service as the scoring form: only while the round is open, "
                       "only notes you are assigned to and not recused from (404 otherwise).")
def save_review(round_id: int, note_id: int):
    found = review.round_for(user(), round_id)
    review.assignment_for(user(), found, note_id)
    body = json_body(validator, COMPONENTS["ReviewInput"])
    saved = review.save_review(user(), found, note_id, body["scores"], body.get("comments", {}),
                               body.get("comment", ""), bool(body.get("submit", False)))
    commit("Another save of this review happened at the same moment; nothing was saved by "
           "this one.")
    return jsonify(serialize.review(found.id, note_id, saved))


# --- funding cycles -------------------------------------------------------------------------------

def _cycle(cycle_id: int) -> FundingCycle:
    from mptf.allocation.cycles import cycle_for

    return cycle_for(user(), cycle_id)


@bp.route("/cycles")
@operation("Funding cycles", tags=("allocation",), roles=CYCLE_ROLES, response="CyclePage",
           params=PAGED)
def cycles():
    limit, after = limit_param(), cursor_param()
    found = db.session.scalars(select(FundingCycle).where(FundingCycle.id > after)
                               .options(selectinload(FundingCycle.rounds))
                               .order_by(FundingCycle.id).limit(limit + 1)).all()
    shown = found[:limit]
    return jsonify(page(limit, shown[-1].id if shown else None, len(found) > limit,
                        [serialize.cycle(c) for c in shown]))


@bp.route(f"/cycles/<{ID}:cycle_id>")
@operation("One funding cycle, its runs and allocations", tags=("allocation",),
           roles=CYCLE_ROLES, response="Cycle")
def cycle(cycle_id: int):
    return jsonify(serialize.cycle(_cycle(cycle_id), detail=True))


@bp.route(f"/cycles/<{ID}:cycle_id>/runs/<{ID}:run_id>")
@operation("One saved allocation run, line by line", tags=("allocation",), roles=CYCLE_ROLES,
           response="Run")
def run(cycle_id: int, run_id: int):
    found = _cycle(cycle_id)
    saved = db.session.scalar(select(AllocationRun).where(
        AllocationRun.id == run_id, AllocationRun.cycle_id == found.id))
    if saved is None:
        raise NotFound("There is no such run of this cycle.")
    references = dict(db.session.execute(select(ConceptNote.id, ConceptNote.reference).where(
        ConceptNote.id.in_([line.note_id for line in saved.lines]))).all())
    return jsonify(serialize.run(saved, references))

