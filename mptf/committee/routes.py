"""The Steering Committee pages: composition on a date, the timeline of terms, memberships,
the composition's configuration, the rotation order and proposal, conflicts of interest.
Everyone signed in except country teams sees the committee; only the secretariat changes
its roster."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from mptf.committee import services
from mptf.committee.forms import (
    ConflictForm,
    EndMembershipForm,
    MembershipForm,
    RemoveRepresentativeForm,
    RepresentativeForm,
    RotationOrderForm,
    config_form,
    rotation_form,
)
from mptf.committee.quorum import assess_quorum
from mptf.extensions import db
from mptf.models import (
    CONSTITUENCIES,
    CONSTITUENCY_LABELS,
    ConceptNote,
    Membership,
    Organisation,
    Seat,
    User,
)
from mptf.navigation import NavItem, add
from mptf.services.errors import ServiceError
from mptf.services.policy import (
    COMMITTEE_VIEWERS,
    CONFLICT_DECLARERS,
    REPRESENTATIVES,
    Role,
    roles_required,
)
from mptf.services.unit_of_work import commit
from mptf.views import refusals

bp = Blueprint("committee", __name__, url_prefix="/committee", template_folder="templates")

add(NavItem("Committee", "committee.composition", COMMITTEE_VIEWERS, 20))


def _day_from_args(default: date | None = None) -> tuple[date, str | None]:
    text = request.args.get("on")
    if not text:
        return default or services.today(), None
    try:
        return services.parse_day(text), None
    except ServiceError as exc:
        return default or services.today(), exc.message


def _status() -> int:
    return 400 if request.method == "POST" else 200


# --- composition and timeline --------------------------------------------------------------------

@bp.route("/")
@roles_required(COMMITTEE_VIEWERS)
def composition():
    on, error = _day_from_args()
    comp = services.composition(on)
    config = services.fund_config()
    voting = sum(1 for _, votes in comp.seated_refs() if votes)
    quorum_ok, quorum_reasons = assess_quorum(
        comp.seated_refs(), comp.seated_refs(), majority=config.quorum_majority,
        required=services.quorum_constituencies(config))
    return render_template(
        "committee/composition.html", comp=comp, on=on, error=error, today=services.today(),
        labels=CONSTITUENCY_LABELS, config=config, voting=voting, majority=voting // 2 + 1,
        required=[CONSTITUENCY_LABELS[c] for c in services.quorum_constituencies(config)],
        quorum_possible=quorum_ok, quorum_reasons=quorum_reasons,
        next_rotation=services.next_term_end(on)), 400 if error else 200


def _timeline(on: date) -> str | None:
    from mptf.committee.timeline import timeline_svg

    return timeline_svg(services.all_memberships(), services.active_seats(), on)


@bp.route("/timeline")
@roles_required(COMMITTEE_VIEWERS)
def timeline():
    on, error = _day_from_args()
    svg = _timeline(on)
    return render_template("committee/timeline.html", svg=Markup(svg) if svg else None,
                           on=on, error=error, memberships=services.all_memberships(),
                           today=services.today()), 400 if error else 200


@bp.route("/timeline.svg")
@roles_required(COMMITTEE_VIEWERS)
def timeline_svg():
    on, error = _day_from_args()
    if error:
        abort(400, error)
    svg = _timeline(on)
    if svg is None:
        abort(404)
    return Response(svg, mimetype="image/svg+xml")


# --- memberships ---------------------------------------------------------------------------------

def _representative_users() -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.role.in_(REPRESENTATIVES), User.active.is_(True)).order_by(User.email)))


def _membership_form() -> MembershipForm:
    return MembershipForm(services.active_seats(), _representative_users())


def _memberships_page(form: MembershipForm | None, status: int = 200):
    parties = db.session.scalars(select(Organisation).order_by(Organisation.kind,
                                                               Organisation.acronym)).all()
    return render_template("committee/memberships.html",
                           memberships=services.all_memberships(), form=form,
                           parties=parties, today=services.today(),
                           term_months=services.fund_config().committee_term_months), status


@bp.route("/memberships")
@roles_required(COMMITTEE_VIEWERS)
def memberships():
    form = _membership_form() if current_user.role == Role.SECRETARIAT else None
    return _memberships_page(form)


@bp.route("/memberships/new", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def add_membership():
    form = _membership_form()
    if form.validate_on_submit():
        with refusals(form) as refused:
            seat = db.session.get(Seat, form.seat_id) if form.seat_id else None
            if seat is None:
                raise ServiceError("Choose a seat.", fields={"seat": ["Required."]})
            party = services.find_party(form.party.data, seat.constituency)
            users = {u.id: u for u in _representative_users()}
            membership = services.appoint(current_user, seat, party, form.start_date.data,
                                          form.end_date.data,
                                          representatives=form.people(users))
            commit()
        if not refused:
            flash(f"{membership.organisation} appointed to {membership.seat.label} from "
                  f"{membership.start_date} to {membership.end_date}.", "success")
            return redirect(url_for("committee.membership", membership_id=membership.id))
    return _memberships_page(form, 400)


def _membership_page(membership: Membership, *, end_form=None, rep_form=None,
                     status: int = 200):
    secretariat = current_user.role == Role.SECRETARIAT
    if secretariat:
        end_form = end_form or EndMembershipForm(formdata=None,
                                                 end_date=membership.end_date)
        rep_form = rep_form or RepresentativeForm(_representative_users(), formdata=None)
    declared = [d for d in services.declarations(current_user)
                if d.membership_id == membership.id] \
        if current_user.role in CONFLICT_DECLARERS else []
    return render_template(
        "committee/membership.html", m=membership, end_form=end_form, rep_form=rep_form,
        remove_form=RemoveRepresentativeForm(formdata=None) if secretariat else None,
        declarations=declared, references=services.note_references(declared),
        today=services.today()), status


@bp.route("/memberships/<int:membership_id>")
@roles_required(COMMITTEE_VIEWERS)
def membership(membership_id: int):
    return _membership_page(db.get_or_404(Membership, membership_id))


@bp.route("/memberships/<int:membership_id>/end", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def end_membership(membership_id: int):
    membership = db.get_or_404(Membership, membership_id)
    form = EndMembershipForm()
    if form.validate_on_submit():
        with refusals(form) as refused:
            services.end_membership(current_user, membership, form.end_date.data)
            commit()
        if not refused:
            flash(f"The term of {membership.organisation} in {membership.seat.label} now ends "
                  f"on {membership.end_date}.", "success")
            return redirect(url_for("committee.membership", membership_id=membership.id))
    db.session.refresh(membership)
    return _membership_page(membership, end_form=form, status=400)


@bp.route("/memberships/<int:membership_id>/representatives", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def add_representative(membership_id: int):
    membership = db.get_or_404(Membership, membership_id)
    users = _representative_users()
    form = RepresentativeForm(users)
    if form.validate_on_submit():
        with refusals(form) as refused:
            user = next(u for u in users if str(u.id) == form.user.data)
            services.add_representative(current_user, membership, user, form.alternate.data)
            commit()
        if not refused:
            flash(f"{user.email} now acts for {membership.organisation}"
                  + (" as alternate." if form.alternate.data else "."), "success")
            return redirect(url_for("committee.membership", membership_id=membership.id))
    return _membership_page(membership, rep_form=form, status=400)


@bp.route("/memberships/<int:membership_id>/representatives/<int:user_id>/remove",
          methods=["POST"])
@roles_required(Role.SECRETARIAT)
def remove_representative(membership_id: int, user_id: int):
    membership = db.get_or_404(Membership, membership_id)
    user = db.get_or_404(User, user_id)
    form = RemoveRepresentativeForm()
    if form.validate_on_submit():
        with refusals() as refused:
            services.remove_representative(current_user, membership, user)
            commit()
        if not refused:
            flash(f"{user.email} no longer acts for {membership.organisation}.", "success")
    return redirect(url_for("committee.membership", membership_id=membership.id))


# --- configuration and rotation order ------------------------------------------------------------

@bp.route("/config", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def config():
    form = config_form(services.current_settings())
    if form.validate_on_submit():
        with refusals(form) as refused:
            services.configure(current_user, form.to_settings())
            commit()
        if not refused:
            flash("The committee's composition and rules are saved.", "success")
            return redirect(url_for("committee.config"))
    filled = {c: 0 for c in CONSTITUENCIES}
    for member in services.sitting_on(services.today()):
        filled[member.seat.constituency] += 1
    return render_template("committee/config.html", form=form, filled=filled,
                           constituencies=CONSTITUENCIES, labels=CONSTITUENCY_LABELS,
                           today=services.today()), _status()


def _order_forms(posted: str | None = None, posted_form: RotationOrderForm | None = None):
    orders = services.rotation_orders()
    forms = {}
    for constituency in CONSTITUENCIES:
        if constituency == posted and posted_form is not None:
            forms[constituency] = posted_form
        else:
            forms[constituency] = RotationOrderForm(
                formdata=None, prefix=constituency,
                parties="\n".join(services.party_code(p) for p in orders[constituency]))
    return orders, forms


@bp.route("/rotation-order")
@roles_required(Role.SECRETARIAT)
def rotation_order():
    orders, forms = _order_forms()
    return render_template("committee/rotation_order.html", orders=orders, forms=forms,
                           labels=CONSTITUENCY_LABELS, hints=_party_hints())


def _party_hints() -> dict[str, str]:
    return {c: services.PARTY_HINT[services.PARTY_KIND[c]] for c in CONSTITUENCIES}


@bp.route("/rotation-order/<constituency>", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def set_rotation_order(constituency: str):
    if constituency not in CONSTITUENCIES:
        abort(404)
    form = RotationOrderForm(prefix=constituency)
    if form.validate_on_submit():
        with refusals(form) as refused:
            parties = services.set_rotation_order(current_user, constituency, form.codes())
            commit()
        if not refused:
            flash(f"Rotation order of {CONSTITUENCY_LABELS[constituency]} saved: "
                  f"{len(parties)} parties.", "success")
            return redirect(url_for("committee.rotation_order") + f"#{constituency}")
    orders, forms = _order_forms(constituency, form)
    return render_template("committee/rotation_order.html", orders=orders, forms=forms,
                           labels=CONSTITUENCY_LABELS, hints=_party_hints()), 400


# --- rotation ------------------------------------------------------------------------------------

@bp.route("/rotation", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def rotation():
    if request.method == "POST":  # a day that is not one is refused with its sentence (400)
        on = services.parse_day(request.form.get("on"))
    else:
        today = services.today()
        on, error = _day_from_args(services.next_term_end(today) or today)
        if error:
            flash(error, "error")
    proposal = services.propose_rotation(on)
    form = rotation_form(proposal)
    checked = False
    if form.validate_on_submit():
        with refusals(form) as refused:
            if form.confirm.data:
                made = services.confirm_rotation(current_user, on, form.to_choices())
                commit()
            else:
                services.apply_choices(proposal, form.to_choices())
                checked = True
        if not refused and not checked:
            flash(f"Rotation of {on} confirmed: {len(made)} new term(s) written, from "
                  f"{on} to {proposal.end}.", "success")
            return redirect(url_for("committee.composition", on=on.isoformat()))
    status = 400 if request.method == "POST" and not checked else 200
    return render_template("committee/rotation.html", proposal=proposal, form=form,
                           checked=checked, labels=CONSTITUENCY_LABELS), status


# --- conflicts of interest -----------------------------------------------------------------------

def _conflict_form() -> ConflictForm:
    today = services.today()
    if current_user.role == Role.SECRETARIAT:
        members = [m for m in services.all_memberships() if m.end_date > today]
    else:
        members = [m for m in services.memberships_of(current_user) if m.end_date > today]
    return ConflictForm(members, services.declarable_notes())


def _conflicts_page(form: ConflictForm, status: int = 200):
    detected = []
    if current_user.role == Role.SECRETARIAT:
        on = services.today()
        members = [m for m in services.composition(on).members if m.seat.votes]
        notes = services.declarable_notes()
        found = services.recusals(members, notes, on)
        detected = [(m, [(n, found[(m.id, n.id)]) for n in notes if (m.id, n.id) in found])
                    for m in members]
        detected = [(m, pairs) for m, pairs in detected if pairs]
    declared = services.declarations(current_user)
    return render_template("committee/conflicts.html", form=form, declarations=declared,
                           references=services.note_references(declared),
                           detected=detected), status


@bp.route("/conflicts")
@roles_required(CONFLICT_DECLARERS)
def conflicts():
    return _conflicts_page(_conflict_form())


@bp.route("/conflicts", methods=["POST"])
@roles_required(CONFLICT_DECLARERS)
def declare_conflict():
    """Posted without ``confirm``: what the declaration does for good, the member, the note
    and the reason kept in the form; with ``confirm``: declares it."""
    form = _conflict_form()
    if form.validate_on_submit():
        membership = db.get_or_404(Membership, int(form.membership.data))
        note = db.get_or_404(ConceptNote, int(form.note.data))
        if not form.confirm.data:
            return render_template(
                "confirm.html", heading=f"Declare a conflict of interest of "
                f"{membership.organisation} on {note.reference}?", form=form,
                fields=["membership", "note", "reason"],
                consequences=services.declaration_consequences(membership, note),
                confirm_label="Declare the conflict", back_label="Conflicts of interest",
                back_url=url_for("committee.conflicts"),
                action_url=url_for("committee.declare_conflict"))
        with refusals(form) as refused:
            services.declare_conflict(current_user, membership, note, form.reason.data)
            commit()
        if not refused:
            flash(f"Conflict of interest of {membership.organisation} on {note.reference} "
                  "declared.", "success")
            return redirect(url_for("committee.conflicts"))
    return _conflicts_page(form, 400)
