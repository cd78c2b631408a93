"""``headwater block``: list, inspect, create, apply, export, check and migrate blocks.

Secrets never leave this module as values: ``inspect`` masks them as
``********`` (a reference such as ``env://DB_PASSWORD`` is shown, since it is
not the secret), ``export`` writes references or a placeholder, ``apply``
accepts only references, and validation errors name fields, not inputs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from headwater._block_fields import field_specs, is_reference, reference_schemes
from headwater._block_records import as_dict, block_type_json
from headwater._block_views import document_address, export_data, masked_data
from headwater.cli._block_apply import (
    apply_plan,
    block_refs,
    plan_apply,
    read_entries,
    substitute_refs,
)
from headwater.cli._block_types import block_class, find_block
from headwater.cli._block_values import (
    describe_validation_error,
    parse_assignments,
    split_address,
)
from headwater.cli._errors import CliError, handle_errors
from headwater.cli._format import format_time
from headwater.cli._output import (
    OutputFormat,
    OutputOption,
    console,
    emit_json,
    key_value_table,
    new_table,
)
from headwater.cli._safe_yaml import YamlFileError, decode_utf8
from headwater.errors import HeadwaterError, ObjectAlreadyExists
from headwater.masking import mask_secrets

if TYPE_CHECKING:
    # Deferred: import time; the CLI starts without headwater.blocks (pydantic).
    from headwater.blocks import Block

__all__ = ["app"]

app = typer.Typer(
    help="Manage blocks: typed, secret-safe credentials and configuration saved by name.",
    no_args_is_help=True,
)

AddressArgument = Annotated[
    str, typer.Argument(metavar="TYPE/NAME", help="Block type slug and name, e.g. secret/db.")
]
TypeOption = Annotated[
    str | None, typer.Option("--type", "-t", metavar="SLUG", help="Only blocks of this type.")
]


def _warn(message: str) -> None:
    typer.echo(f"Warning: {message}", err=True)


# --- types and ls -----------------------------------------------------------------------


@app.command("types")
@handle_errors
def list_types(output: OutputOption = OutputFormat.table) -> None:
    """List the installed block types and the package each comes from."""
    # Deferred: import time; the CLI starts without headwater.blocks (pydantic).
    from headwater.blocks import registered_block_types

    infos = sorted(registered_block_types().values(), key=lambda info: info.slug)
    rows = [block_type_json(info.slug, info.cls, info.package, info.error) for info in infos]
    if output is OutputFormat.json:
        emit_json(rows)
        return
    out = console()
    if not rows:
        out.print("No block types installed.")
        return
    table = new_table("type", "package", "capabilities", "description")
    for row in rows:
        caps = row["capabilities"]
        table.add_row(
            row["slug"],
            row["package"] or "-",
            ", ".join(caps) if caps else "-",
            row["description"] or (f"cannot be imported: {row['error']}" if row["error"] else "-"),
        )
    out.print(table)


def _document_json(info: Any) -> dict[str, Any]:
    data = as_dict(info)
    slug = data.get("block_type_slug") or data.get("slug")
    data.setdefault("address", f"{slug}/{data.get('name')}")
    return data


@app.command("ls")
@handle_errors
def list_blocks(
    type_slug: TypeOption = None,
    output: OutputOption = OutputFormat.table,
) -> None:
    """List saved blocks (their names and types, never their data)."""
    # Deferred: import time; the CLI starts without headwater.blocks (pydantic).
    from headwater.blocks import Block

    docs = [_document_json(info) for info in Block.list_documents(type_slug)]
    docs.sort(key=lambda d: str(d["address"]))
    if output is OutputFormat.json:
        emit_json(docs)
        return
    out = console()
    if not docs:
        out.print(f"No blocks of type {type_slug!r}." if type_slug else "No blocks.")
        return
    table = new_table("block", "type", "name", "version", "updated")
    for doc in docs:
        slug, _, name = str(doc["address"]).partition("/")
        updated = doc.get("updated") or doc.get("created")
        version = doc.get("schema_version")
        table.add_row(
            doc["address"],
            slug,
            name,
            "-" if version is None else str(version),
            format_time(updated) if isinstance(updated, int | float) else str(updated or "-"),
        )
    out.print(table)


# --- inspect ----------------------------------------------------------------------------


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    import json

    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
            nested = _flatten(value, f"{prefix}{key}.")
            if nested:
                rows += nested
                continue
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        rows.append((f"{prefix}{key}", text))
    return rows


def _block_json(block: Block, slug: str, name: str) -> dict[str, Any]:
    cls = type(block)
    nested = {
        field: address
        for field, spec in field_specs(cls).items()
        if spec.kind == "block"
        and (child := getattr(block, field)) is not None
        and (address := document_address(child)) is not None
    }
    return {
        "address": f"{slug}/{name}",
        "type": slug,
        "name": name,
        "id": block.block_document_id,
        "schema_version": getattr(cls, "_block_schema_version", None),
        "capabilities": sorted(cls.get_block_capabilities()),
        "nested_blocks": nested,
        "data": masked_data(block),
    }


@app.command("inspect")
@handle_errors
def inspect_block(address: AddressArgument, output: OutputOption = OutputFormat.table) -> None:
    """Show a block's fields; secrets are masked, references shown as references."""
    slug, name = split_address(address)
    block = find_block(slug, name)
    data = _block_json(block, slug, name)
    if output is OutputFormat.json:
        emit_json(data)
        return
    out = console()
    header = [
        ("type", slug),
        ("name", name),
        ("schema version", str(data["schema_version"])),
        ("capabilities", ", ".join(data["capabilities"]) or "-"),
    ]
    header += [(f"{field} (block)", ref) for field, ref in data["nested_blocks"].items()]
    out.print(key_value_table(header, title=f"Block {slug}/{name}"))
    out.print(key_value_table(_flatten(data["data"]) or [("(no fields)", "")], title="Fields"))


