"""The Store: the one interface through which everything reads and writes
orchestration data (ARCHITECTURE.md, "One Store interface").

Writes marked *buffered* return at once: the implementation queues them and a
background writer applies them in batches, in the order they were made. Reads
are direct. :meth:`Store.flush` blocks until every buffered write made before
it is durable; a flow run's terminal state is always written after a flush.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Unpack

from headwater._store.filters import RunFilter, RunFilterFields
from headwater._store.records import (
    ArtifactRecord,
    BlockDocumentRecord,
    ConcurrencyLimitRecord,
    FlowRecord,
    FlowRunRecord,
    LogRecord,
    RunKind,
    StateRecord,
    TaskRunRecord,
    TransitionResult,
    VariableRecord,
)


class Store(ABC):
    # -- lifecycle -------------------------------------------------------------
    @abstractmethod
    def flush(self, timeout: float | None = None) -> None:
        """Block until every buffered write made before this call is durable.

        Raises :class:`headwater.errors.StoreError` if the writer failed or did
        not finish within ``timeout`` seconds.
        """

    @abstractmethod
    def close(self) -> None:
        """Flush, stop the background writer and release connections. Idempotent."""

    # -- buffered writes -------------------------------------------------------
    @abstractmethod
    def create_flow_run(self, run: FlowRunRecord) -> None:
        """*Buffered.* Record a new flow run (and its flow, by name, if new)."""

    @abstractmethod
    def create_task_run(self, run: TaskRunRecord) -> None:
        """*Buffered.* Record a new task run."""

    @abstractmethod
    def set_state(
        self,
        run_kind: RunKind,
        run_id: str,
        state: StateRecord,
        *,
        start_time: float | None = None,
        end_time: float | None = None,
        run_count: int | None = None,
    ) -> None:
        """*Buffered.* Append ``state`` to the run's history and make it current.

        ``start_time``/``end_time``/``run_count`` update the run row when given.
        For task runs, the state's ``cache_key``/``result_key`` are copied onto
        the run row when set.
        """

    @abstractmethod
    def write_logs(self, logs: Sequence[LogRecord]) -> None:
        """*Buffered.* Record log lines."""

    @abstractmethod
    def heartbeat(self, flow_run_ids: Sequence[str]) -> None:
        """*Buffered.* Mark these running flow runs as alive now."""

    # -- direct reads ----------------------------------------------------------
    @abstractmethod
    def read_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        """The flow run, or :class:`headwater.errors.ObjectNotFound`.

        Accepts a unique prefix of the id (at least 6 characters) as the CLI does.
        A Running run whose process is gone is marked Crashed first.
        """

    # Run listings take one RunFilter (or its fields as keywords); an implementation
    # provides the four _select/_count hooks, which get it complete and checked.
    def read_flow_runs(
        self, where: RunFilter | None = None, /, **fields: Unpack[RunFilterFields]
    ) -> list[FlowRunRecord]:
        """The flow runs ``where`` (with ``fields`` replaced) selects: see :class:`RunFilter`.

        Newest first unless ``sort`` says otherwise; all of them unless ``limit``.
        Running runs whose process is gone are marked Crashed first. A bad
        filter value raises :class:`~headwater._store.filters.InvalidFilter` naming it.
        """
        return self._select_flow_runs(RunFilter.of(where, **fields).for_kind("flow"))

    def count_flow_runs(
        self, where: RunFilter | None = None, /, **fields: Unpack[RunFilterFields]
    ) -> int:
        """How many flow runs :meth:`read_flow_runs` would return with this filter and no page."""
        return self._count_flow_runs(RunFilter.of(where, **fields).for_kind("flow"))

    def read_task_runs(
        self, where: RunFilter | None = None, /, **fields: Unpack[RunFilterFields]
    ) -> list[TaskRunRecord]:
        """The task runs ``where`` (with ``fields`` replaced) selects: see :class:`RunFilter`.

        In creation order unless ``sort`` says otherwise; all of them unless ``limit``.
        """
        return self._select_task_runs(RunFilter.of(where, **fields).for_kind("task"))

    def count_task_runs(
        self, where: RunFilter | None = None, /, **fields: Unpack[RunFilterFields]
    ) -> int:
        """How many task runs :meth:`read_task_runs` would return with this filter and no page."""
        return self._count_task_runs(RunFilter.of(where, **fields).for_kind("task"))

    @abstractmethod
    def _select_flow_runs(self, where: RunFilter) -> list[FlowRunRecord]:
        """:meth:`read_flow_runs` (``where.sort`` is set, the fields are flow-run fields)."""

    @abstractmethod
    def _count_flow_runs(self, where: RunFilter) -> int:
        """:meth:`count_flow_runs` (ignores the page and the order)."""

    @abstractmethod
    def _select_task_runs(self, where: RunFilter) -> list[TaskRunRecord]:
        """:meth:`read_task_runs` (``where.sort`` is set, the fields are task-run fields)."""

    @abstractmethod
    def _count_task_runs(self, where: RunFilter) -> int:
        """:meth:`count_task_runs` (ignores the page and the order)."""

    @abstractmethod
    def read_task_run(self, task_run_id: str) -> TaskRunRecord: ...

    @abstractmethod
    def read_states(self, run_id: str) -> list[StateRecord]:
        """The full state history of a flow or task run, oldest first."""

    @abstractmethod
    def read_logs(
        self,
        *,
        flow_run_id: str | None = None,
        task_run_id: str | None = None,
        min_level: int = 0,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[LogRecord]:
        """Log lines oldest first. ``flow_run_id`` includes the logs of its task runs."""

    @abstractmethod
    def delete_flow_run(self, flow_run_id: str) -> None:
        """Delete a flow run with its task runs, states and logs (one transaction)."""

    @abstractmethod
    def mark_crashed_runs(self) -> list[str]:
        """Mark Crashed every Running flow run (and its Running task runs) whose
        process is gone: same host and the pid is dead, or no heartbeat for
        ``crash_after_seconds``. Returns the flow run ids marked."""

    # -- cancellation (direct; it decides behaviour) ----------------------------
    @abstractmethod
    def cancel_flow_run(self, flow_run_id: str) -> str:
        """Cancel a flow run (full id or unique prefix); the state type it is in afterwards.

        Atomic and conditional: a Scheduled, Pending or Paused run becomes
        ``CANCELLED`` at once; a Running run becomes ``CANCELLING`` and the
        process running it interrupts it and records ``CANCELLED`` (asking again
        while it is Cancelling changes nothing); when that process is gone (see
        :meth:`mark_crashed_runs`) the run and its unfinished task runs become
        ``CANCELLED`` directly. A final run raises
        :class:`headwater.errors.InvalidStateTransition`; an unknown id
        :class:`headwater.errors.ObjectNotFound`.
        """

    @abstractmethod
    def read_flow_run_state_type(self, flow_run_id: str) -> str:
        """The current state type of a flow run (full id): one indexed read, no side effects.

        What the engine polls to notice a cancellation; unlike :meth:`read_flow_run`
        it neither waits for this process's buffered writes nor marks crashes.
        Raises :class:`headwater.errors.ObjectNotFound` when the run is not stored (yet).
        """

    # -- orchestration rules (direct; they decide behaviour) ----------------------
    # Concrete with a NotImplementedError default, like the block documents below.
    def propose_flow_run_state(
        self,
        flow_run_id: str,
        state: StateRecord,
        *,
        transition_id: str | None = None,
        force: bool = False,
    ) -> TransitionResult:
        """Propose ``state`` for the flow run ``flow_run_id`` (full id); ACCEPT or REJECT.

        *Direct* and atomic: the rules of :mod:`headwater._store.orchestration` are
        checked and an accepted state written in one transaction, after this
        process's earlier buffered writes. A ``transition_id`` already accepted for
        the run returns the first outcome with ``duplicate=True`` and writes nothing.
        A final run only accepts a SCHEDULED state (a retry); RUNNING is accepted
        only from SCHEDULED, PENDING or PAUSED, so of several clients racing to
        start a run exactly one is accepted. ``force`` skips the rules (not the
        replay check). An unknown run raises :class:`headwater.errors.ObjectNotFound`;
        an unknown state type :class:`headwater.errors.ConfigurationError`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not propose flow run states")

    # -- flows (direct reads) ------------------------------------------------------
    def read_flows(self) -> list[FlowRecord]:
        """Every flow that has recorded a run, by name."""
        raise NotImplementedError(f"{type(self).__name__} does not read flows")

    def read_flow(self, name: str) -> FlowRecord:
        """The flow called ``name``, or :class:`headwater.errors.ObjectNotFound` naming it."""
        raise NotImplementedError(f"{type(self).__name__} does not read flows")

    # -- concurrency limits (direct; they decide behaviour) --------------------
    @abstractmethod
    def create_concurrency_limit(self, tag: str, limit: int) -> ConcurrencyLimitRecord:
        """Create or update the limit for ``tag`` (``limit >= 0``)."""

    @abstractmethod
    def read_concurrency_limits(self) -> list[ConcurrencyLimitRecord]: ...

    @abstractmethod
    def read_concurrency_limit(self, tag: str) -> ConcurrencyLimitRecord: ...

    @abstractmethod
    def delete_concurrency_limit(self, tag: str) -> None: ...

    @abstractmethod
    def try_acquire_concurrency_slots(self, tags: Sequence[str], holder_id: str) -> bool:
        """Atomically take one slot on every limited tag in ``tags`` for
        ``holder_id``, or none at all. Tags without a limit are ignored. Slots
        held by dead processes on this host are reclaimed first."""

    @abstractmethod
    def release_concurrency_slots(self, holder_id: str) -> None: ...

    # -- block documents (direct, atomic) ----------------------------------------
    # Concrete with a NotImplementedError default, so stores written before
    # blocks existed (test doubles, the HTTP client) keep working until they
    # implement them.
    def save_block_document(
        self, record: BlockDocumentRecord, *, overwrite: bool = False
    ) -> BlockDocumentRecord:
        """Create the document ``(record.block_type_slug, record.name)``, or replace
        its data and schema version when ``overwrite`` (keeping its id and created time).

        Raises :class:`headwater.errors.ObjectAlreadyExists` when the name is taken
        and not ``overwrite``; nothing is written then. Returns the stored record.
        """
        raise NotImplementedError(f"{type(self).__name__} does not store block documents")

    def read_block_document(self, block_type_slug: str, name: str) -> BlockDocumentRecord:
        """The document, or :class:`headwater.errors.ObjectNotFound` naming ``slug/name``."""
        raise NotImplementedError(f"{type(self).__name__} does not store block documents")

    def read_block_document_by_id(self, document_id: str) -> BlockDocumentRecord:
        """The document with this id, or :class:`headwater.errors.ObjectNotFound`."""
        raise NotImplementedError(f"{type(self).__name__} does not store block documents")

    def read_block_documents(self, block_type_slug: str | None = None) -> list[BlockDocumentRecord]:
        """Every document (of one type when ``block_type_slug`` is given), by type then name."""
        raise NotImplementedError(f"{type(self).__name__} does not store block documents")

    def delete_block_document(self, block_type_slug: str, name: str) -> None:
        """Delete the document, or :class:`headwater.errors.ObjectNotFound` naming ``slug/name``."""
        raise NotImplementedError(f"{type(self).__name__} does not store block documents")

    # -- variables (direct, atomic) ----------------------------------------------
    def save_variable(self, record: VariableRecord, *, overwrite: bool = False) -> VariableRecord:
        """Create the variable ``record.name``, or replace its value and tags when
        ``overwrite`` (keeping its created time).

        Raises :class:`headwater.errors.ObjectAlreadyExists` naming the variable when
        it exists and not ``overwrite``; nothing is written then.
        """
        raise NotImplementedError(f"{type(self).__name__} does not store variables")

    def read_variable(self, name: str) -> VariableRecord:
        """The variable, or :class:`headwater.errors.ObjectNotFound` naming it."""
        raise NotImplementedError(f"{type(self).__name__} does not store variables")

    def read_variables(self) -> list[VariableRecord]:
        """Every variable, by name."""
        raise NotImplementedError(f"{type(self).__name__} does not store variables")

    def delete_variable(self, name: str) -> None:
        """Delete the variable, or :class:`headwater.errors.ObjectNotFound` naming it."""
        raise NotImplementedError(f"{type(self).__name__} does not store variables")

    # -- artifacts (direct, atomic) ----------------------------------------------
    def create_artifact(self, record: ArtifactRecord) -> ArtifactRecord:
        """Insert the artifact. ``record.version`` is ignored: a keyed artifact gets
        one more than the key's latest version (in the same transaction), an
        unkeyed one version 1. Returns the stored record."""
        raise NotImplementedError(f"{type(self).__name__} does not store artifacts")

    def read_artifact(self, artifact_id: str) -> ArtifactRecord:
        """The artifact with this id, or :class:`headwater.errors.ObjectNotFound`."""
        raise NotImplementedError(f"{type(self).__name__} does not store artifacts")

    def read_latest_artifact(self, key: str) -> ArtifactRecord:
        """The highest version of ``key``, or :class:`headwater.errors.ObjectNotFound`."""
        raise NotImplementedError(f"{type(self).__name__} does not store artifacts")

    def read_artifacts(
        self, *, key: str | None = None, flow_run_id: str | None = None, limit: int | None = None
    ) -> list[ArtifactRecord]:
        """Artifacts matching every filter given, newest first."""
        raise NotImplementedError(f"{type(self).__name__} does not store artifacts")
