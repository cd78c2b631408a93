"""One keep-alive HTTP connection pool to the server, and how its answers become our errors.

:class:`HttpTransport` is what every part of the HTTP store (runs, limits,
variables, artifacts, blocks, the batching writer) calls. It sends the API key
as ``Authorization: Bearer``, decodes JSON, and translates failures at the
boundary (ARCHITECTURE.md, "vendor errors are translated"):

    404 -> ObjectNotFound            409 -> ObjectAlreadyExists (or the error the server names)
    401 -> AuthorizationError (no or wrong key: set HEADWATER_API_KEY)
    403 -> AuthorizationError (the key's role may not do this: it needs the admin role)
    422 -> InvalidRequest (or the ValueError the server names, e.g. ConfigurationError)
    connection errors, timeouts, 5xx -> StoreError naming the URL (never the key)

The server names the exact :mod:`headwater.errors` class in the
``X-Headwater-Error`` header when it has one, so a caller over HTTP catches what it
would catch on the embedded store. Idempotent requests (``retry=True``: every
GET, and the writer's batches, which the server applies once per batch id) are
retried with backoff on connection errors and 5xx for ``retry_seconds``.
httpx is imported only here, when an API URL is configured.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any

from headwater.errors import (
    AuthorizationError,
    ConfigurationError,
    HeadwaterError,
    InvalidRequest,
    InvalidStateTransition,
    ObjectAlreadyExists,
    ObjectNotFound,
    ParameterValidationError,
    StoreError,
)

if TYPE_CHECKING:
    import httpx

    from headwater.settings import SecretSetting

__all__ = ["ERROR_HEADER", "HttpTransport"]

ERROR_HEADER = "X-Headwater-Error"
"""Response header naming the :mod:`headwater.errors` class a failed request maps to."""

_NAMED_ERRORS: dict[str, type[HeadwaterError]] = {
    cls.__name__: cls
    for cls in (
        ConfigurationError,
        InvalidRequest,
        InvalidStateTransition,
        ObjectAlreadyExists,
        ObjectNotFound,
        ParameterValidationError,
    )
}
_DEFAULT_BY_STATUS: dict[int, type[HeadwaterError]] = {
    404: ObjectNotFound,
    409: ObjectAlreadyExists,
    422: InvalidRequest,
}
_RETRY_STATUSES = frozenset({500, 502, 503, 504})


class HttpTransport:
    """A thread-safe client for the server at ``base_url`` (``HEADWATER_API_URL``).

    ``base_url`` is the server's address with or without the ``/api`` suffix.
    """

    def __init__(
        self,
        base_url: str,
        api_key: SecretSetting | None = None,
        *,
        timeout: float = 30.0,
        retry_seconds: float = 30.0,
    ) -> None:
        import httpx

        root = base_url.rstrip("/")
        if root.endswith("/api"):
            root = root[: -len("/api")]
        if not root.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"HEADWATER_API_URL must start with http:// or https://, got {base_url!r}"
            )
        self.base_url = root
        """The server's address (without ``/api``): what error messages name."""
        self.retry_seconds = retry_seconds
        self._has_key = api_key is not None
        headers = {"Accept": "application/json"}
        if api_key is not None:
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        self._client = httpx.Client(
            base_url=f"{root}/api",
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=10.0),
            limits=httpx.Limits(max_keepalive_connections=8, keepalive_expiry=30.0),
            follow_redirects=False,
        )
        self._closed = False

    def __repr__(self) -> str:
        return f"HttpTransport({self.base_url!r})"

    def close(self) -> None:
        """Close the connection pool. Idempotent."""
        if not self._closed:
            self._closed = True
            self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        retry: bool | None = None,
    ) -> Any:
        """Send one request to ``/api{path}``; the decoded JSON body (None for 204).

        ``retry`` defaults to True for GET. Raises the errors listed in the module
        docstring.
        """
        if self._closed:
            raise StoreError(f"the HTTP store for {self.base_url} is closed")
        if retry is None:
            retry = method == "GET"
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.05
        while True:
            try:
                response = self._send(method, path, params, json)
            except StoreError:
                if not retry or time.monotonic() + delay > deadline:
                    raise
            else:
                if response.status_code not in _RETRY_STATUSES or not retry:
                    return self._decode(method, path, response)
                if time.monotonic() + delay > deadline:
                    return self._decode(method, path, response)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 2.0)

    def _send(self, method: str, path: str, params: Any, json: Any) -> httpx.Response:
        import httpx

        try:
            return self._client.request(method, path, params=params, json=json)
        except httpx.TimeoutException as exc:
            raise StoreError(
                f"the Headwater server at {self.base_url} did not answer {method} /api{path} "
                f"in time ({type(exc).__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            raise StoreError(
                f"cannot reach the Headwater server at {self.base_url} "
                f"({type(exc).__name__}: {exc}); is it running? (HEADWATER_API_URL)"
            ) from exc

    def _decode(self, method: str, path: str, response: httpx.Response) -> Any:
        status = response.status_code
        if status < 300:
            if status == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError as exc:
                raise StoreError(
                    f"the Headwater server at {self.base_url} sent a body that is not JSON "
                    f"for {method} /api{path}"
                ) from exc
        detail = _detail(response)
        where = f"{method} /api{path}"
        if status == 401:
            hint = (
                "the API key in HEADWATER_API_KEY was refused"
                if self._has_key
                else "it needs an API key: set HEADWATER_API_KEY"
            )
            raise AuthorizationError(
                f"the Headwater server at {self.base_url} refused {where}: no or wrong API key "
                f"({hint}); server said: {detail}"
            )
        if status == 403:
            raise AuthorizationError(
                f"the Headwater server at {self.base_url} refused {where}: this needs the admin "
                f"role, and the token in HEADWATER_API_KEY is not an admin token; "
                f"server said: {detail}"
            )
        named = _NAMED_ERRORS.get(response.headers.get(ERROR_HEADER, ""))
        if named is not None and status in (404, 409, 422):
            raise named(detail)
        default = _DEFAULT_BY_STATUS.get(status)
        if default is not None:
            raise default(detail)
        raise StoreError(
            f"the Headwater server at {self.base_url} failed {where} with HTTP {status}: {detail}"
        )


def _detail(response: httpx.Response) -> str:
    """The server's ``detail``, or a short excerpt of a body that has none."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    text = response.text.strip()
    return text[:200] if text else response.reason_phrase or f"HTTP {response.status_code}"
