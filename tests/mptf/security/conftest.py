"""The security suites' data: the API tests' world (tests/mptf/api/conftest.py) and what the
forms need on top of it (``form_ids``, tests/mptf/security/bad_input.py)."""

from tests.mptf.api import conftest as api_fixtures
from tests.mptf.security import bad_input

# Assigned, so that pytest finds them as this folder's fixtures.
test_config, fast_password_hashes = api_fixtures.test_config, api_fixtures.fast_password_hashes
teams, committee, people, world = (api_fixtures.teams, api_fixtures.committee,
                                   api_fixtures.people, api_fixtures.world)
api_tokens, form_ids = api_fixtures.api_tokens, bad_input.form_ids
