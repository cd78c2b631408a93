"""Block documents over HTTP: the block methods of :class:`headwater._store.http.HttpStore`."""

from __future__ import annotations

__all__ = ["HttpBlocksMixin"]


class HttpBlocksMixin:
    """Stub until the block endpoints exist; the HttpStore inherits the Store's defaults."""
