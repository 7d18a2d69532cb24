"""``make mutation``: mutmut over each module that guards the fund's money and fairness, each
against its own tests only, and the table in docs/mutation.md.

Each module is mutated in a copy of the working tree (a temporary folder), so the run never
writes into the tree and colleagues' edits during a run do not change what is measured. A
surviving mutant the tests cannot notice because it changes nothing the fund can observe is
listed in mutation/equivalent.toml (the function, the changed lines and a one-line reason);
the score leaves those out and the table lists them.

    python -m mutation.run                         # every module in MODULES
    python -m mutation.run scoring/allocate.py     # one module; the others' rows are kept
"""

from __future__ import annotations

import argparse
import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "mutation.md"
EQUIVALENT = Path(__file__).resolve().parent / "equivalent.toml"
MUTMUT = Path(sys.executable).parent / "mutmut"
TARGET = 90.0

# Each module and its own tests (glob patterns, relative to the repository).
MODULES: dict[str, list[str]] = {
    "scoring/rubric.py": ["tests/scoring/test_rubric*.py"],
    "scoring/aggregate.py": ["tests/scoring/test_aggregate*.py"],
    "scoring/allocate.py": ["tests/scoring/test_allocate*.py"],
    "mptf/committee/quorum.py": ["tests/mptf/committee/test_quorum*.py"],
    # The decorator runs when a view module is imported, before any test: mutmut gives a
    # mutant only to tests that call the function, so these tests call it themselves.
    "mptf/services/policy.py": ["tests/mptf/test_policy*.py"],
    "mptf/committee/services.py": ["tests/mptf/committee/test_conflicts*.py",
                                   "tests/mptf/committee/test_quorum*.py",
                                   "tests/mptf/committee/test_recusal*.py"],
    "mptf/allocation/services.py": ["tests/mptf/allocation/test_fund*.py",
                                    "tests/mptf/allocation/test_balance*.py",
                                    "tests/mptf/allocation/test_contribution*.py"],
    "mptf/allocation/cycles.py": ["tests/mptf/allocation/test_cycle*.py"],
}

# The Hypothesis properties of the scoring modules take most of their tests' time (63 s of
# test_allocate.py's 68 s); every surviving mutant would run them all. The mutation run leaves
# them out, so these modules are measured against their hand-worked tests alone (the score is
# a lower bound of the whole suite's).
PYTEST_ARGS: dict[str, list[str]] = {
    "scoring/allocate.py": ["-k", "not keeps_every_rule and not does_not_depend_on_row_order"
                                  " and not beats_greedy"],
    "scoring/aggregate.py": ["-k", "not stay_within_0_100 and not permutation_in_score_order"
                                   " and not score_is_the_mean and not permuting_rows"
                                   " and not test_input_not_mutated"
                                   " and not cancels_a_constant_offset"],
}

# Where only some of a module's functions are the rules measured (the rest is pages and
# forms), the functions by name; the table counts only their mutants.
FUNCTIONS: dict[str, list[str]] = {
    "mptf/committee/services.py": ["eligibility", "recusals", "declare_conflict",
                                   "declaration_consequences", "quorum_met",
                                   "quorums_on_notes", "_seated_and_present"],
    # The contributions: what money comes in, its corrections and what is available.
    "mptf/allocation/services.py": ["_require_fund_office", "_checked", "record_contribution",
                                    "correct_contribution", "_refuse_overdraw",
                                    "available_funds", "balance"],
    # The cycles: the funds a run sees, the run, exclusions and approval.
    "mptf/allocation/cycles.py": ["_require", "_policy", "create_cycle", "update_cycle",
                                  "funds_for", "stale_reasons", "save_run", "exclude_note",
                                  "include_note", "approve"],
}

# mutmut's exit codes, grouped as the table counts them.
CAUGHT = {1, 3, 36, 24, -24, 152, 255, 37}
SURVIVED = {0}
NO_TESTS = {5, 33}

