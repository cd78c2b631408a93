"""``headwater block apply``: create or update many blocks from YAML, all or nothing.

The file is a YAML list of ``{type, name, data}`` mappings (several YAML
documents, or a single mapping per document, are accepted too). Applying
happens in two phases:

1. *Plan*: every entry is checked (shape, known type, valid name, data valid
   for the block class, secrets only as references) and compared with what is
   stored. Every problem in the file is reported and nothing is saved if
   there is one.
2. *Save*: changed entries are saved, nested ones before the blocks that use
   them. If a save fails, the ones already saved are put back as they were.

A nested block may be given inline or as ``{"$block": "slug/name"}``, naming a
saved block or another entry of the same file. Running the same file twice
changes nothing the second time (every entry reports ``unchanged``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from headwater._block_fields import FieldSpec, field_specs
from headwater._block_views import (
    BLOCK_REF_KEY,
    SECRET_PLACEHOLDER,
    comparable_data,
    secret_literals,
)
from headwater.cli._block_types import block_class, try_find_block
from headwater.cli._block_values import describe_validation_error
from headwater.cli._errors import CliError
from headwater.cli._safe_yaml import YamlFileError, load_documents
from headwater.errors import HeadwaterError

if TYPE_CHECKING:
    # Deferred: import time; the CLI starts without headwater.blocks (pydantic).
    from headwater.blocks import Block

__all__ = [
    "Action",
    "PlannedBlock",
    "apply_plan",
    "block_refs",
    "plan_apply",
    "read_entries",
    "substitute_refs",
]

Action = Literal["created", "updated", "unchanged"]
ENTRY_KEYS = frozenset({"type", "name", "data"})


@dataclass
class RawEntry:
    """One ``{type, name, data}`` mapping as read from the file (1-based position)."""

    position: int
    slug: str
    name: str
    data: dict[str, Any]

    @property
    def address(self) -> str:
        return f"{self.slug}/{self.name}"

    @property
    def label(self) -> str:
        return f"entry {self.position} ({self.address})"


@dataclass
class PlannedBlock:
    """A validated entry and what applying it will do."""

    entry: RawEntry
    block: Block
    action: Action
    previous: Block | None
    depends_on: list[str] = field(default_factory=list)


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


# --- reading the file -------------------------------------------------------------------


def _load_yaml(text: str, *, source: str) -> list[Any]:
    try:
        return load_documents(text, source=source)
    except YamlFileError as exc:
        raise CliError(f"{exc}; nothing applied") from None


def read_entries(text: str, *, source: str) -> list[RawEntry]:
    """The entries of a blocks file, checked for shape (not yet for their data)."""
    items: list[Any] = []
    for document in _load_yaml(text, source=source):
        items.extend(document if isinstance(document, list) else [document])
    problems = _Problems()
    entries: list[RawEntry] = []
    for position, item in enumerate(items, start=1):
        where = f"entry {position}"
        if not isinstance(item, dict):
            problems.add(where, "expected a mapping with keys type, name and data")
            continue
        unknown = sorted(str(k) for k in item if k not in ENTRY_KEYS)
        if unknown:
            problems.add(where, f"unknown key(s) {', '.join(unknown)} (expected type, name, data)")
        slug, name, data = item.get("type"), item.get("name"), item.get("data", {})
        if not isinstance(slug, str) or not slug.strip():
            problems.add(where, "'type' must be a block type slug such as 'secret'")
        if not isinstance(name, str) or not name.strip():
            problems.add(where, "'name' must be a non-empty string")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            problems.add(where, "'data' must be a mapping of field names to values")
        if isinstance(slug, str) and isinstance(name, str) and isinstance(data, dict):
            entries.append(RawEntry(position, slug.strip(), name.strip(), data))
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.address in seen:
            problems.add(entry.label, f"also given as entry {seen[entry.address]}")
        seen.setdefault(entry.address, entry.position)
    _raise_if_any(problems, source=source)
    if not entries:
        raise CliError(f"{source}: no blocks in the file; nothing applied")
    return entries


def _raise_if_any(problems: _Problems, *, source: str) -> None:
    if problems.items:
        count = len(problems.items)
        noun = "problem" if count == 1 else "problems"
        raise CliError(f"{source}: {count} {noun}, nothing applied: " + "; ".join(problems.items))


# --- planning ---------------------------------------------------------------------------


def _secret_and_block_fields(classes: tuple[type[Block], ...]) -> dict[str, FieldSpec]:
    """Field specs of one class, or of a union of classes (secret if secret in any)."""
    merged: dict[str, FieldSpec] = {}
    for cls in classes:
        for name, spec in field_specs(cls).items():
            if name not in merged or spec.kind == "secret":
                merged[name] = spec
    return merged


def _check_secrets(
    classes: tuple[type[Block], ...], data: dict[str, Any], *, prefix: str
) -> list[str]:
    """Problems with secret fields in ``data`` (literal values, placeholders)."""
    problems: list[str] = []
    for name, spec in _secret_and_block_fields(classes).items():
        value = data.get(name)
        path = f"{prefix}{name}"
        if value is None:
            continue
        if spec.kind == "secret":
            for where, literal in secret_literals(value, path=path):
                if literal == SECRET_PLACEHOLDER:
                    problems.append(
                        f"secret field {where!r} still holds the export placeholder; "
                        "replace it with a reference such as env://NAME"
                    )
                else:
                    problems.append(
                        f"secret field {where!r} holds a literal value; a blocks file may "
                        "only hold references (env://NAME, file:///path, ...)"
                    )
        elif spec.kind == "block" and isinstance(value, dict) and BLOCK_REF_KEY not in value:
            problems += _check_secrets(spec.block_types, value, prefix=f"{path}.")
    return problems


def block_refs(data: Any) -> list[str]:
    """Every ``{"$block": "slug/name"}`` address anywhere in ``data``."""
    if isinstance(data, dict):
        if set(data) == {BLOCK_REF_KEY}:
            return [str(data[BLOCK_REF_KEY])]
        return [ref for value in data.values() for ref in block_refs(value)]
    if isinstance(data, list):
        return [ref for value in data for ref in block_refs(value)]
    return []


def substitute_refs(data: Any, resolved: dict[str, Block]) -> Any:
    if isinstance(data, dict):
        if set(data) == {BLOCK_REF_KEY}:
            return resolved[str(data[BLOCK_REF_KEY])]
        return {key: substitute_refs(value, resolved) for key, value in data.items()}
    if isinstance(data, list):
        return [substitute_refs(value, resolved) for value in data]
    return data


def _order(entries: list[RawEntry], problems: _Problems) -> list[RawEntry]:
    """Entries with every in-file dependency before its users (cycles reported)."""
    by_address = {e.address: e for e in entries}
    ordered: list[RawEntry] = []
    state: dict[str, str] = {}

    def visit(entry: RawEntry, trail: list[str]) -> None:
        mark = state.get(entry.address)
        if mark == "done":
            return
        if mark == "visiting":
            cycle = " -> ".join([*trail, entry.address])
            problems.add(entry.label, f"nested blocks refer to each other in a cycle: {cycle}")
            return
        state[entry.address] = "visiting"
        for ref in block_refs(entry.data):
            if ref in by_address:
                visit(by_address[ref], [*trail, entry.address])
        state[entry.address] = "done"
        ordered.append(entry)

    for entry in entries:
        visit(entry, [])
    return ordered


def _validate_name(name: str) -> str | None:
    # The same rule Block.save applies (the CLI ships in the same distribution).
    from headwater.blocks._naming import validate_name

    try:
        validate_name(name)
    except ValueError as exc:
        return str(exc)
    return None


def _resolve_ref(address: str, planned: dict[str, PlannedBlock]) -> Block:
    if address in planned:
        plan = planned[address]
        # An unchanged entry is used as stored, so its document is referenced, not copied.
        return plan.previous if plan.action == "unchanged" and plan.previous else plan.block
    slug, sep, name = address.partition("/")
    if not sep:
        raise CliError(f"{BLOCK_REF_KEY} must be 'slug/name', got {address!r}")
    found = try_find_block(slug, name)
    if found is None:
        raise CliError(f"{BLOCK_REF_KEY} {address!r} is neither saved nor in this file")
    return found


def _plan_entry(entry: RawEntry, planned: dict[str, PlannedBlock]) -> PlannedBlock | list[str]:
    from pydantic import ValidationError

    try:
        cls = block_class(entry.slug)
    except HeadwaterError as exc:
        return [str(exc)]
    problems = []
    name_problem = _validate_name(entry.name)
    if name_problem:
        problems.append(name_problem)
    problems += _check_secrets((cls,), entry.data, prefix="")
    refs = block_refs(entry.data)
    resolved: dict[str, Block] = {}
    for ref in refs:
        try:
            resolved[ref] = _resolve_ref(ref, planned)
        except (CliError, HeadwaterError) as exc:
            problems.append(str(exc))
    if problems:
        return problems
    try:
        block = cls.model_validate(substitute_refs(entry.data, resolved))
    except ValidationError as exc:
        return [describe_validation_error(exc, block=entry.address)]
    previous = try_find_block(entry.slug, entry.name)
    if previous is None:
        action: Action = "created"
    elif comparable_data(previous) == comparable_data(block):
        action = "unchanged"
    else:
        action = "updated"
    return PlannedBlock(entry, block, action, previous, [r for r in refs if r in planned])


def plan_apply(entries: list[RawEntry], *, source: str) -> list[PlannedBlock]:
    """Validate every entry; raise one CliError listing every problem, or return the plan."""
    problems = _Problems()
    planned: dict[str, PlannedBlock] = {}
    failed: set[str] = set()
    for entry in _order(entries, problems):
        blocked = [ref for ref in block_refs(entry.data) if ref in failed]
        if blocked:
            problems.add(entry.label, f"uses {', '.join(blocked)}, which has problems")
            failed.add(entry.address)
            continue
        result = _plan_entry(entry, planned)
        if isinstance(result, list):
            for problem in result:
                problems.add(entry.label, problem)
            failed.add(entry.address)
        else:
            planned[entry.address] = result
    _raise_if_any(problems, source=source)
    # Planning order is file order with each entry's in-file dependencies first: the
    # order to save in.
    return list(planned.values())


# --- saving -----------------------------------------------------------------------------


def apply_plan(plan: list[PlannedBlock], *, source: str) -> None:
    """Save every changed block; on a failure put back the ones already saved.

    A failure the user can act on (a HeadwaterError or ValueError from saving) is
    reported as a CliError naming the block; anything else is re-raised as is.
    """
    done: list[PlannedBlock] = []
    current: PlannedBlock | None = None
    try:
        for item in plan:
            if item.action == "unchanged":
                continue
            current = item
            item.block.save(item.entry.name, overwrite=item.action == "updated")
            done.append(item)
    except (HeadwaterError, ValueError) as exc:
        _undo(done)
        where = current.entry.label if current else "a block"
        raise CliError(
            f"{source}: saving {where} failed, nothing applied "
            f"({len(done)} block(s) saved before it were put back): {exc}"
        ) from None
    except BaseException:
        _undo(done)
        raise


def _undo(done: list[PlannedBlock]) -> None:
    # Deferred: import time; the CLI starts without headwater.blocks (pydantic).
    from headwater.blocks import Block

    for item in reversed(done):
        try:
            if item.previous is None:
                Block.delete(item.entry.address)
            else:
                item.previous.save(item.entry.name, overwrite=True)
        except Exception:  # best effort: the original error is what the user needs to see
            continue
