"""``make load``: a bounded load test of the app as deployed (gunicorn, 2 workers) on a
PostgreSQL database of production size, driven only on 127.0.0.1. See docs/load.md.

1. Builds the database ``mptf_load`` (10,000 concept notes, 50 closed review rounds with
   1,000,000 scores, an open round, six approved funding cycles, the accounts) and reports the
   build time.
2. Starts ``gunicorn -w 2`` on a free port and waits for /healthz.
3. Drives mixed traffic for ``--duration`` seconds with ``--users`` simulated users (country
   teams, reviewers, the secretariat, anonymous visitors), closed loop, no think time.
4. Measures the floor: the same client running only GET /healthz, then only GET /pipeline/
   as the secretariat, and reports the ratio of their throughputs.
5. Prints the results, writes docs/load-results.md (a table and the JSON) and rewrites the
   "## Load test" section of docs/benchmarks.md, leaving the rest of that file as it is.

Exits 0 with the results, 2 with a sentence when it cannot set up (PostgreSQL unreachable,
gunicorn not starting, a sign-in refused).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from bench.load_build import PASSWORD, Built, SetupError, build, prepare_database
from bench.load_client import (
    Browser,
    Recorder,
    RequestFailed,
    Sample,
    Summary,
    form_with,
    forms,
    links,
    summarise,
)
from bench.sections import LOAD_HEADING, write_section

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RESULTS = DOCS / "load-results.md"
BENCHMARKS = DOCS / "benchmarks.md"
HOST = "127.0.0.1"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
WORKERS = 2
# The personas of the simulated users, in turn: 16 users are 6 country teams, 4 reviewers,
# 2 secretariat officers and 4 anonymous visitors.
PERSONAS = ("country_team", "reviewer", "anonymous", "country_team", "secretariat",
            "reviewer", "anonymous", "country_team")
REGIONS = ("Africa", "Arab States", "Asia-Pacific", "Europe and Central Asia",
           "Latin America and the Caribbean")
SEARCHES = ("labour", "climate", "trafficking", "reintegration", "data", "phase 2", "Kenya")
SORTS = ("submitted", "reference", "title", "budget", "score", "expires")


class ScenarioError(Exception):
    """A page lacked what a user needs next (a form, a link): counted as an error."""


# --- gunicorn --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, log_path: Path):
    """gunicorn with WORKERS sync workers on a free port of 127.0.0.1; yields the port and
    always stops the server (its own process group) on the way out."""
    binary = Path(sys.executable).with_name("gunicorn")
    if not binary.exists():
        raise SetupError(f"gunicorn is not installed beside {sys.executable}; run make install.")
    port = free_port()
    env = {**os.environ, "MPTF_DATABASE_URL": database_url,
           "MPTF_SECRET_KEY": secrets.token_hex(32)}
    env.pop("MPTF_SECURE_COOKIES", None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(binary), "-w", str(WORKERS), "-b", f"{HOST}:{port}", "--timeout", "120",
             "mptf:create_app()"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_healthy(process, port, log_path)
        yield port
    finally:
        _stop(process)


def _wait_healthy(process: subprocess.Popen, port: int, log_path: Path) -> None:
    import http.client

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise SetupError(f"gunicorn exited with status {process.returncode} before "
                             f"answering /healthz: {' | '.join(tail)}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise SetupError(f"gunicorn did not answer /healthz on port {port} within 60 s; see "
                     f"{log_path}.")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # graceful: the master stops its workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group gunicorn was started in
        process.wait(timeout=10)


# --- the simulated users ----------------------------------------------------------------------

@dataclass
class Plan:
    """What the users know of the site: from the build and from the app's URL map."""

    built: Built
    public: bool  # the public portfolio pages exist
    anonymous_paths: list[str] = field(default_factory=list)