_NAME = re.compile(r"^(?P<module>.+?)\.x(?:ǁ(?P<cls>[^ǁ]+)ǁ|_)(?P<func>.+)__mutmut_(?P<n>\d+)$")


@dataclass
class Mutant:
    name: str
    function: str
    status: str
    changed: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class ModuleResult:
    module: str
    tests: list[str]
    seconds: float
    caught: int = 0
    survived: list[Mutant] = field(default_factory=list)
    equivalent: list[Mutant] = field(default_factory=list)
    untested: list[Mutant] = field(default_factory=list)
    other: list[Mutant] = field(default_factory=list)
    not_run: int = 0

    @property
    def counted(self) -> int:
        return self.caught + len(self.survived) + len(self.untested) + len(self.other)

    @property
    def score(self) -> float:
        return 100.0 * self.caught / self.counted if self.counted else 0.0


def function_of(mutant_name: str) -> str:
    match = _NAME.match(mutant_name)
    if not match:
        return mutant_name
    func = match["func"]
    return f"{match['cls']}.{func}" if match["cls"] else func


def changed_lines(diff: str) -> list[str]:
    """The removed and added lines of a mutant's diff, stripped of their indentation."""
    lines = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")) or not line.startswith(("-", "+")):
            continue
        lines.append(line[0] + " " + line[1:].strip())
    return lines


def load_equivalents() -> list[dict]:
    data = tomllib.loads(EQUIVALENT.read_text("utf-8")) if EQUIVALENT.exists() else {}
    return data.get("equivalent", [])


def reason_for(module: str, mutant: Mutant, equivalents: list[dict]) -> str:
    for entry in equivalents:
        if (entry["module"] == module and entry["function"] == mutant.function
                and [line.strip() for line in entry["change"].strip().splitlines()]
                == mutant.changed):
            return entry["reason"]
    return ""


def test_files(patterns: list[str]) -> list[str]:
    files: list[str] = []
    for pattern in patterns:
        files.extend(sorted(glob.glob(pattern, root_dir=ROOT)))
    return files


