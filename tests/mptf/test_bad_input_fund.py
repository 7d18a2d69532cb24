"""The bad-input property (tests/mptf/bad_input.py) for the fund's, the reports' and the
accounts' forms; a file of its own so that xdist runs it beside test_bad_input.py."""

from __future__ import annotations

import pytest

from tests.mptf import bad_input
from tests.mptf.api import conftest as api_fixtures
from tests.mptf.bad_input import fuzz_forms

# The fixtures of the API's world and of the forms' ids (assigned, so pytest finds them here).
test_config, fast_password_hashes = api_fixtures.test_config, api_fixtures.fast_password_hashes
teams, committee, people, world = (api_fixtures.teams, api_fixtures.committee,
                                   api_fixtures.people, api_fixtures.world)
form_ids = bad_input.form_ids


@pytest.mark.parametrize("prefix", ["allocation.", "reports.", "auth.", "admin.", "tokens."])
def test_bad_input_is_refused_and_nothing_saved(form_ids, client, prefix):
    fuzz_forms(client, form_ids, prefix)