@dataclass
class User:
    role: str
    email: str | None
    browser: Browser
    plan: Plan
    drafts: list[int] = field(default_factory=list)
    edits: int = 0

    def iteration(self, rng: random.Random, going: Callable[[], bool]) -> None:
        getattr(self, f"_{self.role}")(rng, going)

    # a UN country team: its notes, one of them, and an edit of a draft
    def _country_team(self, rng: random.Random, going) -> None:
        b = self.browser
        query = rng.choice(("", "", "", "?status=draft", "?sort=title", "?page=2"))
        page = b.get("team: list own notes", f"/pipeline/{query}")
        found = links(page.text, r"/pipeline/\d+")
        if found and going():
            b.get("team: open a note", rng.choice(found))
        if self.drafts and going() and rng.random() < 0.6:
            note = rng.choice(self.drafts)
            path = f"/pipeline/{note}/edit"
            edit = b.get("team: edit form", path)
            form = form_with(edit.text, "title")
            if form is None or form.value("csrf_token") is None:
                raise ScenarioError(f"no note form with a CSRF token at {path} "
                                    f"(HTTP {edit.status})")
            title = re.sub(r" \(edit \d+\)$", "", form.value("title") or "")
            self.edits += 1
            form.set("title", f"{title} (edit {self.edits})"[:300])
            if not going():
                return
            saved = b.post("team: save draft", path, form.submission("save"))
            if saved.status != 302:
                raise ScenarioError(f"saving {path} answered HTTP {saved.status}")
            b.follow("team: edit form", saved)

    # a reviewer: the open round, a note's scoring form, a submitted review
    def _reviewer(self, rng: random.Random, going) -> None:
        b = self.browser
        round_id = self.plan.built.open_round
        index = None
        if rng.random() < 0.25:
            index = b.get("reviewer: rounds", "/review/")
        if not going():
            return
        page = b.get("reviewer: open round", f"/review/{round_id}")
        rows = [row for row in page.text.split("<tr>")
                if re.search(rf'href="/review/{round_id}/notes/\d+"', row)]
        if not rows:
            raise ScenarioError(f"no note to score on /review/{round_id} (HTTP {page.status})")
        pending = [row for row in rows if "submitted</span>" not in row]
        row = rng.choice(pending or rows)
        path = re.search(rf'href="(/review/{round_id}/notes/\d+)"', row).group(1)
        if not going():
            return
        scoring = b.get("reviewer: scoring form", path)
        form = form_with(scoring.text, "submit")
        if form is None:
            # submitted already: reopen it (as the page offers) to change the scores
            reopen = next((f for f in forms(scoring.text) if f.action.endswith("/reopen")),
                          None)
            if reopen is None:
                raise ScenarioError(f"neither a scoring form nor a reopen button at {path} "
                                    f"(HTTP {scoring.status})")
            opened = b.post("reviewer: reopen review", reopen.action, reopen.submission())
            if opened.status != 302 or not going():
                return
            scoring = b.follow("reviewer: scoring form", opened)
            form = form_with(scoring.text, "submit")
            if form is None:
                raise ScenarioError(f"no scoring form at {path} after reopening it")
        codes = sorted(set(re.findall(r'name="score_([A-Za-z0-9_]+)"', scoring.text)))
        if not codes:
            raise ScenarioError(f"no criteria in the scoring form at {path}")
        pairs = [(n, v) for n, v in form.fields if not n.startswith("score_")
                 and n != "overall"]
        base = rng.randint(2, 4)
        pairs += [(f"score_{code}", str(min(5, max(1, base + rng.randint(-1, 1)))))
                  for code in codes]
        pairs.append(("overall", "A sound joint programme; see the comments per criterion."))
        if not going():
            return
        sent = b.post("reviewer: submit review", path, pairs + [("submit", "Submit review")])
        if sent.status != 302:
            raise ScenarioError(f"submitting {path} answered HTTP {sent.status}")
        b.follow("reviewer: open round", sent)
        if going() and rng.random() < 0.15:
            index = index or b.get("reviewer: rounds", "/review/")
            closed = [p for p in links(index.text, r"/review/\d+")
                      if p != f"/review/{round_id}"]
            if closed and going():
                b.get("reviewer: closed round", rng.choice(closed))

    # the Network Secretariat: the pipeline with filters, a note, a closed round
    def _secretariat(self, rng: random.Random, going) -> None:
        b = self.browser
        filters: dict[str, str] = {}
        for name, value in (("status", rng.choice(("pipeline", "pipeline", "expired",
                                                    "submitted", "funded"))),
                            ("area", str(rng.randint(1, 5))), ("region", rng.choice(REGIONS)),
                            ("q", rng.choice(SEARCHES)), ("sort", rng.choice(SORTS)),
                            ("page", str(rng.randint(1, 4)))):
            if rng.random() < 0.35:
                filters[name] = value
        page = b.get("secretariat: pipeline with filters",
                     "/pipeline/" + (f"?{urlencode(filters)}" if filters else ""))
        found = links(page.text, r"/pipeline/\d+")
        if found and going():
            b.get("secretariat: open a note", rng.choice(found))
        if going() and rng.random() < 0.2:
            b.get("secretariat: closed round", f"/review/{rng.choice(self.plan.built.closed_rounds)}")
        if going() and rng.random() < 0.1:
            b.get("secretariat: home", "/home")

    # an anonymous visitor: the public portfolio, a programme, a chart
    def _anonymous(self, rng: random.Random, going) -> None:
        b = self.browser
        if not self.plan.public:  # no portfolio in this app: its other anonymous page
            path = self.plan.anonymous_paths[0]
            b.get(f"public: {'verify' if 'verify' in path else 'sign-in'} page", path)
            return
        if rng.random() < 0.3:
            b.etags.clear()  # a new visitor, nothing cached
        query = rng.choice(({}, {}, {}, {"area": rng.randint(1, 5)},
                            {"region": rng.choice(REGIONS)}, {"page": 2}, {"q": "labour"}))
        page = b.get("public: portfolio", "/portfolio/" + (f"?{urlencode(query)}" if query
                                                            else ""), conditional=True)
        programmes = links(page.text, r"/portfolio/programmes/\d+") or [
            f"/portfolio/programmes/{a}" for a in rng.sample(self.plan.built.allocations, 3)]
        if going():
            b.get("public: programme", rng.choice(programmes), conditional=True)
        if going() and rng.random() < 0.3:
            b.get("public: chart", f"/portfolio/charts/{rng.choice(('area', 'region', 'donors'))}"
                                   ".svg", conditional=True)
        if going() and rng.random() < 0.15 and "/reports/verify" in self.plan.anonymous_paths:
            b.get("public: verify page", "/reports/verify")