# --- create -----------------------------------------------------------------------------


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _prompt_secrets(cls: type[Block], data: dict[str, Any]) -> None:
    """Ask for each top-level secret field not given, with hidden input, on a terminal."""
    if not _stdin_is_terminal():
        return
    for name, spec in field_specs(cls).items():
        if spec.kind != "secret" or name in data:
            continue
        if spec.required:
            value = typer.prompt(
                f"{name} (secret, or a reference such as env://NAME)", hide_input=True, err=True
            )
        else:
            value = typer.prompt(
                f"{name} (secret, optional; Enter to leave unset)",
                hide_input=True,
                default="",
                show_default=False,
                err=True,
            )
            if value == "":
                continue
        data[name] = value


_SCHEME_LIKE = re.compile(r"^([a-z][a-z0-9+.-]{0,19})://")


def _warn_unknown_schemes(cls: type[Block], data: dict[str, Any], *, block: str) -> None:
    """Warn when a secret looks like a reference whose scheme no installed resolver knows.

    Such a value is saved as a literal secret (it may be a URL on purpose); a typo
    such as ``evn://DB_PASSWORD`` would otherwise go unnoticed until use.
    """
    for name, spec in field_specs(cls).items():
        value = data.get(name)
        if spec.kind != "secret" or not isinstance(value, str) or is_reference(value):
            continue
        match = _SCHEME_LIKE.match(value)
        if match and match.group(1) not in {"http", "https"}:
            schemes = ", ".join(f"{s}://" for s in sorted(reference_schemes()))
            _warn(
                f"{block}: secret field {name!r} starts with {match.group(1)}:// which no "
                f"installed resolver handles ({schemes}); it is saved as a literal value"
            )


def _saved_block(reference: str) -> Block:
    """The saved block a ``{"$block": "slug/name"}`` value names."""
    slug, name = split_address(reference)
    return find_block(slug, name)


