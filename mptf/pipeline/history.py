"""A concept note's history as sentences (the note page): what happened, in the fund's words,
and what it came with. The page adds who did it: "Screened into the pipeline by Network
Secretariat: in the pipeline until 3 March 2028"."""

from __future__ import annotations

from datetime import date
from typing import Any

from mptf.formatting import day, usd

SENTENCES = {
    "note_created": "Drafted",
    "note_edited": "Draft edited",
    "note_imported": "Imported and submitted",
    "note_submitted": "Submitted to the Network Secretariat",
    "note_returned": "Returned for revision",
    "note_pipeline": "Screened into the pipeline",
    "note_selected": "Selected for funding",
    "note_funded": "Funded",
    "note_withdrawn": "Withdrawn",
    "note_expired": "Expired at the end of its time in the pipeline",
    "attachment_added": "Attachment added",
    "attachment_removed": "Attachment removed",
}


def sentence(action: str) -> str:
    """'note_pipeline' -> 'Screened into the pipeline'; an action without a sentence in words."""
    return SENTENCES.get(action) or action.removeprefix("note_").replace("_", " ").capitalize()


def _day(value: Any) -> str:
    try:
        return day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def detail(action: str, after: dict[str, Any] | None,
           before: dict[str, Any] | None = None) -> str:
    """What the event came with, in words ('' when nothing): reasons, a version, a day, an
    amount, a file."""
    after = after or {}
    if action in ("note_returned", "note_withdrawn"):
        return str(after.get("reasons") or after.get("reason") or "")
    if action == "note_submitted" and after.get("version"):
        return f"version {after['version']}"
    if action == "note_pipeline" and after.get("expires_on"):
        return f"in the pipeline until {_day(after['expires_on'])}"
    if action == "note_selected" and after.get("amount") is not None:
        return usd(int(after["amount"]))
    if action.startswith("attachment_"):
        return str(after.get("filename") or (before or {}).get("filename") or "")
    return ""
