import pytest

from mptf.extensions import db
from tests import factories


@pytest.fixture
def kenya(seeded):
    team = factories.user("country_team", country="KEN", email="kenya@example.org")
    db.session.commit()
    return team


@pytest.fixture
def bangladesh(seeded):
    team = factories.user("country_team", country="BGD", email="bangladesh@example.org")
    db.session.commit()
    return team


@pytest.fixture
def secretariat(seeded):
    user = factories.user("secretariat", email="sec@example.org")
    db.session.commit()
    return user
