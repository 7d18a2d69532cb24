"""How a command refuses: one sentence on stderr and exit status 2, nothing of its unfinished
work committed. Its own module, so that every domain's commands can use it without importing
the ``mptf`` command group (which imports them)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from mptf.services.errors import ServiceError

EXIT_REFUSED = 2


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_REFUSED)


def refusals_exit_2(command: Callable) -> Callable:
    """Turn a ServiceError or ValueError into one sentence and exit status 2; nothing of the
    command's unfinished work is committed."""

    @wraps(command)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from mptf.extensions import db

        try:
            return command(*args, **kwargs)
        except ServiceError as exc:
            db.session.rollback()
            fail(exc.message)
        except (ValueError, FileNotFoundError) as exc:
            db.session.rollback()
            fail(str(exc))

    return wrapped
