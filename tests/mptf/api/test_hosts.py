"""Absolute links come from the configured base URL, never from the request's Host header,
and a request naming a host the site does not answer for is refused (issue 23.5): the IATI
XML and the decisions and programmes answers are cached for a minute by shared caches."""

from __future__ import annotations

import pytest
from lxml import etree

BASE = "https://mptf.example.org/fund"
EVIL = "evil.example"


def links(api) -> list[str]:
    programmes = api.get("/api/v1/programmes").get_json()["data"]
    decisions = api.get("/api/v1/decisions").get_json()["data"]
    iati = etree.fromstring(api.get("/api/v1/iati/activities.xml").data)
    return ([p["url"] for p in programmes] + [p["decision"]["pdf_url"] for p in programmes]
            + [d["pdf_url"] for d in decisions]
            + [e.get("url") for e in iati.iter("document-link")])


class TestWithABaseUrl:
    @pytest.fixture
    def test_config(self, test_config):
        config, schema = test_config
        config.update(BASE_URL=BASE, TRUSTED_HOSTS=["mptf.example.org", "localhost"])
        return config, schema

    def test_links_are_made_on_the_base_url_whatever_the_host(self, world, api):
        found = links(api)
        assert len(found) == 3 + 3 + 1 + 3
        assert all(u.startswith(BASE + "/") for u in found), found
        assert f"{BASE}/reports/decisions/{world.decision.id}.pdf" in found

    def test_a_site_under_a_path_prefix_does_not_repeat_it(self, world, client):
        response = client.get("/api/v1/decisions", base_url=BASE)
        assert response.status_code == 200
        assert response.get_json()["data"][0]["pdf_url"] \
            == f"{BASE}/reports/decisions/{world.decision.id}.pdf"

    def test_another_host_is_refused_and_told_the_address(self, world, api):
        response = api.get("/api/v1/programmes", headers={"Host": EVIL})
        assert response.status_code == 400
        assert response.get_json()["error"]["message"] == (
            f"This site does not answer for that host name; it is served at {BASE}.")


def test_without_a_base_url_links_use_the_local_host(world, api):
    assert all(u.startswith("http://localhost/") for u in links(api))
    assert api.get("/api/v1/fund", headers={"Host": "127.0.0.1:5000"}).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/programmes", "/api/v1/decisions",
                                  "/api/v1/iati/activities.xml", "/api/v1/nowhere"])
def test_an_unknown_host_gets_a_400_in_json_on_the_api(api, path):
    response = api.get(path, headers={"Host": EVIL})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "unknown_host"
    assert "does not answer for that host name" in error["message"]
    assert EVIL not in response.get_data(as_text=True)
    assert "public" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/portfolio/", "/login", "/portfolio/charts/donors.svg",
                                  "/nowhere"])
def test_an_unknown_host_gets_a_sentence_on_the_site(client, path):
    response = client.get(path, headers={"Host": f"{EVIL}:8080", "Accept": "text/html"})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith(
        "This site does not answer for that host name; open it at localhost or 127.0.0.1")
