from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from mptf.auth import services
from mptf.auth.forms import ChangePasswordForm, LoginForm
from mptf.services.unit_of_work import commit
from mptf.views import refusals

bp = Blueprint("auth", __name__, template_folder="templates")

REMEMBER_FOR = timedelta(days=30)


@bp.record_once
def remember_cookie_as_the_session_cookie(state) -> None:
    """The remember-me cookie signs its holder in on its own, so it is sent as the session
    cookie is (Secure with ``MPTF_SECURE_COOKIES``, HttpOnly, SameSite) and lasts
    ``REMEMBER_FOR`` (unless configured). It carries the session version (``User.get_id``), so
    signing out, a password change or a deactivation ends it with every session."""
    config = state.app.config
    for setting in ("SECURE", "HTTPONLY", "SAMESITE"):
        config[f"REMEMBER_COOKIE_{setting}"] = config[f"SESSION_COOKIE_{setting}"]
    config.setdefault("REMEMBER_COOKIE_DURATION", REMEMBER_FOR)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a user off the site after signing in."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        with refusals(form, sentence_on="password") as refused:
            user = services.authenticate(form.email.data, form.password.data,
                                         request.remote_addr)
        if refused:
            status = refused.status
        else:
            session.clear()  # a fresh session on sign-in: no fixation
            login_user(user, remember=form.remember.data)
            commit()
            flash(f"Welcome, {user}.", "success")
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    current_user.end_sessions()  # a copy of the session cookie is anonymous from now on
    commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with refusals(form, sentence_on="current") as refused:
            services.change_password(current_user, form.current.data, form.new.data)
            commit()
        if not refused:
            # This session goes on, and so does its remember-me cookie, made anew for the new
            # session version (the old one is refused from now on).
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME",
                                                "remember_token") in request.cookies
            login_user(current_user._get_current_object(), remember=remembered)
            flash("Your password is changed; you are signed out everywhere else and your API "
                  "tokens are revoked.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form)
