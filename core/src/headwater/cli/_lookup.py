"""Finding one object by what the user typed, with the CLI's not-found message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from headwater._store import get_store
from headwater.cli._errors import CliError
from headwater.errors import ObjectNotFound

if TYPE_CHECKING:
    from headwater._store import ConcurrencyLimitRecord, FlowRunRecord, Store

MIN_PREFIX = 6


def open_store() -> Store:
    """The process-wide store (imported here so CLI startup stays light)."""
    return get_store()


def not_found(kind: str, key: str, exc: ObjectNotFound) -> CliError:
    detail = str(exc)
    # The store explains ambiguous prefixes itself; keep its words for that case.
    if "ambiguous" in detail.lower() or "more than one" in detail.lower():
        return CliError(detail)
    message = f"{kind} {key!r} not found"
    if kind.endswith("run") and len(key) < MIN_PREFIX:
        message += f" (give the full id or a prefix of at least {MIN_PREFIX} characters)"
    return CliError(message)


def find_flow_run(store: Store, flow_run_id: str) -> FlowRunRecord:
    """The flow run with this id or unique prefix (>= 6 characters)."""
    try:
        return store.read_flow_run(flow_run_id)
    except ObjectNotFound as exc:
        raise not_found("flow run", flow_run_id, exc) from None


def find_concurrency_limit(store: Store, tag: str) -> ConcurrencyLimitRecord:
    try:
        return store.read_concurrency_limit(tag)
    except ObjectNotFound as exc:
        raise not_found("concurrency limit", tag, exc) from None
