"""The fund's money: the balance, the contributions and their exports. The secretariat, the
chair and the fund office see them (``MONEY_ROLES``); only the fund office records and
corrects."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from mptf.allocation import exports, services
from mptf.allocation.chart import balance_chart
from mptf.allocation.forms import BalanceDayForm, ContributionForm, CorrectionForm
from mptf.formatting import usd
from mptf.money import rate_percent
from mptf.navigation import NavItem, add
from mptf.services.audit import events_for
from mptf.services.errors import ServiceError
from mptf.services.policy import MONEY_ROLES, Role, roles_required
from mptf.services.unit_of_work import commit
from mptf.spreadsheet import csv_response, xlsx_response
from mptf.views import refusals

bp = Blueprint("allocation", __name__, url_prefix="/fund", template_folder="templates")

add(NavItem("Fund", "allocation.balance", MONEY_ROLES, 40),
    NavItem("Contributions", "allocation.contributions", MONEY_ROLES, 41))


def _day() -> tuple[BalanceDayForm, date | None]:
    """The ``on`` day of the query string (None: today's position); a bad day is a field
    error on the form."""
    form = BalanceDayForm(request.args)
    if "on" in request.args and request.args["on"] and not form.validate():
        return form, None
    return form, form.on.data


def _bad_day(form: BalanceDayForm) -> bool:
    return bool(form.on.errors)


def _current_rate() -> str:
    try:
        return rate_percent(services.fee_rate_bp())
    except ServiceError:
        return "not configured"


# --- the balance -----------------------------------------------------------------------------

@bp.route("/")
@roles_required(MONEY_ROLES)
def balance():
    form, on = _day()
    fund = services.balance(on)
    chart = balance_chart(services.cumulative(on), until=on or services.today())
    return render_template(
        "allocation/balance.html", form=form, on=on, today=services.today(), fund=fund,
        table=exports.balance_table(fund), cycles=exports.cycle_table(on),
        chart=Markup(chart) if chart else None, rate=_current_rate(),
        overdrawn=fund.overdrawn, money=exports.MONEY), 400 if _bad_day(form) else 200


@bp.route("/chart.svg")
@roles_required(MONEY_ROLES)
def chart_svg():
    form, on = _day()
    if _bad_day(form):
        abort(400, "Give the day as YYYY-MM-DD.")
    chart = balance_chart(services.cumulative(on), until=on or services.today())
    if chart is None:
        abort(404)
    return Response(chart, mimetype="image/svg+xml")


def _suffix(on: date | None) -> str:
    return f"-{on.isoformat()}" if on else ""


@bp.route("/balance.<any(csv, xlsx):fmt>")
@roles_required(MONEY_ROLES)
def balance_export(fmt: str):
    form, on = _day()
    if _bad_day(form):
        abort(400, "Give the day as YYYY-MM-DD.")
    table = exports.balance_table(services.balance(on))
    name = f"fund-balance{_suffix(on)}"
    if fmt == "csv":
        return csv_response(exports.export_table(table), f"{name}.csv")
    return xlsx_response({"Balance": exports.export_table(table),
                          "Allocated by cycle": exports.export_table(exports.cycle_table(on))},
                         f"{name}.xlsx")


@bp.route("/cycles.csv")
@roles_required(MONEY_ROLES)
def cycles_export():
    form, on = _day()
    if _bad_day(form):
        abort(400, "Give the day as YYYY-MM-DD.")
    return csv_response(exports.export_table(exports.cycle_table(on)),
                        f"allocated-by-cycle{_suffix(on)}.csv")


# --- contributions ------------------------------------------------------------------------------

@bp.route("/contributions")
@roles_required(MONEY_ROLES)
def contributions():
    table = exports.contribution_table()
    return render_template("allocation/contributions.html", table=table,
                           totals=exports.contribution_totals(table),
                           corrected=services.corrected_ids(), money=exports.MONEY,
                           can_record=current_user.role == Role.FUND_OFFICE)


@bp.route("/contributions.<any(csv, xlsx):fmt>")
@roles_required(MONEY_ROLES)
def contributions_export(fmt: str):
    table = exports.contribution_table()
    if fmt == "csv":
        return csv_response(exports.export_table(table), "contributions.csv")
    return xlsx_response({"Contributions": exports.export_table(table)}, "contributions.xlsx")


def _form(kind, **kwargs):
    return kind(services.donors(), services.thematic_areas(), **kwargs)


def _recorded_message(contribution) -> str:
    return (f"Contribution {contribution.reference} recorded: {usd(contribution.amount_cents)} "
            f"less the Administrative Agent's fee of {usd(contribution.fee_cents)} "
            f"({rate_percent(contribution.fee_rate_bp)}) gives {usd(contribution.net_cents)} "
            "net.")


@bp.route("/contributions/new", methods=["GET", "POST"])
@roles_required(Role.FUND_OFFICE)
def new_contribution():
    form = _form(ContributionForm)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        with refusals(form) as refused:
            donor_id = None
            if form.wants_new_partner:
                donor_id = services.add_partner(current_user, form.new_donor_name.data,
                                                form.new_donor_acronym.data).id
            contribution = services.record_contribution(current_user, form.to_input(donor_id))
            commit(f"A contribution with reference {form.reference.data.strip()} was recorded "
                   "at the same moment; nothing was saved.")
        if refused:
            status = refused.status
        else:
            flash(_recorded_message(contribution), "success")
            return redirect(url_for("allocation.contribution", contribution_id=contribution.id))
    return render_template("allocation/edit.html", form=form, contribution=None,
                           rate=_current_rate()), status


@bp.route("/contributions/<int:contribution_id>")
@roles_required(MONEY_ROLES)
def contribution(contribution_id: int):
    found = services.contribution_for(current_user, contribution_id)
    return render_template("allocation/contribution.html", contribution=found,
                           history=events_for("contributions", found.id),
                           rate=rate_percent(found.fee_rate_bp),
                           can_correct=current_user.role == Role.FUND_OFFICE)


@bp.route("/contributions/<int:contribution_id>/correct", methods=["GET", "POST"])
@roles_required(Role.FUND_OFFICE)
def correct(contribution_id: int):
    found = services.contribution_for(current_user, contribution_id)
    if request.method == "GET":
        form = _form(CorrectionForm, data={
            "reference": found.reference, "donor": str(found.donor_id),
            "deposited_on": found.deposited_on, "amount": usd(found.amount_cents, symbol=False),
            "earmark": str(found.earmark_area_id or "")})
    else:
        form = _form(CorrectionForm)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        with refusals(form) as refused:
            services.correct_contribution(current_user, found, form.to_input(),
                                          form.reason.data)
            commit("The contribution changed at the same moment; nothing was saved. Reload "
                   "and try again.")
        if refused:
            status = refused.status  # the rollback took back what the service had changed
        else:
            flash(f"Contribution {found.reference} corrected: {usd(found.amount_cents)}, fee "
                  f"{usd(found.fee_cents)}, net {usd(found.net_cents)}. The audit log keeps "
                  "the figures before.", "success")
            return redirect(url_for("allocation.contribution", contribution_id=found.id))
    return render_template("allocation/edit.html", form=form, contribution=found,
                           rate=rate_percent(found.fee_rate_bp)), status



from mptf.allocation import cycle_routes  # noqa: E402,F401  (funding-cycle pages on this blueprint)
