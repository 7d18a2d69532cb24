"""schemathesis against the served OpenAPI document (/api/v1/openapi.json), in the suite:
every phase and every check, on the API tests' world (a committee, a closed round, an
approved cycle, an issued decision) with a token per role, so that the signed-in operations
are exercised by the roles they are for. Bounded (MPTF_SCHEMATHESIS_EXAMPLES, default 50 per
operation) and seeded, so a run repeats the last."""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections import defaultdict

import pytest
import schemathesis
from hypothesis.errors import HypothesisWarning
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events
from werkzeug.serving import make_server

EXAMPLES = int(os.environ.get("MPTF_SCHEMATHESIS_EXAMPLES", "50"))
SEED = 20260

# The role each signed-in operation is exercised as (the others: the secretariat's token).
ROLE_OF_OPERATION = {"create_note": "KEN", "update_note": "KEN", "submit_note": "KEN",
                     "my_review": "reviewer", "save_review": "reviewer"}


def config(tokens: dict[str, str]) -> SchemathesisConfig:
    def bearer(key: str) -> str:
        return json.dumps({"Authorization": f"Bearer {tokens[key]}"}).replace(":", " =")

    operations = "".join(
        f'\n[[operations]]\ninclude-operation-id = "{op}"\nheaders = {bearer(key)}\n'
        for op, key in ROLE_OF_OPERATION.items())
    return SchemathesisConfig.from_str(f"""
seed = {SEED}
workers = 1
headers = {bearer("sec")}

[generation]
max-examples = {EXAMPLES}
deterministic = true
database = "none"

[checks]
enabled = true

# A request the description allows may still be refused by the fund's rules (422: an
# incomplete note, an unknown reference) or by a precondition (412: If-Match names an older
# version); schemathesis' defaults besides.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]
{operations}""")


def outcomes(stream) -> tuple[list[str], dict[str, set[int]]]:
    """The run's failures, each with its request and answer, and the statuses each operation
    answered."""
    found, statuses = [], defaultdict(set)
    for event in stream:
        if isinstance(event, events.NonFatalError):
            found.append(f"{event.label}: error {event.info.title}: {event.value!r}"[:2000])
        elif isinstance(event, events.FatalError):
            found.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.ScenarioFinished):
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None and event.label:
                    statuses[event.label].add(interaction.response.status_code)
            if event.status == Status.FAILURE:
                found.extend(_failures(event))
    return found, statuses


def _failures(event: events.ScenarioFinished) -> list[str]:
    found = []
    for case_id, checks in event.recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE:
                continue
            info = check.failure_info
            interaction = event.recorder.interactions.get(case_id)
            answer = interaction.response if interaction else None
            found.append(f"{event.label} [{event.phase.value}] {check.name}: "
                         f"{info.failure.title if info else ''}: "
                         f"{info.failure.message if info else ''}\n"
                         f"{info.code_sample[:600] if info else ''}\n-> "
                         + (f"{answer.status_code} {answer.content[:400]!r}" if answer
                            else ""))
    return found


@pytest.fixture
def live_api(served_app):
    """The served app on a real HTTP server on 127.0.0.1, as schemathesis' CLI meets it."""
    server = make_server("127.0.0.1", 0, served_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_the_api_answers_as_its_description_says(world, api_tokens, live_api):
    with warnings.catch_warnings():
        # Hypothesis' note on printing a large generated body: about the report, not the API.
        warnings.filterwarnings("ignore", "Generating overly large repr",
                                category=HypothesisWarning)
        schema = schemathesis.openapi.from_url(f"{live_api}/api/v1/openapi.json",
                                               config=config(api_tokens))
        found, statuses = outcomes(schemathesis.engine.from_schema(schema).execute())
    assert not found, "\n\n".join(found)
    # Each operation was also answered as it is meant to be (a wrong token for a role would
    # leave the signed-in ones at 401 and 403, and the run green).
    never = [label for label, seen in statuses.items() if not any(200 <= s < 300 for s in seen)]
    assert never == [] and len(statuses) >= 24, (never, sorted(statuses))