def make_users(plan: Plan, port: int, n: int, recorder: Recorder) -> list[User]:
    built = plan.built
    # Distinct accounts while they last (60 teams, 22 reviewers: 11 memberships); beyond, two
    # users share an account, and two reviewers of one membership may race on a review.
    teams = itertools.cycle(sorted(built.teams, key=lambda e: -len(built.teams[e])))
    reviewers = itertools.cycle(built.reviewers)
    secretariat = itertools.cycle(built.secretariat)
    users = []
    for i in range(n):
        role = PERSONAS[i % len(PERSONAS)]
        email = {"country_team": lambda: next(teams), "reviewer": lambda: next(reviewers),
                 "secretariat": lambda: next(secretariat), "anonymous": lambda: None}[role]()
        users.append(User(role, email, Browser(HOST, port, recorder, role), plan,
                          drafts=list(built.teams.get(email or "", []))))
    return users


def sign_in(users: list[User]) -> None:
    for user in users:
        if user.email is None:
            continue
        try:
            signed = user.browser.login(user.email, PASSWORD)
        except RequestFailed as exc:
            raise SetupError(f"signing in {user.email} failed: {exc}") from exc
        if not signed:
            raise SetupError(f"the app refused to sign in {user.email} with the load test's "
                             "password; the database was not built as expected.")


# --- running -----------------------------------------------------------------------------------

@dataclass
class Run:
    samples: list[Sample]
    seconds: float
    scenario_errors: list[str]


def drive(users: list[User], seconds: float, recorder: Recorder, cap: int,
          step: Callable[[User, random.Random, Callable[[], bool]], None]) -> Run:
    """Every user in its own thread, back to back, until ``seconds`` pass or ``cap``
    requests are made; only requests started inside the window count."""
    start = time.perf_counter()
    deadline = start + seconds
    scenario_errors: list[str] = []
    lock = threading.Lock()

    def going() -> bool:
        return time.perf_counter() < deadline and len(recorder) < cap

    def loop(index: int, user: User) -> None:
        rng = random.Random(1000 + index)
        while going():
            try:
                step(user, rng, going)
            except RequestFailed:
                time.sleep(0.05)
            except ScenarioError as exc:
                with lock:
                    scenario_errors.append(f"{user.role}: {exc}")
                time.sleep(0.05)

    threads = [threading.Thread(target=loop, args=(i, u), daemon=True)
               for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 180)
    ended = min(time.perf_counter(), deadline)
    with recorder.lock:
        samples = [s for s in recorder.samples if start <= s.started < deadline]
    if len(recorder) >= cap and samples:
        ended = max(s.started + s.seconds for s in samples)
    return Run(samples, ended - start, scenario_errors)


