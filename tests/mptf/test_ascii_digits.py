"""Numbers are read only from ASCII digits (issue 23.9): ``int``, ``Decimal``, ``\\d`` and
``str.isdecimal`` also take the digits of other scripts ('٣' is 3), so a number field, a
choice of ids, a filter or a limit accepted them. Each refusal is the field's sentence."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SelectMultipleField

from mptf.forms_util import DecimalField, IntegerField, choices, digits, whole_number

OTHER_DIGITS = ["٣", "۳", "३", "３", "1٣", "²"]  # Arabic-Indic, Persian, Devanagari, fullwidth


class NumbersForm(FlaskForm):
    class Meta:
        csrf = False

    count = IntegerField("Count")
    share = DecimalField("Share")
    ids = SelectMultipleField("Ids", coerce=whole_number,
                              choices=choices([(3, "three"), (13, "13")]))


def form_of(app, **values) -> NumbersForm:
    with app.test_request_context(method="POST", data=MultiDict(values)):
        form = NumbersForm()
        form.validate()
        return form


@pytest.mark.parametrize("text", OTHER_DIGITS)
def test_number_fields_refuse_other_scripts_digits(app, text):
    form = form_of(app, count=text, share=text, ids=text)
    assert form.errors == {"count": ["Not a valid integer value."],
                           "share": ["Not a valid decimal value."],
                           "ids": ["Invalid choice(s): one or more data inputs could not be "
                                   "coerced."]}
    assert form.count.data is None and form.share.data is None


def test_number_fields_read_ascii_digits(app):
    form = form_of(app, count=" 3 ", share="12.5", ids="13")
    assert form.errors == {}
    assert (form.count.data, str(form.share.data), form.ids.data) == (3, "12.5", [13])


def test_digits_and_whole_number():
    assert digits("0123") and not digits("") and not digits("-1")
    assert not any(digits(t) for t in OTHER_DIGITS)
    assert whole_number("42") == 42 and whole_number(7) == 7
    for bad in [*OTHER_DIGITS, "", "1.0", True]:
        with pytest.raises(ValueError):
            whole_number(bad)


def test_filters_and_limits_refuse_other_scripts_digits(seeded, client):
    from mptf.pipeline.listing import Filters
    from mptf.public.portfolio import PortfolioFilters

    public = PortfolioFilters.from_args({"area": "٣", "year": "٢٠٢٦"})
    assert set(public.errors) == {"area", "year"} and public.area is None
    assert set(Filters.from_args({"area": "٣", "gender_marker": "٢"}).errors) \
        == {"area", "gender_marker"}
    for query in ("area=٣", "year=٢٠٢٦", "limit=٣"):
        response = client.get(f"/api/v1/programmes?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]["fields"], query
