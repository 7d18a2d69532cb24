"""The account and audit listings: a page number beyond the last shows the last page, and a
number too large for SQL (an OFFSET past 64 bits) is never sent to the database."""

import re

import pytest

from mptf.extensions import db
from mptf.services.audit import record
from tests import factories

PAGE = re.compile(r"Page (\d+) of (\d+)")
HUGE = ["99999999999999999999999", str(2**63), "1000000000", "12345678"]


@pytest.fixture
def admin(seeded):
    user = factories.user("admin", email="admin@example.org")
    for i in range(120):  # the accounts page shows 100 a page: two pages at least
        factories.user("reviewer", email=f"r{i:03}@example.org")
    for i in range(60):  # the audit log shows 50 a page: two pages at least
        record(user, "note_imported", None, entity_type="concept_notes", after={"i": i})
    db.session.commit()
    return user


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_a_page_beyond_the_last_is_the_last_page(admin, client, auth, path):
    auth.login("admin@example.org")
    for number in HUGE:
        response = client.get(path, query_string={"page": number})
        assert response.status_code == 200, (number, response.status_code)
        shown, last = PAGE.search(response.get_data(as_text=True)).groups()
        assert shown == last and int(last) >= 2, number


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_a_page_that_is_not_a_number_is_the_first(admin, client, auth, path):
    auth.login("admin@example.org")
    for number in ["0", "-3", "abc", "²", "٣", "1.5", "1_0", ""]:
        response = client.get(path, query_string={"page": number})
        assert response.status_code == 200, (number, response.status_code)
        shown, last = PAGE.search(response.get_data(as_text=True)).groups()
        assert shown == "1" and int(last) >= 2, number


def test_an_empty_listing_beyond_its_end_is_its_only_page(admin, client, auth):
    auth.login("admin@example.org")
    response = client.get("/admin/audit", query_string={"action": "nothing_like_it",
                                                        "page": "99"})
    assert response.status_code == 200
