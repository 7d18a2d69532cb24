"""The preferences form, one checkbox per kind of message a user may turn off."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.validators import InputRequired, NumberRange

from mptf.forms_util import IntegerField, choices
from mptf.models import NOTIFICATION_STATES
from mptf.models.base import MAX_ID
from mptf.notifications.services import EVENTS

STATE_LABELS = {"queued": "queued", "sent": "sent", "failed": "failed",
                "site_only": "on the site only"}


class ActionForm(FlaskForm):
    """A button's form: its CSRF token only."""


class MarkReadForm(FlaskForm):
    """Marks read the messages up to the newest one the page showed: one that arrived after
    the page was shown stays unread."""

    upto = IntegerField("Newest message shown", validators=[
        InputRequired("Say up to which message to mark read."),
        NumberRange(1, MAX_ID, "There is no such message.")])


class OutboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField("State", choices=choices(
        [("", "every state"), *((s, STATE_LABELS[s]) for s in NOTIFICATION_STATES)]),
        default="")


def preferences_form(current: dict[str, bool], formdata=None) -> FlaskForm:
    """A form with a checkbox (``email_<event>``) per optional kind, ticked as chosen."""

    class PreferencesForm(FlaskForm):
        pass

    for event, kind in EVENTS.items():
        if not kind.mandatory:
            setattr(PreferencesForm, f"email_{event}",
                    BooleanField(kind.label, default=current[event]))
    return PreferencesForm(formdata=formdata) if formdata is not None else PreferencesForm()


def chosen(form: FlaskForm) -> dict[str, bool]:
    return {event: bool(form[f"email_{event}"].data) for event, kind in EVENTS.items()
            if not kind.mandatory}
