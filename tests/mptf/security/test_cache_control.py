"""Answers made for someone are never stored by a cache, the browser's included (issue 23.9):
every response to a signed-in user and every API answer to a token is ``no-store``; public
answers keep their caching (a minute in shared caches, ETag and Last-Modified)."""

from __future__ import annotations

import pytest

from tests.mptf.security.bad_input import Session

PUBLIC = ["/portfolio/", "/portfolio/charts/donors.svg", "/api/v1/fund",
          "/api/v1/programmes", "/api/v1/iati/activities.xml"]


@pytest.mark.parametrize("role", ["KEN", "sec", "office"])
def test_every_page_to_a_signed_in_user_is_no_store(world, client, role):
    session = Session(client)
    session.as_(role)
    for path in ["/home", "/profile", "/pipeline/", "/account/tokens", "/portfolio/",
                 "/portfolio/charts/area.svg", f"/pipeline/{world.funded[0].id}",
                 "/nowhere"]:
        response = client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", (path,
                                                                      response.status_code)
    saved = client.post("/profile", data={"csrf_token": session.token})
    assert saved.headers.get("Cache-Control") == "no-store"


def test_every_api_answer_to_a_token_is_no_store(world, client, api_tokens):
    for path in [*PUBLIC[2:], "/api/v1/me", "/api/v1/notes", "/api/v1/cycles",
                 f"/api/v1/programmes/{2**40}"]:
        response = client.get(path, headers={
            "Authorization": f"Bearer {api_tokens['office']}"})
        assert response.headers.get("Cache-Control") == "no-store", (path,
                                                                      response.status_code)


def test_public_answers_keep_their_caching(world, client):
    for path in PUBLIC:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "public, max-age=60", path
        assert response.headers["ETag"]


def test_static_files_keep_their_caching_for_a_signed_in_user(world, client):
    session = Session(client)
    session.as_("sec")
    with client.get("/static/mptf.css") as response:
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")
