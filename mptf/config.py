"""Configuration from the environment: ``MPTF_DATABASE_URL``, ``MPTF_SECRET_KEY``,
``MPTF_BASE_URL``, ``MPTF_TRUSTED_HOSTS``, ``MPTF_SECURE_COOKIES``, ``MPTF_PROXY_HOPS``,
``MPTF_LOG_LEVEL``.

Without ``MPTF_SECRET_KEY`` the key is read from the instance folder's ``secret_key`` file,
made once by whichever process starts first, so that every worker of one machine signs
sessions and forms alike (``instance_secret_key``). Production sets the key in the
environment (``mptf serve --production`` refuses to start without it), so that every host
shares it.

Absolute links (the API's and the IATI export's) are built from ``MPTF_BASE_URL``, never from
the request's Host header; requests for any other host are refused (``TRUSTED_HOSTS``). Without
a base URL (the demo, the development server) links use the request's host, which must then be
``localhost``, ``127.0.0.1`` or one of ``MPTF_TRUSTED_HOSTS``.

Behind reverse proxies, ``MPTF_PROXY_HOPS`` says how many of them stand in front of the app
(default 0: none is trusted). With N, the client's address is the one the Nth proxy from the
app wrote into ``X-Forwarded-For`` (and the scheme its ``X-Forwarded-Proto``), so that the
sign-in lock-out and the API's rate limit count each client, not the proxy; addresses a client
wrote there itself, further left, are never read. With 0 the headers are ignored, so a client
cannot choose its address by sending them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

SECRET_KEY_FILE = "secret_key"
LOCAL_HOSTS = ("localhost", "127.0.0.1")


def _default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "mptf.sqlite")


def normalise_database_url(url: str) -> str:
    """Let ``postgresql://`` and ``postgres://`` URLs use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def normalise_base_url(text: str) -> str:
    """'https://mptf.example.org/' -> 'https://mptf.example.org': the address the public
    reaches the site at, with its path prefix if any, without a trailing slash."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or parts.password:
        raise ValueError(f"MPTF_BASE_URL {text!r} is not an address such as "
                         "https://mptf.example.org (http or https, a host, no query).")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def trusted_hosts(base_url: str | None, extra: str = "") -> list[str]:
    """The host names requests may name: the base URL's (or, without one, the local
    machine's) and those of ``MPTF_TRUSTED_HOSTS`` (comma-separated; '.example.org' also
    admits its subdomains)."""
    hosts = [urlsplit(base_url).hostname] if base_url else list(LOCAL_HOSTS)
    hosts += [h.strip().lower() for h in extra.split(",") if h.strip()]
    return list(dict.fromkeys(hosts))


MAX_PROXY_HOPS = 5


def proxy_hops(text: str) -> int:
    """``MPTF_PROXY_HOPS``: how many reverse proxies in front of the app are trusted."""
    value = text.strip()
    if value == "":
        return 0
    if not (value.isascii() and value.isdecimal()) or int(value) > MAX_PROXY_HOPS:
        raise ValueError(f"MPTF_PROXY_HOPS {text!r} is not a number of proxies from 0 to "
                         f"{MAX_PROXY_HOPS} (0, the default, when clients reach the app "
                         "directly).")
    return int(value)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def log_level(text: str) -> str:
    """``MPTF_LOG_LEVEL``: the least severe level logged (default INFO: a line per request)."""
    value = text.strip().upper() or "INFO"
    if value not in LOG_LEVELS:
        raise ValueError(f"MPTF_LOG_LEVEL {text!r} is not one of {', '.join(LOG_LEVELS)}.")
    return value


def instance_secret_key(instance_path: str) -> str:
    """The key in ``<instance>/secret_key`` (mode 0600), made on first use.

    Two workers starting at once may both make one; each writes its own to a temporary file
    and links it to the final name, which only the first link gets: both then read the one
    that was linked, whole (a link appears with its content written)."""
    folder = Path(instance_path)
    path = folder / SECRET_KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".secret_key.")  # 0600
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as f:
                f.write(secrets.token_hex(32) + "\n")
                f.flush()
                os.fsync(f.fileno())
            # Another process may have linked its key first: that one is read below.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"{path} holds no secret key; delete it to have a new one made.")
    return key


def from_environment(instance_path: str) -> dict:
    url = os.environ.get("MPTF_DATABASE_URL") or _default_database_url(instance_path)
    secret = os.environ.get("MPTF_SECRET_KEY")
    base_url = os.environ.get("MPTF_BASE_URL", "").strip()
    base_url = normalise_base_url(base_url) if base_url else None
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
        # None: create_app reads (or makes) the instance folder's key, unless its caller
        # gives one.
        "SECRET_KEY": secret or None,
        "SECRET_KEY_FROM_ENVIRONMENT": bool(secret),
        "BASE_URL": base_url,
        "TRUSTED_HOSTS": trusted_hosts(base_url, os.environ.get("MPTF_TRUSTED_HOSTS", "")),
        "PROXY_HOPS": proxy_hops(os.environ.get("MPTF_PROXY_HOPS", "")),
        "LOG_LEVEL": log_level(os.environ.get("MPTF_LOG_LEVEL", "")),
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
    }
