from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from mptf.main import services
from mptf.models import NOTE_STATUSES
from mptf.navigation import navigation

bp = Blueprint("main", __name__, template_folder="templates")


@bp.app_context_processor
def inject_navigation():
    return {"navigation": navigation}


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("public.index"))


@bp.route("/home")
@login_required
def home():
    return render_template("main/home.html", data=services.dashboard(current_user),
                           note_statuses=NOTE_STATUSES)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