def mixed(user: User, rng: random.Random, going) -> None:
    user.iteration(rng, going)


def only(kind: str, path: str):
    def step(user: User, rng: random.Random, going) -> None:
        user.browser.get(kind, path)
    return step


ANONYMOUS_PAGES = (("public.index", "/portfolio/"), ("reports.verify", "/reports/verify"),
                   ("auth.login", "/login"))


def discover_public(plan: Plan, port: int, endpoints: set[str]) -> None:
    """The anonymous pages the app serves, from its URL map: the public portfolio when the app
    has the public blueprint, the verify page, else the sign-in page; each must answer 200."""
    probe = Browser(HOST, port, Recorder(enabled=False), "anonymous")
    for endpoint, path in ANONYMOUS_PAGES:
        if endpoint not in endpoints:
            continue
        try:
            if probe.get("probe", path).status == 200:
                plan.anonymous_paths.append(path)
        except RequestFailed:
            pass
    probe.close()
    plan.public = "/portfolio/" in plan.anonymous_paths
    without_login = [p for p in plan.anonymous_paths if p != "/login"]
    if plan.public:
        plan.anonymous_paths = without_login
    else:  # the one fallback page: the verify page, else the sign-in page
        plan.anonymous_paths = (without_login or plan.anonymous_paths)[:1]
    if not plan.anonymous_paths:
        raise SetupError("no anonymous page (/portfolio/, /reports/verify, /login) answers a "
                         "GET with 200; the server is not serving the app as expected.")


def app_endpoints(url: str) -> set[str]:
    from mptf import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "probe"})
    return {rule.endpoint for rule in app.url_map.iter_rules()}


# --- reporting ----------------------------------------------------------------------------------

def by_kind(run: Run) -> list[Summary]:
    groups: dict[str, list[Sample]] = defaultdict(list)
    for s in run.samples:
        groups[s.kind].append(s)
    return [summarise(kind, samples, run.seconds) for kind, samples in sorted(groups.items())]


def _ms(v: float) -> str:
    return "–" if v != v else (f"{v:.0f}" if v >= 100 else f"{v:.1f}")


def text_table(rows: list[Summary]) -> str:
    width = max(len(r.kind) for r in rows)
    out = [f"{'kind':<{width}}  {'requests':>8}  {'req/s':>7}  {'p50 ms':>7}  {'p95 ms':>7}  "
           f"{'p99 ms':>7}  {'errors':>6}"]
    for r in rows:
        out.append(f"{r.kind:<{width}}  {r.requests:>8}  {r.rps:>7.1f}  {_ms(r.p50_ms):>7}  "
                   f"{_ms(r.p95_ms):>7}  {_ms(r.p99_ms):>7}  {r.errors:>6}")
    return "\n".join(out)