@app.command("create")
@handle_errors
def create_block(
    address: AddressArgument,
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            metavar="FIELD=VALUE",
            help="A field value (JSON if it parses, else text); dots for nested fields; "
            'a saved nested block as {"$block": "TYPE/NAME"}. Repeat for each field. '
            "Secret fields may be references: env://NAME.",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a saved block of the same name.")
    ] = False,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Create a block of TYPE named NAME; secret fields not given are prompted for."""
    from pydantic import ValidationError

    slug, name = split_address(address)
    cls = block_class(slug)
    data = parse_assignments(cls, assignments or [])
    data = substitute_refs(data, {ref: _saved_block(ref) for ref in block_refs(data)})
    _prompt_secrets(cls, data)
    _warn_unknown_schemes(cls, data, block=f"{slug}/{name}")
    try:
        block = cls.model_validate(data)
    except ValidationError as exc:
        raise CliError(describe_validation_error(exc, block=f"{slug}/{name}")) from None
    try:
        document_id = block.save(name, overwrite=overwrite)
    except ObjectAlreadyExists:
        raise CliError(
            f"block '{slug}/{name}' already exists; use --overwrite to replace it"
        ) from None
    except ValueError as exc:  # an invalid name or a value that cannot be stored
        raise CliError(str(exc)) from None
    if output is OutputFormat.json:
        emit_json(_block_json(block, slug, name) | {"id": document_id})
    else:
        typer.echo(f"Saved block {slug}/{name}.")


# --- apply and export -------------------------------------------------------------------


@app.command("apply")
@handle_errors
def apply_blocks(
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            "-f",
            exists=False,
            dir_okay=False,
            help="YAML list of {type, name, data}; '-' reads stdin.",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report, save nothing.")
    ] = False,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Create or update every block in a YAML file, all or nothing; secrets as references."""
    source = str(file)
    if source == "-":
        raw = sys.stdin.buffer.read()
        source = "<stdin>"
    else:
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CliError(f"cannot read --file {source}: {exc.strerror or exc}") from None
    try:
        text = decode_utf8(raw, source=source)
    except YamlFileError as exc:
        raise CliError(f"{exc}; nothing applied") from None
    plan = plan_apply(read_entries(text, source=source), source=source)
    if not dry_run:
        apply_plan(plan, source=source)
    report = sorted(plan, key=lambda p: p.entry.position)
    if output is OutputFormat.json:
        emit_json(
            [{"type": p.entry.slug, "name": p.entry.name, "action": p.action} for p in report]
        )
        return
    verb = "would be " if dry_run else ""
    for item in report:
        typer.echo(f"{item.entry.address}: {verb}{item.action}")
    counts = {a: sum(p.action == a for p in plan) for a in ("created", "updated", "unchanged")}
    summary = ", ".join(f"{n} {a}" for a, n in counts.items())
    typer.echo(f"{'Dry run, nothing saved: ' if dry_run else ''}{summary}.")


@app.command("export")
@handle_errors
def export_blocks(
    type_slug: TypeOption = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", dir_okay=False, help="Write here instead of stdout."),
    ] = None,
) -> None:
    """Write saved blocks as YAML that 'apply' reads; secrets only as references.

    A block that cannot be exported here (its type is not installed, or its
    document no longer loads) is skipped with a warning naming it and why; the
    others are written, and the command then exits 1.
    """
    import yaml

    # Deferred: import time; the CLI starts without headwater.blocks (pydantic).
    from headwater.blocks import Block

    documents = sorted(
        (_document_json(info) for info in Block.list_documents(type_slug)),
        key=lambda d: str(d["address"]),
    )
    entries = []
    skipped: list[str] = []
    for doc in documents:
        slug, name = split_address(str(doc["address"]))
        try:
            block = find_block(slug, name)
        except (CliError, HeadwaterError) as exc:
            # Without its class nothing says which fields are secret, so the stored
            # data is never written as is: the block is left out, and said so.
            reason = mask_secrets(str(exc) or type(exc).__name__)
            _warn(f"{slug}/{name}: not exported: {reason}")
            skipped.append(f"{slug}/{name}")
            continue

        def warn(path: str, address: str = f"{slug}/{name}") -> None:
            _warn(
                f"{address}: secret field {path!r} holds a value, not a reference; "
                "exported as a placeholder to replace with a reference (env://NAME, ...)"
            )

        entries.append({"type": slug, "name": name, "data": export_data(block, warn=warn)})
    text = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True) if entries else "[]\n"
    if file is None:
        typer.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        typer.echo(f"Exported {len(entries)} block(s) to {file}.", err=True)
    if skipped:
        raise CliError(
            f"{len(skipped)} of {len(documents)} block(s) not exported ({', '.join(skipped)}); "
            f"the other {len(entries)} were written"
        )