def copy_tree(work: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", "artifacts")
    for name in ("scoring", "mptf", "tests", "seed_data"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, work / name, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")


def mutmut_config(module: str, tests: list[str]) -> str:
    return "\n".join([
        "",
        "[tool.mutmut]",
        'source_paths = ["scoring", "mptf"]',
        f"only_mutate = [{json.dumps(module)}]",
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        "pytest_add_cli_args = "
        + json.dumps(["-p", "no:cacheprovider", "-p", "no:xdist", *PYTEST_ARGS.get(module, [])]),
        'also_copy = ["tests", "seed_data", "pyproject.toml"]',
        "",
    ])


def mutant_patterns(module: str, *, for_mutmut: bool = False) -> list[str]:
    """mutmut's names for the mutants of FUNCTIONS[module] (all of the module's when none).
    mutmut matches a pattern against mutants and against functions (to pick the tests), so
    it is given ``x_name*``, which matches both."""
    dotted = module.removesuffix(".py").replace("/", ".")
    tail = "*" if for_mutmut else "__mutmut_*"
    return [f"{dotted}.x_{name}{tail}" for name in FUNCTIONS.get(module, [])]


def collect(module: str, tests: list[str], work: Path, seconds: float,
            equivalents: list[dict]) -> ModuleResult:
    """The outcome of each mutant of ``module`` in mutmut's folder ``work``; a mutant the run
    did not reach (stopped early) is counted as not run."""
    env = {k: v for k, v in os.environ.items() if k != "MPTF_TEST_DATABASE_URL"}
    meta = json.loads((work / "mutants" / (module + ".meta")).read_text())
    result = ModuleResult(module, tests, seconds)
    patterns = mutant_patterns(module)
    for name, code in sorted(meta["exit_code_by_key"].items(),
                             key=lambda item: int(item[0].rsplit("_", 1)[1])):
        if patterns and not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        if code is None:
            result.not_run += 1
            continue
        if code in CAUGHT:
            result.caught += 1
            continue
        mutant = Mutant(name, function_of(name), "survived" if code in SURVIVED
                        else "no tests" if code in NO_TESTS else f"exit {code}")
        shown = subprocess.run([str(MUTMUT), "show", name], cwd=work, env=env,
                               capture_output=True, text=True)
        mutant.changed = changed_lines(shown.stdout)
        mutant.reason = reason_for(module, mutant, equivalents)
        if mutant.reason:
            result.equivalent.append(mutant)
        elif code in SURVIVED:
            result.survived.append(mutant)
        elif code in NO_TESTS:
            result.untested.append(mutant)
        else:
            result.other.append(mutant)
    return result


def run_module(module: str, jobs: int, keep: bool, equivalents: list[dict]) -> ModuleResult:
    tests = test_files(MODULES[module])
    if not tests:
        raise SystemExit(f"{module}: no test file matches {MODULES[module]}.")
    work = Path(tempfile.mkdtemp(prefix="mptf-mutation-"))
    started = time.monotonic()
    try:
        copy_tree(work)
        with (work / "pyproject.toml").open("a", encoding="utf-8") as config:
            config.write(mutmut_config(module, tests))
        env = {k: v for k, v in os.environ.items() if k != "MPTF_TEST_DATABASE_URL"}
        log = work / "mutmut.log"
        with log.open("w") as out:
            done = subprocess.run([str(MUTMUT), "run", "--max-children", str(jobs),
                                   *mutant_patterns(module, for_mutmut=True)],
                                  cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"{module}: mutmut run failed ({done.returncode}):\n{tail}")
        return collect(module, tests, work, time.monotonic() - started, equivalents)
    finally:
        if keep:
            print(f"  kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


# The document: a summary table, then one section per module; a run over some modules keeps
# the others' sections as they were.
_SECTION = re.compile(r"<!-- module (?P<data>\{.*?\}) -->\n(?P<body>.*?)<!-- end module -->\n",
                      re.S)


def section(result: ModuleResult) -> str:
    data = {"module": result.module, "caught": result.caught, "survived": len(result.survived),
            "equivalent": len(result.equivalent), "untested": len(result.untested),
            "other": len(result.other), "not_run": result.not_run,
            "seconds": round(result.seconds),
            "score": round(result.score, 1),
            "date": datetime.now(UTC).strftime("%Y-%m-%d")}
    lines = [f"<!-- module {json.dumps(data)} -->",
             f"### `{result.module}`", "",
             *([f"Only its rules: {', '.join(f'`{f}`' for f in FUNCTIONS[result.module])}.",
                ""] if result.module in FUNCTIONS else []),
             f"Tests: {', '.join(f'`{t}`' for t in result.tests)}"
             + (f" (pytest {' '.join(PYTEST_ARGS[result.module])!r}: the Hypothesis "
                "properties left out, see `PYTEST_ARGS`)" if result.module in PYTEST_ARGS
                else "") + ". "
             f"{result.caught} of {result.counted} caught ({result.score:.1f} %), "
             f"{len(result.equivalent)} equivalent, run {data['date']} in {data['seconds']} s.",
             ""]
    if result.not_run:
        lines.extend([f"**Partial**: the run was stopped with {result.not_run} mutants not run; "
                      "the score is of those run.", ""])

    def listing(title: str, mutants: list[Mutant], with_reason: bool) -> None:
        if not mutants:
            return
        lines.extend([f"{title}:", ""])
        for mutant in mutants:
            change = " / ".join(f"`{line}`" for line in mutant.changed) or "(no diff)"
            text = f"- `{mutant.function}` ({mutant.name.rsplit('_', 1)[1]}): {change}"
            if with_reason:
                text += f" — {mutant.reason}"
            elif mutant.status != "survived":
                text += f" ({mutant.status})"
            lines.append(text)
        lines.append("")

    listing("Survived", result.survived, False)
    listing("Not reached by its tests", result.untested, False)
    listing("Other outcomes", result.other, False)
    listing("Equivalent (left out of the score)", result.equivalent, True)
    lines.append("<!-- end module -->")
    return "\n".join(lines) + "\n"


def write(results: list[ModuleResult]) -> None:
    old = OUTPUT.read_text("utf-8") if OUTPUT.exists() else ""
    sections = {json.loads(m["data"])["module"]: m.group(0)
                for m in _SECTION.finditer(old)}
    for result in results:
        sections[result.module] = section(result)
    ordered = [sections[m] for m in MODULES if m in sections]
    rows = []
    for module in MODULES:
        if module not in sections:
            rows.append(f"| `{module}` | – | – | – | – | not run yet | – |")
            continue
        data = json.loads(_SECTION.match(sections[module])["data"])
        counted = data["caught"] + data["survived"] + data["untested"] + data["other"]
        mark = "" if data["score"] >= TARGET else " ✗"
        if data.get("not_run"):
            mark += f" (partial: {data['not_run']} not run)"
        rows.append(f"| `{data['module']}` | {counted + data['equivalent']} | {data['caught']} | "
                    f"{data['survived'] + data['untested'] + data['other']} | "
                    f"{data['equivalent']} | {data['score']:.1f} %{mark} | {data['date']} |")
    head = [
        "# Mutation testing",
        "",
        "`make mutation` (weekly, not in CI: it takes minutes per module) changes the code one "
        "small step at a time with [mutmut](https://pypi.org/project/mutmut/) 3 (an operator, "
        "a comparison boundary, a constant, a deleted statement, a changed argument) and runs "
        "the module's own tests against each change; a change no test notices *survived*. "
        "`make mutation MODULE=scoring/allocate.py` runs one module and keeps the others' rows. "
        "The list of modules and their tests is `MODULES` in `mutation/run.py`; a survivor "
        "that changes nothing the fund can observe goes in `mutation/equivalent.toml` with its "
        "reason, and is left out of the score. Target: at least "
        f"{TARGET:.0f} % caught for each module. Whoever changes one of these modules runs its "
        "row again and keeps this table current.",
        "",
        "| module | mutants | caught | survived | equivalent | caught of the rest | run |",
        "|---|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        "Caught counts a failing test, a timeout (a mutant that loops) and a mutant the type "
        "checker refuses. *Survived* includes a mutant none of the module's tests reaches.",
        "",
        "## Each module",
        "",
        "",
    ]
    OUTPUT.write_text("\n".join(head) + "\n".join(ordered), "utf-8")


def report(result: ModuleResult) -> None:
    print(f"  {result.caught}/{result.counted} caught ({result.score:.1f} %), "
          f"{len(result.survived)} survived, {len(result.equivalent)} equivalent, "
          f"{result.not_run} not run, {result.seconds:.0f} s", flush=True)
    for mutant in result.survived + result.untested + result.other:
        print(f"    {mutant.name}: {' / '.join(mutant.changed)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules to run (default: all of MODULES)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "2")))
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    parser.add_argument("--from", dest="source", type=Path,
                        help="only read the results of a kept copy (one module), e.g. after "
                             "re-running some of its mutants there with 'mutmut run NAME'")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"not a module of mutation/run.py's MODULES: {', '.join(unknown)} "
                     f"(known: {', '.join(MODULES)})")
    equivalents = load_equivalents()
    if args.source:
        if len(args.modules) != 1:
            parser.error("--from reads one module's copy: name that module")
        log = args.source / "mutmut.log"
        seconds = log.stat().st_mtime - (args.source / "pyproject.toml").stat().st_mtime
        result = collect(args.modules[0], test_files(MODULES[args.modules[0]]), args.source,
                         seconds, equivalents)
        report(result)
        write([result])
        return 0
    results = []
    for module in args.modules or list(MODULES):
        print(f"{module}: mutating against {', '.join(test_files(MODULES[module]))}", flush=True)
        result = run_module(module, args.jobs, args.keep, equivalents)
        report(result)
        results.append(result)
        write(results)
    below = [r.module for r in results if r.score < TARGET]
    if below:
        print(f"Below {TARGET:.0f} %: {', '.join(below)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
