"""Request and error logging (mptf/logs.py): a line per request with its id, the id echoed in
the response, server errors answered in the API's error format on /api/ and as a page
elsewhere, both quoting the id that the error's log record carries."""

from __future__ import annotations

import logging
import re

import pytest

from mptf import create_app, logs
from mptf.extensions import db
from tests import factories
from tests.conftest import Auth

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def secretariat(seeded):
    user = factories.user("secretariat", email="sec@example.org")
    db.session.commit()
    return user


@pytest.fixture
def serve(app, test_config):
    """``serve(**config)``: an app on the test's database whose unhandled errors become 500s
    (the test configuration propagates them to the test instead)."""
    made = []

    def build(**config):
        served = create_app({**test_config[0], "PROPAGATE_EXCEPTIONS": False, **config})
        made.append(served)
        return served

    yield build
    for served in made:
        with served.app_context():
            db.engine.dispose()


def request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mptf.requests"]


def test_each_request_is_one_line_with_its_id(client, caplog, seeded):
    response = client.get("/portfolio/?q=private+words")
    request_id = response.headers["X-Request-ID"]
    assert GENERATED.fullmatch(request_id)
    [line] = request_lines(caplog)
    assert re.fullmatch(rf"GET /portfolio/ {response.status_code} \d+\.\dms user=- "
                        rf"request={request_id}", line.getMessage())
    assert line.request_id == request_id
    assert "private" not in line.getMessage()  # the query string stays out of the log


def test_a_signed_in_request_names_its_user(client, caplog, secretariat):
    Auth(client).login("sec@example.org")
    caplog.clear()
    client.get("/home")
    [line] = request_lines(caplog)
    assert "GET /home 200 " in line.getMessage()
    assert f" user={secretariat.id} " in line.getMessage()


def test_an_api_request_names_its_tokens_user(client, caplog, secretariat):
    from mptf.api import tokens

    _, secret = tokens.create_token(secretariat, "logging")
    db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    [line] = request_lines(caplog)
    assert line.getMessage().startswith("GET /api/v1/me 200 ")
    assert f" user={secretariat.id} " in line.getMessage()


def test_every_answer_has_its_own_id_even_a_refusal(client, seeded):
    ids = {client.get(path).headers["X-Request-ID"]
           for path in ("/portfolio/", "/no-such-page", "/api/v1/no-such", "/home")}
    assert len(ids) == 4 and all(GENERATED.fullmatch(i) for i in ids)


def test_a_proxys_request_id_is_kept_only_when_the_proxy_is_trusted(serve, seeded):
    sent = {"X-Request-ID": "nginx-5f2b.17"}
    assert serve(PROXY_HOPS=1).test_client().get(
        "/portfolio/", headers=sent).headers["X-Request-ID"] == "nginx-5f2b.17"
    assert GENERATED.fullmatch(serve(PROXY_HOPS=0).test_client().get(
        "/portfolio/", headers=sent).headers["X-Request-ID"])


@pytest.mark.parametrize("sent", ["", "a" * 65, "two words", "x\u00e9", "<script>"])
def test_a_request_id_that_is_no_id_is_replaced(serve, seeded, sent):
    answer = serve(PROXY_HOPS=1).test_client().get("/portfolio/",
                                                   headers={"X-Request-ID": sent})
    assert GENERATED.fullmatch(answer.headers["X-Request-ID"])


def failing(served, endpoint: str) -> None:
    """Make ``endpoint``'s view raise, as a bug would."""
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the view")

    served.view_functions[endpoint] = broken


def error_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mptf" and r.levelno == logging.ERROR]


def test_an_api_server_error_is_the_apis_error_object_with_the_request_id(
        serve, seeded, caplog):
    served = serve()
    failing(served, "api.reference")
    response = served.test_client().get("/api/v1/reference")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    error = response.get_json()["error"]
    assert error["code"] == "internal_error" and error["fields"] == {}
    assert error["request_id"] == request_id
    assert "nothing was saved" in error["message"] and request_id in error["message"]
    [record] = error_records(caplog)
    assert record.request_id == request_id and record.exc_info[0] is RuntimeError
    [line] = request_lines(caplog)
    assert line.getMessage().startswith("GET /api/v1/reference 500 ")


def test_a_page_server_error_says_the_request_id_without_the_database(
        serve, secretariat, caplog):
    served = serve()
    failing(served, "main.home")
    browser = served.test_client()
    Auth(browser).login("sec@example.org")
    caplog.clear()
    response = browser.get("/home")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    request_id = response.headers["X-Request-ID"]
    page = response.get_data(as_text=True)
    assert "Server error" in page and f"<code>{request_id}</code>" in page
    [record] = error_records(caplog)
    assert record.request_id == request_id
    assert "Exception on /home [GET]" in record.getMessage()


def test_a_json_client_of_a_page_gets_the_error_object(serve, seeded):
    served = serve()
    failing(served, "public.index")
    response = served.test_client().get("/portfolio/", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.get_json()["error"]["request_id"] == response.headers["X-Request-ID"]


def test_the_handler_prints_the_request_id(serve, seeded, caplog):
    """What an operator reads on standard error: the handler's format names the request."""
    served = serve(PROXY_HOPS=1)
    failing(served, "public.index")
    served.test_client().get("/portfolio/", headers={"X-Request-ID": "trace-42"})
    [handler] = [h for h in logging.getLogger("mptf").handlers
                 if getattr(h, "formatter", None) and h.formatter._fmt == logs.FORMAT]
    printed = "\n".join(handler.format(r) for r in caplog.records if r.name.startswith("mptf"))
    assert re.search(r"ERROR mptf \[trace-42\] Exception on /portfolio/ \[GET\]", printed)
    assert re.search(r"INFO mptf\.requests \[trace-42\] GET /portfolio/ 500 ", printed)


@pytest.mark.parametrize(("text", "level"), [("", "INFO"), ("warning", "WARNING"),
                                             (" DEBUG ", "DEBUG")])
def test_the_log_level_is_one_of_loggings(text, level):
    from mptf.config import log_level

    assert log_level(text) == level


def test_another_log_level_is_refused_with_a_sentence():
    from mptf.config import log_level

    with pytest.raises(ValueError, match="MPTF_LOG_LEVEL 'loud' is not one of DEBUG, INFO, "
                                         "WARNING, ERROR"):
        log_level("loud")
