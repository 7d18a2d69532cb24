"""Sections of docs/benchmarks.md written by different commands: ``make bench`` writes the
table of the ``bench_*`` modules, ``make load`` the "## Load test" section. Each rewrites its
own part and keeps the other's."""

from __future__ import annotations

from pathlib import Path

LOAD_HEADING = "## Load test"
PLACEHOLDER = ("# Benchmarks\n\n`make bench` writes the table of the benchmark modules here; "
               "`make load` writes the load test below.\n")


def _bounds(text: str, heading: str) -> tuple[int, int] | None:
    """Start and end offsets of the section that opens with the line ``heading`` and runs to
    the next heading of the same or a higher level (or the end of the text)."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines(keepends=True)
    offset, start = 0, None
    for line in lines:
        stripped = line.rstrip("\n")
        if start is None:
            if stripped.strip() == heading:
                start = offset
        elif stripped.startswith("#"):
            hashes = len(stripped) - len(stripped.lstrip("#"))
            if hashes <= level and stripped[hashes:hashes + 1] == " ":
                return start, offset
        offset += len(line)
    return (start, len(text)) if start is not None else None


def extract_section(text: str, heading: str = LOAD_HEADING) -> str | None:
    bounds = _bounds(text, heading)
    return None if bounds is None else text[bounds[0]:bounds[1]]


def replace_section(text: str, section: str, heading: str = LOAD_HEADING) -> str:
    """``text`` with its ``heading`` section replaced by ``section`` (appended if absent)."""
    section = section.rstrip("\n") + "\n"
    bounds = _bounds(text, heading)
    if bounds is None:
        return text.rstrip("\n") + "\n\n" + section
    start, end = bounds
    rest = text[end:]
    return text[:start] + section + ("\n" + rest if rest else "")


def write_section(path: Path, section: str, heading: str = LOAD_HEADING) -> None:
    """Rewrite the ``heading`` section of the file at ``path`` in place, keeping the rest."""
    text = path.read_text(encoding="utf-8") if path.exists() else PLACEHOLDER
    path.write_text(replace_section(text, section, heading), encoding="utf-8")


def keep_section(new_text: str, path: Path, heading: str = LOAD_HEADING) -> str:
    """``new_text`` (about to replace the file at ``path``) with the file's current
    ``heading`` section carried over: what ``bench/run.py`` calls so that ``make bench`` does
    not drop the load test's results."""
    if not path.exists():
        return new_text
    kept = extract_section(path.read_text(encoding="utf-8"), heading)
    return new_text if kept is None else replace_section(new_text, kept, heading)
