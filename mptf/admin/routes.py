from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func

from mptf.admin import audit_view
from mptf.admin.forms import AuditFilterForm, UserForm
from mptf.auth import services as auth_services
from mptf.extensions import db
from mptf.forms_util import digits
from mptf.models import AuditEvent, User
from mptf.pagination import page_number, paginate
from mptf.services.dates import parse_day
from mptf.services.errors import ServiceError
from mptf.services.policy import AUDIT_READERS, Role, roles_required
from mptf.services.unit_of_work import commit
from mptf.views import refusals

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users():
    form = UserForm()
    if form.validate_on_submit():
        with refusals(form) as refused:
            user = auth_services.create_user(
                form.email.data, form.password.data, form.role.data, name=form.name.data or "",
                country_iso3=form.country.data or None, actor=current_user)
            commit()
        if not refused:
            flash(f"Account {user.email} created.", "success")
            return redirect(url_for("admin.users"))
    page = paginate(db.select(User).order_by(User.role, User.email),
                    page_number(request.args), per_page=100)
    return render_template("admin/users.html", form=form, page=page)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    with refusals() as refused:
        auth_services.set_active(current_user, user, active)
        commit()
    if not refused:
        flash(f"{user.email} is now {'active' if active else 'deactivated'}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/audit")
@roles_required(AUDIT_READERS)
def audit_log():
    form = AuditFilterForm(request.args)
    query = db.select(AuditEvent).order_by(AuditEvent.id.desc())
    if form.validate():
        if form.action.data:
            query = query.where(AuditEvent.action == form.action.data.strip())
        if form.entity_type.data:
            query = query.where(AuditEvent.entity_type == form.entity_type.data.strip())
        if form.entity_id.data:
            if not digits(form.entity_id.data.strip()):
                form.entity_id.errors.append("A whole number.")
            else:
                query = query.where(AuditEvent.entity_id == int(form.entity_id.data))
        if form.actor.data:
            query = query.join(User, AuditEvent.actor_id == User.id).where(
                func.lower(User.email) == form.actor.data.strip().lower())
        for name, op in (("date_from", "from"), ("date_to", "to")):
            text = form[name].data
            if text:
                try:
                    day = parse_day(text)
                except ServiceError as exc:
                    form[name].errors.extend(exc.fields["on"])
                    continue
                if op == "from":
                    query = query.where(AuditEvent.at >= day)
                else:
                    query = query.where(AuditEvent.at < day + timedelta(days=1))
    page = paginate(query, page_number(request.args), per_page=50)
    actions = db.session.scalars(db.select(AuditEvent.action).distinct().order_by(
        AuditEvent.action)).all()
    return render_template("admin/audit.html", form=form, page=page, actions=actions,
                           fields=audit_view.fields)
