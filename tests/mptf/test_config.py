"""Configuration: one secret key for every process of an instance folder, the base URL and
the hosts the site answers for."""

from __future__ import annotations

import os
import stat

import pytest

from mptf import config, create_app
from tests.conftest import run_at_once


@pytest.fixture
def no_environment(monkeypatch):
    for name in ("MPTF_SECRET_KEY", "MPTF_BASE_URL", "MPTF_TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)


def test_apps_of_one_instance_folder_share_a_key_kept_private(tmp_path, no_environment):
    first = create_app(instance_path=str(tmp_path))
    second = create_app(instance_path=str(tmp_path))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert not first.config["SECRET_KEY_FROM_ENVIRONMENT"]
    key_file = tmp_path / config.SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    assert create_app(instance_path=str(tmp_path / "other")).config["SECRET_KEY"] \
        != first.config["SECRET_KEY"]


def test_a_form_signed_by_one_worker_is_accepted_by_another(tmp_path, no_environment):
    from flask_wtf.csrf import generate_csrf, validate_csrf

    one, two = (create_app(instance_path=str(tmp_path)) for _ in range(2))
    with one.test_request_context():
        from flask import session

        token = generate_csrf()
        raw = session["csrf_token"]
    with two.test_request_context():
        from flask import session

        session["csrf_token"] = raw
        validate_csrf(token)  # raises ValidationError when the keys differ


def test_workers_starting_at_once_agree_on_one_key(tmp_path):
    keys = run_at_once([lambda: config.instance_secret_key(str(tmp_path))] * 8)
    assert len(set(keys)) == 1
    assert os.listdir(tmp_path) == [config.SECRET_KEY_FILE]  # no temporary file left


def test_the_environment_key_wins_and_no_file_is_made(tmp_path, monkeypatch, no_environment):
    monkeypatch.setenv("MPTF_SECRET_KEY", "from-the-environment")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SECRET_KEY_FROM_ENVIRONMENT"]
    assert not (tmp_path / config.SECRET_KEY_FILE).exists()


def test_an_empty_key_file_is_refused_with_a_sentence(tmp_path, no_environment):
    (tmp_path / config.SECRET_KEY_FILE).write_text("\n")
    with pytest.raises(ValueError, match="holds no secret key; delete it"):
        create_app(instance_path=str(tmp_path))


def test_base_url_and_trusted_hosts(tmp_path, monkeypatch, no_environment):
    local = create_app(instance_path=str(tmp_path))
    assert local.config["BASE_URL"] is None
    assert local.config["TRUSTED_HOSTS"] == ["localhost", "127.0.0.1"]
    monkeypatch.setenv("MPTF_BASE_URL", "HTTPS://Mptf.Example.org/fund/")
    monkeypatch.setenv("MPTF_TRUSTED_HOSTS", " internal.example.org, .example.net ,")
    served = create_app(instance_path=str(tmp_path))
    assert served.config["BASE_URL"] == "https://mptf.example.org/fund"
    assert served.config["TRUSTED_HOSTS"] == ["mptf.example.org", "internal.example.org",
                                              ".example.net"]


@pytest.mark.parametrize("text", ["mptf.example.org", "ftp://mptf.example.org",
                                  "https://", "https://mptf.example.org/?a=1",
                                  "https://user:pw@mptf.example.org"])
def test_a_base_url_that_is_no_address_is_refused(text):
    with pytest.raises(ValueError, match="is not an address such as"):
        config.normalise_base_url(text)
