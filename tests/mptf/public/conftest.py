"""The public pages use the fund built for the API tests."""

from tests.mptf.api.conftest import (  # noqa: F401 (fixtures)
    api,
    api_tokens,
    committee,
    fast_password_hashes,
    people,
    teams,
    test_config,
    world,
)
