"""Each signed-in user's notifications and choices; the admin's outbox."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mptf.models import ROLES
from mptf.navigation import NavItem, add
from mptf.notifications import services
from mptf.notifications.delivery import smtp_settings
from mptf.notifications.forms import (
    STATE_LABELS,
    ActionForm,
    MarkReadForm,
    OutboxFilterForm,
    chosen,
    preferences_form,
)
from mptf.pagination import page_number, paginate
from mptf.services.policy import AUDIT_READERS, Role, roles_required
from mptf.services.unit_of_work import commit
from mptf.views import refusals

# The outbox is the audit readers' (the admin keeps delivery running and sees who was
# written to, when, and each error; what the messages say is the secretariat's to read, as
# the notes are: services.can_read_messages).

bp = Blueprint("notifications", __name__, url_prefix="/notifications",
               template_folder="templates")

# "Inbox" keeps the secretariat's and the chair's navigation on one line; the secretariat
# reaches the outbox from its inbox, the admin (who keeps delivery running) from the menu.
add(NavItem("Inbox", "notifications.index", ROLES, 85, count=services.unread_count),
    NavItem("Outbox", "notifications.outbox", (Role.ADMIN,), 92))


def _index(form: MarkReadForm | None = None, status: int = 200):
    page = paginate(services.my_notifications(current_user), page_number(request.args),
                    per_page=50)
    newest = max((n.id for n in page.items), default=None)
    return render_template("notifications/index.html", page=page, newest=newest,
                           unread=services.unread_count(current_user),
                           local_path=services.local_path,
                           form=form or MarkReadForm(upto=newest)), status


@bp.route("/")
@roles_required(*ROLES)
def index():
    return _index()


@bp.route("/read", methods=["POST"])
@roles_required(*ROLES)
def mark_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        return _index(form, 400)
    count = services.mark_read(current_user, form.upto.data)
    commit()
    flash(f"{count} notification{'s' if count != 1 else ''} marked read." if count else
          "Every notification shown was read already.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@roles_required(*ROLES)
def preferences():
    current = services.preferences(current_user)
    form = preferences_form(current, request.form if request.method == "POST" else None)
    status = 200
    if form.validate_on_submit():
        with refusals(form) as refused:
            changed = services.set_preferences(current_user, chosen(form))
            commit()
        if not refused:
            flash("Your choices are saved." if changed else "Nothing changed.", "success")
            return redirect(url_for("notifications.preferences"))
        status = refused.status
    elif request.method == "POST":
        status = 400
    return render_template("notifications/preferences.html", form=form,
                           events=services.EVENTS, current=current), status


@bp.route("/outbox")
@roles_required(*AUDIT_READERS)
def outbox():
    form = OutboxFilterForm(request.args)
    state = form.state.data if request.args.get("state") and form.validate() else None
    page = paginate(services.outbox(state), page_number(request.args), per_page=50)
    return render_template("notifications/outbox.html", page=page, form=form,
                           counts=services.outbox_counts(), labels=STATE_LABELS,
                           configured=smtp_settings() is not None,
                           readable=services.can_read_messages(current_user),
                           events=services.EVENTS)


@bp.route("/outbox/<int:notification_id>")
@roles_required(*AUDIT_READERS)
def outbox_message(notification_id: int):
    message = services.message_for(current_user, notification_id)
    return render_template("notifications/message.html", message=message, labels=STATE_LABELS,
                           form=ActionForm(), readable=services.can_read_messages(current_user),
                           events=services.EVENTS)


@bp.route("/outbox/<int:notification_id>/retry", methods=["POST"])
@roles_required(*AUDIT_READERS)
def retry(notification_id: int):
    message = services.message_for(current_user, notification_id)
    form = ActionForm()
    if form.validate_on_submit():
        with refusals() as refused:
            services.retry(current_user, message)
            commit()
        if not refused:
            flash(f"Message {message.id} to {message.email} is queued again.", "success")
    return redirect(url_for("notifications.outbox_message", notification_id=notification_id))