def md_table(rows: list[Summary], first: str = "request kind") -> list[str]:
    out = [f"| {first} | requests | req/s | p50 | p95 | p99 | errors |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        name = f"**{r.kind}**" if r.kind.startswith("all") else r.kind
        out.append(f"| {name} | {r.requests:,} | {r.rps:.1f} | {_ms(r.p50_ms)} ms | "
                   f"{_ms(r.p95_ms)} ms | {_ms(r.p99_ms)} ms | {r.errors} |")
    return out


P95_TARGET_MS = 1000  # what a person may wait for a page at this load, 16 users on 2 workers


def _targets(traffic: dict) -> str:
    slow = [k["kind"] for k in traffic["kinds"] if k["p95_ms"] >= P95_TARGET_MS]
    met = traffic["overall"]["errors"] == 0 and not slow
    return (f"Targets: no errors, and every kind's p95 under {P95_TARGET_MS:,} ms: "
            + ("met." if met else "**not met**" + (f" ({', '.join(slow)})" if slow else "")
               + "."))


def markdown(report: dict) -> str:
    db, traffic, floor = report["database"], report["traffic"], report["floor"]
    counts = db["rows"]
    lines = [
        LOAD_HEADING, "",
        f"Written by `make load` on {report['written']} UTC. Machine: {report['machine']}. "
        "How it works: [load.md](load.md).", "",
        f"Database: {db['server']}, {counts['concept notes']:,} concept notes, "
        f"{counts['review rounds']} review rounds, {counts['reviews']:,} reviews, "
        f"{counts['scores']:,} scores, {counts['allocations']} allocations, "
        f"{counts['users']} accounts; built in {db['build_s']:.1f} s.",
        f"Server: gunicorn, {report['server']['workers']} sync workers, on 127.0.0.1. "
        f"Client: {traffic['users']} simulated users ({traffic['personas']}) on the same "
        f"machine, closed loop without think time, {traffic['seconds']:.0f} s; the client "
        f"used {report['client_cpu_cores']:.2f} of a core, and the load average was "
        f"{report['load_average_before']:.2f} before the run. Anonymous visitors' pages: "
        + ", ".join(f"`{p}`" for p in traffic["anonymous_pages"])
        + ("" if "/portfolio/" in traffic["anonymous_pages"]
           else " (the app has no public portfolio)") + ".", "",
        *md_table([Summary(**traffic["overall"]), *(Summary(**k) for k in traffic["kinds"])]),
        "",
        f"Errors: {traffic['overall']['errors']} responses outside 2xx/3xx or failed requests"
        + (f", {len(traffic['scenario_errors'])} pages missing what the user needed next"
           if traffic["scenario_errors"] else "") + ".",
        "",
        _targets(traffic),
        "",
        "The floor: the same client and server running one request only, "
        f"{floor['seconds']:.0f} s each.", "",
        *md_table([Summary(**floor["bare"]), Summary(**floor["pipeline"])], first="run"),
        "",
        f"The pipeline page runs at **{floor['ratio']:.3f}** of the bare route's throughput "
        f"(1 : {1 / floor['ratio']:.0f})." if floor["ratio"] else "",
    ]
    return "\n".join(lines) + "\n"


def write_results(report: dict) -> None:
    section = markdown(report)
    RESULTS.write_text(
        "<!-- Written by `make load` (bench/load.py); the same section is in benchmarks.md. -->\n"
        + section + "\n```json\n" + json.dumps(report, indent=2) + "\n```\n", encoding="utf-8")
    write_section(BENCHMARKS, section)


# --- main ---------------------------------------------------------------------------------------

def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of mixed traffic")
    parser.add_argument("--users", type=int, default=16, help="concurrent simulated users")
    parser.add_argument("--floor-duration", type=float, default=15,
                        help="seconds of each floor run (/healthz, then /pipeline/)")
    parser.add_argument("--max-requests", type=int, default=200_000,
                        help="stop a run after this many requests")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL, no database")
    parser.add_argument("--database", default="mptf_load")
    parser.add_argument("--no-write", action="store_true",
                        help="print only; leave docs/ untouched")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 256:
        parser.error("--users is 1 to 256")
    if not 1 <= args.duration <= 1800 or not 1 <= args.floor_duration <= 600:
        parser.error("--duration is 1 to 1800 s, --floor-duration 1 to 600 s")
    return args


def run(args: argparse.Namespace) -> int:
    from bench.run import machine

    if args.database in ("postgres", "template0", "template1"):
        raise SetupError(f"refusing to use the database '{args.database}'.")
    print(f"building database {args.database} on {args.server} ...", flush=True)
    url = prepare_database(args.server, args.database)
    built = build(url, log=lambda line: print(line, flush=True))
    print(f"built in {built.seconds:.1f} s: " + ", ".join(
        f"{v:,} {k}" for k, v in built.counts.items()), flush=True)
    endpoints = app_endpoints(url)
    plan = Plan(built, public="public.index" in endpoints)
    log_path = Path(tempfile.mkdtemp(prefix="mptf-load-")) / "gunicorn.log"
    with gunicorn(url, log_path) as port:
        print(f"gunicorn: {WORKERS} workers on {HOST}:{port} (log {log_path})", flush=True)
        discover_public(plan, port, endpoints)
        setup = Recorder()
        users = make_users(plan, port, args.users, setup)
        sign_in(users)
        # one unmeasured round of every user: each worker loads its templates and modules
        for i, user in enumerate(users):
            try:
                user.iteration(random.Random(i), lambda: True)
            except (RequestFailed, ScenarioError) as exc:
                raise SetupError(f"the warm-up of a {user.role} failed: {exc}") from exc
        recorder = Recorder()
        for user in users:
            user.browser.recorder = recorder
        print(f"mixed traffic: {args.users} users for {args.duration:g} s ...", flush=True)
        load_before = os.getloadavg()[0]
        cpu = time.process_time()
        traffic = drive(users, args.duration, recorder, args.max_requests, mixed)
        client_cpu = (time.process_time() - cpu) / traffic.seconds
        for user in users:
            user.browser.close()

        print(f"floor: GET /healthz, {args.users} users for {args.floor_duration:g} s ...",
              flush=True)
        bare_recorder = Recorder()
        bare_users = [User("anonymous", None, Browser(HOST, port, bare_recorder, "anonymous"),
                           plan) for _ in range(args.users)]
        bare = drive(bare_users, args.floor_duration, bare_recorder, args.max_requests,
                     only("GET /healthz", "/healthz"))
        print(f"floor: GET /pipeline/ as the secretariat, {args.users} users for "
              f"{args.floor_duration:g} s ...", flush=True)
        page_recorder = Recorder()
        page_users = [User("secretariat", built.secretariat[i % len(built.secretariat)],
                           Browser(HOST, port, page_recorder, "secretariat"), plan)
                      for i in range(args.users)]
        sign_in(page_users)
        page_recorder.samples.clear()
        pipeline = drive(page_users, args.floor_duration, page_recorder, args.max_requests,
                         only("GET /pipeline/ (secretariat)", "/pipeline/"))
        for user in bare_users + page_users:
            user.browser.close()
    server_log = log_path.read_text(errors="replace")

    overall = summarise("all requests", traffic.samples, traffic.seconds)
    kinds = by_kind(traffic)
    bare_summary = summarise("GET /healthz (the floor)", bare.samples, bare.seconds)
    page_summary = summarise("GET /pipeline/ as the secretariat", pipeline.samples,
                             pipeline.seconds)
    ratio = page_summary.rps / bare_summary.rps if bare_summary.rps else 0.0
    personas = defaultdict(int)
    for user in users:
        personas[user.role.replace("_", " ")] += 1
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=5) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    report = {
        "written": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        "machine": machine(),
        "database": {"server": f"PostgreSQL {version}", "build_s": round(built.seconds, 1),
                     "rows": built.counts},
        "server": {"workers": WORKERS, "tracebacks": server_log.count("Traceback")},
        # The client shares the machine: its CPU (in cores) and the load average before the
        # run (other processes) say how far the numbers are the server's alone.
        "client_cpu_cores": round(client_cpu, 2),
        "load_average_before": round(load_before, 2),
        "traffic": {
            "users": args.users, "seconds": round(traffic.seconds, 1),
            "personas": ", ".join(f"{n} {role}" for role, n in personas.items()),
            "anonymous_pages": plan.anonymous_paths,
            "overall": overall.as_dict(), "kinds": [k.as_dict() for k in kinds],
            "scenario_errors": traffic.scenario_errors[:20],
            "errors": recorder.errors[:20]},
        "floor": {"seconds": round(bare.seconds, 1), "bare": bare_summary.as_dict(),
                  "pipeline": page_summary.as_dict(), "ratio": round(ratio, 4)},
    }

    print()
    print(text_table([overall, *kinds]))
    print()
    print(text_table([bare_summary, page_summary]))
    print(f"\npipeline page / bare route throughput: {ratio:.3f} (1 : {1 / ratio:.0f})"
          if ratio else "\nno floor measured")
    problems = recorder.errors + traffic.scenario_errors
    if problems:
        print(f"\n{overall.errors} failed requests, {len(traffic.scenario_errors)} scenario "
              "errors; the first:")
        for line in problems[:10]:
            print(f"  {line}")
    if report["server"]["tracebacks"]:
        print(f"\nthe server logged {report['server']['tracebacks']} tracebacks; see {log_path}")
    if not args.no_write:
        write_results(report)
        print(f"\nwrote {RESULTS.relative_to(ROOT)} and the '{LOAD_HEADING}' section of "
              f"{BENCHMARKS.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        return run(args)
    except SetupError as exc:
        print(f"load test: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
