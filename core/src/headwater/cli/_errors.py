"""How the CLI reports failures: one line on stderr, exit code 1, no traceback.

Commands raise :class:`CliError` (or let a :class:`~headwater.errors.HeadwaterError`
escape); :func:`handle_errors` turns either into that one line. Anything else is
a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from headwater.errors import HeadwaterError

P = ParamSpec("P")
R = TypeVar("R")


class CliError(Exception):
    """A failure the user can act on; its message is printed as is."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fail(message: str, *, exit_code: int = 1) -> typer.Exit:
    """Print ``Error: message`` on stderr and return the ``typer.Exit`` to raise."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(exit_code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so expected failures print one line and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CliError as exc:
            raise fail(str(exc), exit_code=exc.exit_code) from None
        except HeadwaterError as exc:
            raise fail(str(exc) or type(exc).__name__) from None

    return wrapper
