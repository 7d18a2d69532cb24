"""The bad-input property (tests/mptf/security/bad_input.py) for the fund's, the reports' and the
accounts' forms; a file of its own so that xdist runs it beside test_bad_input.py."""

from __future__ import annotations

import pytest

from tests.mptf.security.bad_input import fuzz_forms


@pytest.mark.parametrize("prefix", ["allocation.", "reports.", "auth.", "admin.", "tokens.",
                                    "notifications."])
def test_bad_input_is_refused_and_nothing_saved(form_ids, client, prefix):
    fuzz_forms(client, form_ids, prefix)