# --- delete, check, migrate -------------------------------------------------------------


@app.command("delete")
@handle_errors
def delete_block(
    address: AddressArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a saved block."""
    # Deferred: import time; the CLI starts without headwater.blocks (pydantic).
    from headwater.blocks import Block

    slug, name = split_address(address)
    names = {str(_document_json(i)["address"]) for i in Block.list_documents(slug)}
    if f"{slug}/{name}" not in names:
        raise CliError(f"block '{slug}/{name}' not found (see 'headwater block ls --type {slug}')")
    if not yes:
        typer.confirm(f"Delete block {slug}/{name}?", abort=True, err=True)
    Block.delete(f"{slug}/{name}")
    typer.echo(f"Deleted block {slug}/{name}.")


def _run_check(block: Block) -> tuple[bool, str]:
    check = getattr(block, "check", None)
    if not callable(check):
        raise CliError(
            f"block type {block.get_block_type_slug()!r} has no connection check "
            "(check() is offered by credentials blocks)"
        )
    try:
        result = check()
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        return False, mask_secrets(reason)
    if result is None or isinstance(result, bool):
        return result is not False, ""
    return bool(getattr(result, "ok", False)), mask_secrets(str(getattr(result, "message", "")))


@app.command("check")
@handle_errors
def check_block(address: AddressArgument, output: OutputOption = OutputFormat.table) -> None:
    """Run the block's connection check; exit 1 with the reason when it fails."""
    slug, name = split_address(address)
    ok, message = _run_check(find_block(slug, name))
    if output is OutputFormat.json:
        emit_json({"address": f"{slug}/{name}", "ok": ok, "message": message})
        if not ok:
            raise typer.Exit(1)
        return
    if ok:
        typer.echo(f"Check of {slug}/{name} succeeded" + (f": {message}" if message else "."))
        return
    raise CliError(f"check of {slug}/{name} failed: {message or 'no reason given'}")


@app.command("migrate")
@handle_errors
def migrate_blocks(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change, write nothing.")
    ] = False,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Rewrite saved blocks of older schema versions to their class's current version."""
    # Deferred: import time; the CLI starts without headwater.blocks (pydantic).
    from headwater.blocks import migrate_documents

    reports = [as_dict(r) for r in migrate_documents(dry_run=dry_run)]
    if output is OutputFormat.json:
        emit_json(reports)
        if any(r.get("error") for r in reports):
            raise typer.Exit(1)
        return
    if not reports:
        typer.echo("Every block is at its current schema version.")
        return
    verb = "would migrate" if dry_run else "migrated"
    for report in reports:
        typer.echo(_migration_line(report, verb))
    if dry_run:
        typer.echo("Dry run: nothing was written.")
    failed = [r for r in reports if r.get("error")]
    if failed:
        raise CliError(f"{len(failed)} block(s) could not be migrated; they were left unchanged")


def _migration_line(report: dict[str, Any], verb: str) -> str:
    slug = report.get("block_type_slug") or report.get("slug")
    address = report.get("address") or f"{slug}/{report.get('name')}"
    old, new = report.get("from_version"), report.get("to_version")
    line = f"{address}: {verb} from version {old} to {new}"
    changed = report.get("changed_fields") or report.get("changes")
    if changed:
        line += f" (changed: {', '.join(map(str, changed))})"
    error = report.get("error")
    if error:
        line = f"{address}: failed: {error}"
    return line
