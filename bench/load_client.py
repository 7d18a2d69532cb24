"""A small browser for the load test: one keep-alive ``http.client`` connection per simulated
user, a cookie jar, HTML forms read and submitted as a browser would (hidden fields, the
selected options, checked boxes, the clicked button), and every request timed into a shared
``Recorder``. Standard library only."""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

TIMEOUT_S = 60


# --- timing ----------------------------------------------------------------------------------

@dataclass
class Sample:
    kind: str
    started: float
    seconds: float
    status: int  # 0: an exception (connection refused, reset, timeout)


@dataclass
class Recorder:
    """Every request's kind, start, latency and status, from every thread."""

    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    enabled: bool = True

    def add(self, sample: Sample) -> None:
        if self.enabled:
            with self.lock:
                self.samples.append(sample)

    def error(self, text: str) -> None:
        if self.enabled:
            with self.lock:
                if len(self.errors) < 200:
                    self.errors.append(text)

    def __len__(self) -> int:
        return len(self.samples)


def ok(status: int) -> bool:
    return 200 <= status < 400


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(round(p / 100 * len(sorted_values) + 0.4999999)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class Summary:
    kind: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float

    def as_dict(self) -> dict:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def summarise(kind: str, samples: list[Sample], seconds: float) -> Summary:
    latencies = sorted(s.seconds * 1000 for s in samples)
    return Summary(kind, len(samples), sum(1 for s in samples if not ok(s.status)),
                   len(samples) / seconds if seconds > 0 else float("nan"),
                   percentile(latencies, 50), percentile(latencies, 95),
                   percentile(latencies, 99),
                   statistics.fmean(latencies) if latencies else float("nan"))


# --- forms -------------------------------------------------------------------------------------

@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def names(self) -> set[str]:
        return {name for name, _ in self.fields}

    def value(self, name: str) -> str | None:
        return next((v for n, v in self.fields if n == name), None)

    def set(self, name: str, value: str) -> None:
        self.fields = [(n, value if n == name else v) for n, v in self.fields]

    def submission(self, button: str | None = None) -> list[tuple[str, str]]:
        """The fields a browser sends when ``button`` (a name) is clicked."""
        pairs = list(self.fields)
        if button is not None:
            pressed = next((b for b in self.buttons if b[0] == button), (button, "1"))
            pairs.append(pressed)
        return pairs


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.select_multiple = False
        self.options: list[tuple[str, bool]] = []
        self.option_value: str | None = None
        self.option_text = ""
        self.option_selected = False
        self.in_option = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "button"):
                self.form.buttons.append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.form.fields.append((name, a.get("value", "on")))
            elif kind != "file":
                self.form.fields.append((name, a.get("value", "")))
        elif tag == "button" and name:
            self.form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.select, self.select_multiple, self.options = name, "multiple" in a, []
        elif tag == "option" and self.select is not None:
            self._close_option()
            self.in_option = True
            self.option_value = a.get("value")
            self.option_text = ""
            self.option_selected = "selected" in a
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def _close_option(self):
        if self.in_option:
            value = self.option_value if self.option_value is not None else self.option_text
            self.options.append((value.strip() if self.option_value is None else value,
                                 self.option_selected))
            self.in_option = False

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data
        elif self.in_option:
            self.option_text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self.select is not None:
            self._close_option()
            if self.form is not None:
                chosen = [v for v, selected in self.options if selected]
                if not chosen and not self.select_multiple and self.options:
                    chosen = [self.options[0][0]]
                self.form.fields.extend((self.select, v) for v in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            if self.form is not None:
                # a browser drops the line break right after <textarea> ("\r\n" from WTForms)
                text = self.text
                text = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
                self.form.fields.append((self.textarea, text))
            self.textarea = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_with(html: str, field_name: str) -> Form | None:
    return next((f for f in forms(html) if field_name in f.names()
                 or any(b[0] == field_name for b in f.buttons)), None)


def links(html: str, pattern: str) -> list[str]:
    """Every href matching the regular expression ``pattern``, in page order, once each."""
    seen: dict[str, None] = {}
    for href in re.findall(r'href="([^"]+)"', html):
        href = href.replace("&amp;", "&")
        if re.fullmatch(pattern, href):
            seen.setdefault(href)
    return list(seen)


# --- the browser ---------------------------------------------------------------------------------

class RequestFailed(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage | None
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str | None:
        if self.headers is None:
            return None
        where = self.headers.get("Location")
        if not where:
            return None
        parts = urlsplit(where)
        return parts.path + (f"?{parts.query}" if parts.query else "")


class Browser:
    """One simulated user: a connection, cookies, a cache of ETags (as a browser keeps)."""

    def __init__(self, host: str, port: int, recorder: Recorder, role: str):
        self.host, self.port = host, port
        self.recorder = recorder
        self.role = role
        self.cookies: dict[str, str] = {}
        self.etags: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _send(self, method: str, path: str, body: bytes | None,
              headers: dict[str, str]) -> tuple[int, http.client.HTTPMessage, bytes]:
        for attempt in (1, 2):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_S)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.close()
                return response.status, response.headers, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server had closed: reconnect once, as browsers do.
                self.close()
                if fresh or attempt == 2:
                    raise
            except Exception:
                self.close()
                raise
        raise AssertionError("unreachable")

    def request(self, kind: str, method: str, path: str, data: list[tuple[str, str]] | None = None,
                conditional: bool = False) -> Response:
        headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "mptf-load/1",
                   "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                   "Accept-Encoding": "identity"}
        body = None
        if data is not None:
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if conditional and path in self.etags:
            headers["If-None-Match"] = self.etags[path]
        started = time.perf_counter()
        try:
            status, response_headers, payload = self._send(method, path, body, headers)
        except Exception as exc:
            self.recorder.add(Sample(kind, started, time.perf_counter() - started, 0))
            self.recorder.error(f"{kind} {method} {path}: {type(exc).__name__}: {exc}")
            raise RequestFailed(f"{method} {path}: {exc}") from exc
        self.recorder.add(Sample(kind, started, time.perf_counter() - started, status))
        if not ok(status):
            self.recorder.error(f"{kind} {method} {path}: HTTP {status}")
        for header in response_headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                expired = morsel["max-age"] == "0" or (
                    morsel["expires"] and "1970" in morsel["expires"])
                if expired or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        etag = response_headers.get("ETag")
        if etag and method == "GET":
            self.etags[path] = etag
        return Response(status, response_headers, payload)

    def get(self, kind: str, path: str, conditional: bool = False) -> Response:
        return self.request(kind, "GET", path, conditional=conditional)

    def post(self, kind: str, path: str, data: list[tuple[str, str]]) -> Response:
        return self.request(kind, "POST", path, data)

    def follow(self, kind: str, response: Response) -> Response | None:
        """After a POST, the GET of the page it redirects to (as a browser does)."""
        if response.status in (301, 302, 303) and response.location:
            return self.get(kind, response.location)
        return None

    def login(self, email: str, password: str) -> bool:
        page = self.get("login form", "/login")
        form = form_with(page.text, "csrf_token")
        if form is None:
            return False
        form.set("email", email)
        form.set("password", password)
        done = self.post("login", "/login", form.submission("submit"))
        return done.status == 302 and "session" in self.cookies
