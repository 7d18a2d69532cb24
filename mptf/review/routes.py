"""Review rounds: the secretariat prepares, opens and closes them; reviewers score."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from mptf.extensions import db
from mptf.models import ConceptNote, ReviewRound
from mptf.models.pipeline import NoteStatus
from mptf.models.review import RoundStatus
from mptf.navigation import NavItem, add
from mptf.review import exports, services
from mptf.review.forms import (
    ActionForm,
    CloseForm,
    ConflictForm,
    ReminderForm,
    RoundForm,
    rubric_form,
    rubric_records,
    scoring_form,
    scoring_values,
)
from mptf.services.policy import PIPELINE_READERS, Role, roles_required
from mptf.services.unit_of_work import commit
from mptf.spreadsheet import csv_response, xlsx_response
from mptf.views import confirmation, refusals

bp = Blueprint("review", __name__, url_prefix="/review", template_folder="templates")

add(NavItem("Review rounds", "review.index", PIPELINE_READERS, 30))

# Who reads each reviewer's own scores and comments of a closed round, not only the results.
INDIVIDUAL_SCORE_READERS = frozenset({Role.SECRETARIAT, Role.CHAIR})


def _round(round_id: int, with_notes: bool = False) -> ReviewRound:
    """The round, if the user may see it; else ``NotFound``, web.py's 404 page."""
    return services.round_for(current_user, round_id, with_notes)


def _pipeline_choices():
    from mptf.forms_util import choices

    notes = db.session.scalars(db.select(ConceptNote).where(ConceptNote.status == NoteStatus.PIPELINE)
                               .order_by(ConceptNote.reference)).all()
    return choices((n.id, f"{n.reference} · {n.country.name} · {n.title}") for n in notes)


