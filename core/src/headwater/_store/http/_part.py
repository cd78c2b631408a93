"""What every area mixin of the HTTP store relies on (declared for type checking)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from headwater._store.http.transport import HttpTransport

__all__ = ["HttpPart"]


class HttpPart:
    """Base of the HTTP store's mixins: the transport, and waiting for buffered writes."""

    _http: HttpTransport

    def _sync(self) -> None:
        """Wait until this process's buffered writes reached the server (reads see them)."""
        raise NotImplementedError

    def _check_open(self) -> None:
        """Raise :class:`headwater.errors.StoreError` when the store was closed or forked."""
        raise NotImplementedError
