"""The API tokens of the signed-in user, on their account pages (/account/tokens): create one
(shown once) with its scope and how long it lasts, list them with when they expire, revoke
one. Session and CSRF as every form of the site."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from mptf.api import tokens
from mptf.forms_util import choices
from mptf.models.accounts import TOKEN_SCOPE_LABELS
from mptf.services.unit_of_work import commit
from mptf.views import refusals

bp = Blueprint("tokens", __name__, url_prefix="/account", template_folder="templates")


class TokenForm(FlaskForm):
    name = StringField("What will use the token", validators=[
        DataRequired("Name the token."), Length(max=tokens.NAME_MAX)])
    scope = SelectField("It may", default="read",
                        choices=choices(TOKEN_SCOPE_LABELS.items()))
    days = SelectField("It works for", default=str(tokens.DEFAULT_DAYS),
                       choices=choices((d, f"{d} days") for d in tokens.LIFETIMES))
    submit = SubmitField("Create token")


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke")


def _page(form: TokenForm, created: str | None = None, created_token=None) -> str:
    return render_template("api/tokens.html", form=form, tokens=tokens.tokens_of(current_user),
                           created=created, created_token=created_token)


@bp.route("/tokens")
@login_required
def index():
    return _page(TokenForm())


@bp.route("/tokens", methods=["POST"])
@login_required
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form), 400
    with refusals(form, sentence_on="name") as refused:
        token, text = tokens.create_token(current_user, form.name.data,
                                           scope=form.scope.data, days=int(form.days.data))
        commit()
    if refused:
        return _page(form), refused.status
    # Shown once, in this response only: never stored, never flashed into the session cookie.
    return (_page(TokenForm(formdata=None), created=text, created_token=token), 201,
            {"Cache-Control": "no-store"})


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])  # past MAX_ID: no row, a 404
@login_required
def revoke(token_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    found = tokens.revoke_token(current_user, token_id)  # another's token: NotFound, a 404
    commit()
    flash(f"The token '{found.name}' is revoked; it no longer works.", "success")
    return redirect(url_for("tokens.index"), 303)