@bp.route("/")
@roles_required(PIPELINE_READERS)
def index():
    rounds = db.session.scalars(services.visible_rounds(current_user)).all()
    return render_template("review/index.html", rounds=rounds, labels=services.STATUS_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def new():
    form = RoundForm()
    form.note_ids.choices = _pipeline_choices()
    if form.validate_on_submit():
        with refusals(form) as refused:
            round_ = services.create_round(current_user, _round_input(form))
            commit()
        if not refused:
            flash(f"Round '{round_.name}' created with the fund's rubric; adjust it before "
                  "opening the round.", "success")
            return redirect(url_for("review.show", round_id=round_.id))
    return render_template("review/edit.html", form=form, round_=None), \
        400 if request.method == "POST" else 200


def _round_input(form) -> services.RoundInput:
    return services.RoundInput(
        name=form.name.data, opens_on=form.opens_on.data, closes_on=form.closes_on.data,
        quorum=form.quorum.data, disagreement_threshold=float(form.disagreement_threshold.data),
        calibrate=bool(form.calibrate.data), note_ids=form.note_ids.data or [])


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def edit(round_id: int):
    round_ = _round(round_id)
    if round_.status != RoundStatus.DRAFT:
        flash("Only a round in preparation can be changed.", "warning")
        return redirect(url_for("review.show", round_id=round_.id))
    form = RoundForm(obj=round_ if request.method == "GET" else None)
    form.note_ids.choices = _pipeline_choices()
    if request.method == "GET":
        form.note_ids.data = [rn.note_id for rn in round_.round_notes]
    if form.validate_on_submit():
        with refusals(form) as refused:
            services.update_settings(current_user, round_, _round_input(form))
            commit()
        if not refused:
            flash("Round saved.", "success")
            return redirect(url_for("review.show", round_id=round_.id))
    return render_template("review/edit.html", form=form, round_=round_), \
        400 if request.method == "POST" else 200


@bp.route("/<int:round_id>/rubric", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def rubric(round_id: int):
    round_ = _round(round_id)
    form = rubric_form(round_)
    if form.validate_on_submit():
        with refusals() as refused:
            services.set_criteria(current_user, round_, rubric_records(form))
            commit()
        if not refused:
            flash("Rubric saved.", "success")
            return redirect(url_for("review.show", round_id=round_.id))
    return render_template("review/rubric.html", form=form, round_=round_), \
        400 if request.method == "POST" else 200


@bp.route("/<int:round_id>")
@roles_required(PIPELINE_READERS)
def show(round_id: int):
    round_ = _round(round_id, with_notes=True)
    context = {"round_": round_, "labels": services.STATUS_LABELS, "action": ActionForm()}
    if current_user.role == Role.REVIEWER:
        context["mine"] = services.my_assignments(current_user, round_)
    if current_user.role == Role.SECRETARIAT and round_.status == RoundStatus.OPEN:
        context["progress"] = services.progress(round_)
        context["reminder"] = ReminderForm()
    if round_.status == RoundStatus.CLOSED:
        context["results"] = services.results_frame(round_)
    return render_template("review/show.html", **context)


@bp.route("/<int:round_id>/open", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def open_(round_id: int):
    round_ = _round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with refusals() as refused:
        services.open_round(current_user, round_)
        commit()
    if not refused:
        flash("The round is open: the rubric, the notes and the reviewers are frozen.",
              "success")
    return redirect(url_for("review.show", round_id=round_id))


@bp.route("/<int:round_id>/close", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def close(round_id: int):
    """GET, or a POST without ``confirm``: what closing does and what is still missing;
    a POST with ``confirm`` closes the round."""
    round_ = _round(round_id, with_notes=True)
    form = CloseForm()
    step = confirmation(form)
    if step.status == 400:
        abort(400)
    if step.act:
        with refusals() as refused:
            services.close_round(current_user, round_)
            commit()
        if not refused:
            flash("The round is closed and its results computed.", "success")
        return redirect(url_for("review.show", round_id=round_id))
    back = url_for("review.show", round_id=round_id)
    return render_template(
        "confirm.html", heading=f"Close {round_.name}?", form=form,
        consequences=services.close_consequences(round_), confirm_label="Close the round",
        action_url=url_for("review.close", round_id=round_id), back_url=back,
        back_label=round_.name)


@bp.route("/<int:round_id>/remind/<int:membership_id>", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def remind(round_id: int, membership_id: int):
    round_ = _round(round_id)
    form = ReminderForm()
    if not form.validate_on_submit():
        abort(400)
    with refusals() as refused:
        services.send_reminder(current_user, round_, membership_id, form.message.data)
        commit()
    if not refused:
        flash("Reminder recorded.", "success")
    return redirect(url_for("review.show", round_id=round_id))


@bp.route("/<int:round_id>/notes/<int:note_id>", methods=["GET", "POST"])
@roles_required(Role.REVIEWER)
def score(round_id: int, note_id: int):
    round_ = _round(round_id)
    assignment = services.assignment_for(current_user, round_, note_id)
    review = db.session.scalar(db.select(services.Review).where(
        services.Review.round_id == round_.id, services.Review.note_id == note_id,
        services.Review.membership_id == assignment.membership_id))
    form = scoring_form(round_, review if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            values, comments = scoring_values(form, round_)
            with refusals(form) as refused:
                services.save_review(current_user, round_, note_id, values, comments,
                                     form.overall.data, submit=bool(form.submit.data))
                commit()
            if refused:
                status = refused.status
            else:
                flash("Review submitted." if form.submit.data else "Draft saved.", "success")
                return redirect(url_for("review.show", round_id=round_.id))
        else:
            status = 400
    return render_template("review/score.html", round_=round_, note=assignment.note, form=form,
                           review=review, conflict=ConflictForm(), action=ActionForm()), status


@bp.route("/<int:round_id>/notes/<int:note_id>/reopen", methods=["POST"])
@roles_required(Role.REVIEWER)
def reopen(round_id: int, note_id: int):
    round_ = _round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.assignment_for(current_user, round_, note_id)  # not theirs: the 404 page
    with refusals() as refused:
        services.reopen_review(current_user, round_, note_id)
        commit()
    if not refused:
        flash("Review reopened: change it and submit it again before the round closes.",
              "success")
    return redirect(url_for("review.score", round_id=round_id, note_id=note_id))


@bp.route("/<int:round_id>/notes/<int:note_id>/conflict", methods=["GET", "POST"])
@roles_required(Role.REVIEWER)
def conflict(round_id: int, note_id: int):
    """GET, or a POST without ``confirm``: what declaring a conflict does, the reason in the
    form; a POST with ``confirm`` declares it and recuses the reviewer."""
    round_ = _round(round_id)
    consequences = services.conflict_consequences(current_user, round_, note_id)
    form = ConflictForm()
    step = confirmation(form)
    if step.act:
        with refusals() as refused:
            services.declare_conflict(current_user, round_, note_id, form.reason.data)
            commit()
        if refused:
            return redirect(url_for("review.score", round_id=round_id, note_id=note_id))
        flash("Conflict declared: you are recused from this note.", "success")
        return redirect(url_for("review.show", round_id=round_id))
    back = url_for("review.score", round_id=round_id, note_id=note_id)
    note = db.session.get(ConceptNote, note_id)
    return render_template(
        "confirm.html", heading=f"Declare a conflict of interest on {note.reference}?",
        form=form, fields=["reason"], consequences=consequences,
        confirm_label="Declare and recuse", back_label=note.reference, back_url=back,
        action_url=url_for("review.conflict", round_id=round_id, note_id=note_id)), \
        step.status


@bp.route("/<int:round_id>/results")
@roles_required(PIPELINE_READERS)
def results(round_id: int):
    round_ = _round(round_id)
    if round_.status != RoundStatus.CLOSED:
        flash("Results exist only once the round is closed.", "info")
        return redirect(url_for("review.show", round_id=round_id))
    individual = None
    if current_user.role in INDIVIDUAL_SCORE_READERS:
        individual = services.reviewer_scores_frame(current_user, round_)
    memberships = {}
    if individual is not None and len(individual):
        from mptf.models import Membership

        memberships = {m.id: m for m in db.session.scalars(db.select(Membership).where(
            Membership.id.in_(individual["reviewer_id"].unique().tolist())))}
    return render_template("review/results.html", round_=round_,
                           table=services.results_frame(round_),
                           means=services.criterion_means_frame(round_),
                           individual=individual, memberships=memberships,
                           notes={rn.note_id: rn.note for rn in round_.round_notes})


@bp.route("/<int:round_id>/results.<any(csv, xlsx):fmt>")
@roles_required(PIPELINE_READERS)
def export(round_id: int, fmt: str):
    round_ = _round(round_id)
    if round_.status != RoundStatus.CLOSED:
        abort(404)
    name = f"round-{round_.id}-results"
    if fmt == "csv":
        return csv_response(exports.ranking(round_), f"{name}.csv")
    return xlsx_response(exports.sheets(round_), f"{name}.xlsx")
