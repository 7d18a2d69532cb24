"""The password policy of NIST SP 800-63B (§5.1.1.2 of revision 3, §3.1.1.2 of revision 4):
at least ``MIN_LENGTH`` characters, and none of the values an attacker tries first: a common
password, a run of one or a few characters or of consecutive ones, words naming this service,
or the user's own e-mail address or name. Nothing else is asked (no forced mix of character
classes).

The common passwords are ``common-passwords.txt`` beside this file: the 19,640 passwords
(lowercased, most frequent first) that Django 5.2 ships, the list by Royce Williams, under
Django's BSD licence (``SOURCES.md`` beside this file).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 200
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt")

# Words that name this service or the act of signing in: a password made of nothing else
# (with digits and punctuation) is among the first guesses against this site.
SERVICE_WORDS = frozenset({
    "mptf", "migration", "migrations", "fund", "trust", "multipartner", "gcm", "un",
    "demo", "test", "admin", "administrator", "user", "login", "signin", "welcome", "secret",
    "password", "passwort", "passw", "pass", "pwd", "letmein", "default", "changeme",
})
# The usual substitutions of letters by digits and signs, undone before comparing.
UNLEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                        "@": "a", "$": "s", "!": "i"})
NOT_LETTERS = re.compile(r"[^a-z]+")
AROUND_LETTERS = re.compile(r"^[^a-z]+|[^a-z]+$")  # "2024" in "p@ssw0rd2024" is no letter
MIN_PERSONAL = 4  # shorter parts of a name or address (initials, "un") are not refused

COMMON = ("This password is one of the most common passwords, which attackers try first; "
          "choose another, for example three or four unrelated words.")
REPETITIVE = ("This password repeats one or a few characters, which attackers try first; "
              "choose another, for example three or four unrelated words.")
SEQUENTIAL = ("This password is a run of consecutive characters (such as 0123456789 or "
              "abcdefghij), which attackers try first; choose another.")
SERVICE = ("This password is made only of words naming this service or signing in (such as "
           "'demo' or 'password'), which attackers try first; choose another.")
PERSONAL = ("This password contains your e-mail address or your name, which attackers try "
            "first; choose one that does not.")


@cache
def common_passwords() -> frozenset[str]:
    with COMMON_PASSWORDS.open(encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines if line.strip())


def _letters(text: str) -> str:
    return NOT_LETTERS.sub("", text.lower())


def _made_of(text: str, words: frozenset[str]) -> bool:
    """Whether ``text`` (letters only) is a sequence of ``words``, each as often as wanted."""
    if not text:
        return False
    ends = [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        ends[end] = any(ends[start] and text[start:end] in words
                        for start in range(max(0, end - 20), end))
    return ends[-1]


def _sequential(text: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


def _personal_parts(email: str, name: str) -> set[str]:
    email = (email or "").strip().lower()
    local = email.split("@")[0]
    parts = {email, local, _letters(local), _letters(name or "")}
    for value in (local, name or ""):
        parts.update(_letters(word) for word in re.split(r"[\W_\d]+", value))
    return {p for p in parts if len(p) >= MIN_PERSONAL}


def problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` may not be used by the user with ``email`` and ``name``: a sentence,
    or None when it may."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return f"The password must have at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"The password may have at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if len(set(lowered)) < 4:
        return REPETITIVE
    if _sequential(lowered):
        return SEQUENTIAL
    letters = _letters(lowered)
    variants = {letters, _letters(lowered.translate(UNLEET)),
                _letters(AROUND_LETTERS.sub("", lowered).translate(UNLEET))}
    common = common_passwords()
    if lowered in common or any(len(v) >= MIN_PERSONAL and v in common for v in variants):
        return COMMON
    if any(_made_of(v, SERVICE_WORDS) for v in variants):
        return SERVICE
    if any(part in lowered or part in letters for part in _personal_parts(email, name)):
        return PERSONAL
    return None
