"""What a confirmation page says before an action that cannot be undone (closing a round,
issuing a decision, withdrawing a note, declaring a conflict): the page is served on GET and
on a POST without ``confirm``; a POST with ``confirm`` does it. No script is needed. Which
step a request is, and the refusal of the act, are the views' (``mptf.views.confirmation`` and
``refusals``): this module says what the page says, without Flask."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Consequences:
    """``final``: what the action does for good; ``missing``: what is not there yet and will
    stay out (said so that nobody acts without knowing); ``refusal``: why the action would be
    refused now, when it would (the page then offers no confirmation)."""

    final: list[str]
    missing: list[str] = field(default_factory=list)
    refusal: str | None = None


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 review', '9 reviews'."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
