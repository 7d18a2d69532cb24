"""Configuration from the environment: ``MPTF_DATABASE_URL``, ``MPTF_SECRET_KEY``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "mptf.sqlite")


def normalise_database_url(url: str) -> str:
    """Let ``postgresql://`` and ``postgres://`` URLs use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment(instance_path: str) -> dict:
    url = os.environ.get("MPTF_DATABASE_URL") or _default_database_url(instance_path)
    secret = os.environ.get("MPTF_SECRET_KEY")
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
        # Without a configured key each process makes its own, so sessions do not survive a
        # restart and cannot be shared between workers: fine for a demo, refused in production
        # by `mptf serve --production` and documented in README.
        "SECRET_KEY": secret or secrets.token_hex(32),
        "SECRET_KEY_FROM_ENVIRONMENT": bool(secret),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("MPTF_SECURE_COOKIES", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        # Failed logins before an account/address pair is locked, and for how long.
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_SECONDS": 15 * 60,
        "PAGE_SIZE": 50,
    }
