"""The navigation bar marks one entry as the current page: the most specific one."""

import re

import pytest

from mptf.extensions import db
from tests import factories

CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>')


@pytest.mark.parametrize(("path", "current"), [
    ("/fund/", "Fund"),
    ("/fund/contributions", "Contributions"),
    ("/fund/cycles/", "Funding cycles"),
    ("/fund/cycles/new", "Funding cycles"),
    ("/committee/rotation", "Committee"),
    ("/home", "Dashboard"),
])
def test_one_entry_is_current_the_most_specific(client, auth, seeded, path, current):
    factories.user("secretariat", email="sec@example.org")
    db.session.commit()
    auth.login("sec@example.org")
    page = client.get(path).get_data(as_text=True)
    nav = page[page.index('<nav aria-label="Main">'):page.index("</nav>")]
    assert [label for _, label in CURRENT.findall(nav)] == [current]
