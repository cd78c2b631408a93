"""Translating a vendor's exceptions into Headwater's, at the boundary of an integration.

An integration wraps each call to its vendor's SDK in :func:`translating` with a
*mapper*: a function that gets the exception, the action and the resource and
returns the Headwater error to raise instead (a
:class:`~headwater.errors.ServiceError` subclass, usually), or ``None`` to let
the exception through unchanged::

    def to_headwater(exc: BaseException, action: str, resource: str) -> HeadwaterError | None:
        if isinstance(exc, vendor.NotFound):
            return ResourceNotFoundError(f"{action} {resource}: {exc}", resource=resource)
        return None

    with translating(to_headwater, action="download", resource="gs://bucket/key"):
        client.download(...)

Headwater's own errors pass through untouched, and the vendor's exception is
chained (``raise new from exc``) so tracebacks keep it. The success path costs
one ``try``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from headwater.errors import HeadwaterError

__all__ = ["ExceptionMapper", "translating"]

ExceptionMapper = Callable[[BaseException, str, str], BaseException | None]
"""``mapper(exc, action, resource)``: the error to raise instead of ``exc``, or ``None``."""


@contextmanager
def translating(mapper: ExceptionMapper, *, action: str, resource: str) -> Iterator[None]:
    """Raise ``mapper(exc, action, resource)`` (chained to ``exc``) for an exception of the block.

    ``action`` is a verb phrase (``"download"``, ``"read secret"``), ``resource``
    what it was about. A :class:`~headwater.errors.HeadwaterError` passes through
    as it is, as does any exception the mapper returns ``None`` for.
    ``BaseException``s that are not ``Exception``s (``KeyboardInterrupt``,
    cancellation) are never translated.
    """
    try:
        yield
    except HeadwaterError:
        raise
    except Exception as exc:
        translated = mapper(exc, action, resource)
        if translated is None or translated is exc:
            raise
        raise translated from exc
