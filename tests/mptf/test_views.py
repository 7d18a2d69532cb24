"""The one refusal path of the HTML views (mptf.views.refusals) and the error pages of a
refusal no view caught (mptf.web): rolled back, on the form, flashed, with the status."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired

from mptf import create_app
from mptf.extensions import db
from mptf.models import User
from mptf.services.errors import Conflict, NotAllowed, NotFound, ServiceError
from mptf.views import confirmation, put_on_form, refusals
from tests import factories


class ContributionLikeForm(FlaskForm):
    class Meta:
        csrf = False

    reference = StringField("Reference")
    amount = StringField("Amount")


def _form(app, **data):
    return ContributionLikeForm(data=data)


def test_nothing_refused_is_false_with_status_200(app):
    with app.test_request_context("/", method="POST"):
        form = _form(app)
        with refusals(form) as refused:
            pass
        assert not refused
        assert refused.status == 200
        assert refused.message is None
        assert get_flashed_messages() == []


def test_a_refusal_is_rolled_back_put_on_the_fields_and_flashed(seeded):
    with seeded.test_request_context("/", method="POST", data={"reference": "C-1",
                                                               "amount": "12x"}):
        form = ContributionLikeForm()
        with refusals(form) as refused:
            factories.user("secretariat", email="kept-out@example.org")
            db.session.flush()
            raise ServiceError("The amount is not a sum of money.",
                               fields={"amount": ["Not an amount."],
                                       "earmark_area_id": ["Unknown thematic area."]})
        assert refused
        assert refused.status == 400
        assert refused.message == "The amount is not a sum of money."
        assert form.amount.errors == ["Not an amount."]
        # A name the form has no field for: a form-level error, listed by errors_summary.
        assert form.form_errors == ["Unknown thematic area."]
        assert form.errors[""] == ["Unknown thematic area."]
        # What was typed stays in the form, to be shown again.
        assert form.reference.data == "C-1" and form.amount.data == "12x"
        assert get_flashed_messages(with_categories=True) == [
            ("error", "The amount is not a sum of money.")]
    assert db.session.scalar(db.select(User).where(User.email == "kept-out@example.org")) is None


def test_the_refusal_s_own_status_is_kept(app):
    for error, status in ((Conflict("Changed meanwhile."), 409),
                          (NotAllowed("Only the fund office."), 403),
                          (ServiceError("Busy.", status=503), 503)):
        with app.test_request_context("/", method="POST"):
            with refusals(_form(app)) as refused:
                raise error
            assert refused.status == status


def test_without_a_form_the_sentence_is_flashed(app):
    with app.test_request_context("/", method="POST"):
        with refusals() as refused:
            raise ServiceError("You cannot deactivate your own account.")
        assert refused
        assert get_flashed_messages() == ["You cannot deactivate your own account."]


def test_other_exceptions_pass_through(app):
    with (app.test_request_context("/", method="POST"),
          pytest.raises(ValueError, match="not a refusal"), refusals(_form(app))):
        raise ValueError("not a refusal")


def test_sentence_on_a_field_instead_of_a_flash(app):
    with app.test_request_context("/", method="POST", data={"amount": "1"}):
        form = ContributionLikeForm()
        form.validate()
        with refusals(form, sentence_on="reference") as refused:
            raise ServiceError("Wrong sum.", fields={"amount": ["Wrong."]}, status=401)
        assert refused.status == 401
        assert form.amount.errors == ["Wrong sum."]  # the sentence, on the field it names
        assert form.reference.errors == []
        assert get_flashed_messages() == []
        with refusals(form, sentence_on="reference"):
            raise ServiceError("Locked for ten minutes.")
        assert form.reference.errors == ["Locked for ten minutes."]


def test_a_form_placing_refusals_its_own_way(app):
    class GroupedForm(ContributionLikeForm):
        def apply_service_errors(self, fields):
            self.placed = fields

    with app.test_request_context("/", method="POST"):
        form = GroupedForm()
        put_on_form(form, {"punos": ["At least two."]})
        assert form.placed == {"punos": ["At least two."]}
        assert form.form_errors == []


@pytest.fixture
def refusing_app(test_config, app):
    """An app with routes that raise what services raise, outside any form."""
    served = create_app(test_config[0])

    @served.route("/raises/<kind>")
    def raises(kind: str):
        raise {"not-found": NotFound("There is no such concept note, or it is not yours "
                                     "to see."),
               "not-allowed": NotAllowed("Only the secretariat screens concept notes."),
               "conflict": Conflict("Someone else changed this at the same moment.")}[kind]

    yield served
    with served.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("kind, status, sentence, code", [
    ("not-found", 404, "There is no such concept note, or it is not yours to see.",
     "not_found"),
    ("not-allowed", 403, "Only the secretariat screens concept notes.", "forbidden"),
    ("conflict", 409, "Someone else changed this at the same moment.", "conflict"),
])
def test_a_refusal_no_view_caught_is_an_error_page(refusing_app, kind, status, sentence, code):
    client = refusing_app.test_client()
    page = client.get(f"/raises/{kind}")
    assert page.status_code == status
    assert page.mimetype == "text/html"
    assert sentence in page.get_data(as_text=True)
    answer = client.get(f"/raises/{kind}", headers={"Accept": "application/json"})
    assert answer.status_code == status
    assert answer.get_json() == {"error": {"code": code, "message": sentence, "fields": {}}}


def test_form_level_errors_are_listed_without_a_label(app):
    from flask import render_template_string

    with app.test_request_context("/", method="POST"):
        form = _form(app)
        put_on_form(form, {"earmark_area_id": ["Unknown thematic area."]})
        html = render_template_string(
            '{% from "forms.html" import errors_summary %}{{ errors_summary(form) }}', form=form)
    assert "<li>Unknown thematic area.</li>" in html
    assert "Please correct 1 problem" in html


class WithdrawLikeForm(FlaskForm):
    class Meta:
        csrf = False

    reason = StringField("Reason", validators=[DataRequired("Say why.")])
    confirm = SubmitField("Withdraw")


@pytest.mark.parametrize("method, data, act, status", [
    ("GET", {}, False, 200),
    ("POST", {"reason": "Merged into a regional note."}, False, 200),  # carried to the page
    ("POST", {"reason": "", "confirm": "Withdraw"}, False, 400),  # refused by the form
    ("POST", {"reason": "Merged into a regional note.", "confirm": "Withdraw"}, True, 200),
])
def test_which_step_of_a_confirmation_a_request_is(app, method, data, act, status):
    with app.test_request_context("/", method=method, data=data):
        form = WithdrawLikeForm()
        step = confirmation(form)
        assert (step.act, step.status) == (act, status)
        if status == 400:
            assert form.reason.errors == ["Say why."]


def test_saying_flashes_more_than_the_refusal_and_still_places_the_fields(app):
    with app.test_request_context("/", method="POST"):
        form = _form(app)
        with refusals(form, saying=lambda exc: f"Your edits are saved as a draft. "
                                               f"{exc.message}") as refused:
            raise ServiceError("A note needs at least two PUNOs.",
                               fields={"amount": ["Too small."]})
        assert refused.status == 400
        assert form.amount.errors == ["Too small."]
        assert get_flashed_messages() == [
            "Your edits are saved as a draft. A note needs at least two PUNOs."]
