"""Who may reach a view, on a bare Flask app (issue 24): the decorator itself answers 401 to
nobody signed in, 403 to a role outside the set and the view's own answer to a role inside
it; the role sets are read in the fund's order; unknown roles are refused by name."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask_login import LoginManager, UserMixin

from mptf.services.policy import (
    MONEY_ROLES,
    SYSTEM,
    Role,
    SystemActor,
    is_system,
    role_tuple,
    roles_required,
)


@dataclass
class Person(UserMixin):
    id: str
    role: str


PEOPLE = {role.value: Person(role.value, role) for role in Role}


@pytest.fixture
def bare():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", TESTING=True)
    manager = LoginManager(app)
    manager.request_loader(lambda request: PEOPLE.get(request.headers.get("X-Role", "")))

    @roles_required(Role.CHAIR)
    def chair_only(number: int) -> str:
        """The chair's page."""
        return f"chair page {number * 2}"

    @roles_required(MONEY_ROLES, Role.ADMIN)
    def money_or_admin() -> str:
        return "money"

    app.add_url_rule("/chair/<int:number>", view_func=chair_only)
    app.add_url_rule("/money", view_func=money_or_admin)
    app.chair_only, app.money_or_admin = chair_only, money_or_admin
    return app


def test_only_the_named_role_reaches_the_view_with_its_arguments(bare):
    client = bare.test_client()
    answer = client.get("/chair/21", headers={"X-Role": "chair"})
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "chair page 42")
    for role in Role:
        if role is not Role.CHAIR:
            assert client.get("/chair/21", headers={"X-Role": role.value}).status_code == 403


def test_nobody_signed_in_is_asked_to_sign_in(bare):
    assert bare.test_client().get("/chair/1").status_code == 401
    assert bare.test_client().get("/money").status_code == 401


def test_a_set_and_a_role_together_admit_each_of_them(bare):
    client = bare.test_client()
    admitted = {role for role in Role
                if client.get("/money", headers={"X-Role": role.value}).status_code == 200}
    assert admitted == {Role.SECRETARIAT, Role.CHAIR, Role.FUND_OFFICE, Role.ADMIN}
    assert client.get("/money", headers={"X-Role": "admin"}).get_data(as_text=True) == "money"


def test_the_decorated_view_keeps_its_name_and_states_its_roles(bare):
    assert bare.chair_only.__name__ == "chair_only"
    assert bare.chair_only.__doc__ == "The chair's page."
    assert bare.chair_only.allowed_roles == (Role.CHAIR,)
    assert bare.money_or_admin.allowed_roles == (Role.SECRETARIAT, Role.CHAIR,
                                                 Role.FUND_OFFICE, Role.ADMIN)


def test_roles_are_read_one_by_one_or_as_sets_in_the_funds_order():
    assert role_tuple("chair", {"reviewer", "country_team"}) == (
        Role.COUNTRY_TEAM, Role.REVIEWER, Role.CHAIR)
    assert role_tuple(Role.ADMIN, Role.ADMIN) == (Role.ADMIN,)
    assert role_tuple() == ()
    assert role_tuple(["secretariat"], ()) == (Role.SECRETARIAT,)


def test_an_unknown_role_is_refused_by_name():
    with pytest.raises(ValueError) as raised:
        role_tuple("chair", {"boss", "auditor"})
    assert str(raised.value) == "unknown roles ['auditor', 'boss']"
    with pytest.raises(ValueError) as raised:
        roles_required("system")
    assert str(raised.value) == "unknown roles ['system']"


def test_only_the_funds_own_processes_are_the_system():
    assert is_system(SYSTEM) is True
    assert is_system(SystemActor(name="the daily maintenance")) is True
    assert is_system(None) is False
    assert is_system(PEOPLE["admin"]) is False
