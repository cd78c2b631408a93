"""Blocks in the UI: documents by type, inspect (secrets masked), create and edit through
forms generated from each block class's JSON schema (see :mod:`headwater.server.ui._forms`),
and delete.

Secrets are write-only: the inspect page masks them exactly as ``headwater block
inspect`` does, the edit form never carries them, and a blank or masked
submission keeps the stored value.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from headwater._block_fields import field_specs
from headwater._block_views import document_address, masked_data
from headwater.blocks import get_block_class, registered_block_types
from headwater.blocks._naming import validate_name
from headwater.blocks.documents import encode_data, keep_masked_secrets
from headwater.blocks.errors import BlockNotFound, UnknownBlockType
from headwater.errors import HeadwaterError, ObjectAlreadyExists, ObjectNotFound
from headwater.server._params import current_store
from headwater.server._security import request_role, require_admin, require_csrf
from headwater.server.ui import _forms
from headwater.server.ui._render import render

if TYPE_CHECKING:
    from headwater.blocks import Block, BlockTypeInfo
    from headwater.server.ui._forms import BlockForm

__all__ = ["router"]

router = APIRouter()

_WRITE = [Depends(require_admin), Depends(require_csrf)]
_ADDRESS = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}/[a-z0-9][a-z0-9_-]{0,99}$")
_FLASH = {
    "created": "Block {address} created.",
    "updated": "Block {address} saved.",
    "deleted": "Block {address} deleted.",
}


def _flash(request: Request) -> dict[str, Any]:
    """The message a redirect asked for (``?done=created&address=slug/name``)."""
    done = request.query_params.get("done", "")
    address = request.query_params.get("address", "")
    if done in _FLASH and _ADDRESS.match(address):
        return {"flash": _FLASH[done].format(address=address), "flash_kind": "success"}
    return {}


def _can_write(request: Request) -> bool:
    return request_role(request) == "admin"


def not_found(request: Request, what: str, *, back: str, active: str) -> HTMLResponse:
    """A 404 page naming what was not found (shared by the blocks, variables and artifacts pages)."""
    return render(
        request,
        "block_not_found.html",
        status_code=404,
        title="Not found",
        active=active,
        what=what,
        back=back,
    )


# -- the list -------------------------------------------------------------------------------


def _type_row(slug: str, info: BlockTypeInfo | None) -> dict[str, Any]:
    if info is None or info.cls is None:
        error = info.error if info is not None else None
        if error is None:
            try:
                get_block_class(slug)
            except UnknownBlockType as exc:  # names the package to install
                error = str(exc)
        return {
            "slug": slug,
            "description": "",
            "capabilities": [],
            "error": error or f"block type {slug!r} cannot be loaded",
            "package": info.package if info is not None else None,
        }
    return {
        "slug": slug,
        "description": info.cls.get_description(),
        "capabilities": sorted(info.cls.get_block_capabilities()),
        "error": None,
        "package": info.package,
    }


@router.get("/blocks", response_class=HTMLResponse)
def list_blocks(request: Request) -> HTMLResponse:
    installed = registered_block_types()
    records = current_store().read_block_documents()
    groups: dict[str, dict[str, Any]] = {}
    for record in sorted(records, key=lambda r: (r.block_type_slug, r.name)):
        group = groups.get(record.block_type_slug)
        if group is None:
            group = _type_row(record.block_type_slug, installed.get(record.block_type_slug))
            group["documents"] = []
            groups[record.block_type_slug] = group
        group["documents"].append(record)
    types = [_type_row(slug, info) for slug, info in installed.items()]
    return render(
        request,
        "blocks.html",
        title="Blocks",
        active="/blocks",
        groups=list(groups.values()),
        types=types,
        can_write=_can_write(request),
        **_flash(request),
    )


# -- inspect --------------------------------------------------------------------------------


def _display(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2)


def _inspect_rows(block: Block) -> list[dict[str, Any]]:
    masked = masked_data(block)
    rows = []
    for name, spec in field_specs(type(block)).items():
        info = type(block).model_fields[name]
        value = getattr(block, name)
        row: dict[str, Any] = {
            "name": name,
            "label": info.title or name,
            "kind": spec.kind,
            "help": info.description or "",
            "value": _display(masked.get(name)),
            "link": None,
        }
        if spec.kind == "block" and value is not None:
            address = document_address(value)
            if address is not None:
                row["value"] = address
                row["link"] = "/blocks/" + quote(address)
            else:
                row["value"] = "(inline) " + _display(masked.get(name))
        rows.append(row)
    return rows


def _load(slug: str, name: str) -> tuple[Block | None, str | None]:
    """The stored block, or why it cannot be read (BlockNotFound propagates)."""
    try:
        return get_block_class(slug).load(name), None
    except BlockNotFound:
        raise
    except HeadwaterError as exc:  # our errors name blocks and fields, never values
        return None, str(exc)
    except Exception as exc:  # a third-party error might quote data: give its kind only
        return None, f"cannot read the document ({type(exc).__name__})"


def _record(slug: str, name: str) -> Any:
    try:
        return current_store().read_block_document(slug, name)
    except ObjectNotFound:
        return None


@router.get("/blocks/new/{slug}", response_class=HTMLResponse)
def new_block_form(request: Request, slug: str) -> HTMLResponse:
    cls, problem = _block_class(slug)
    if cls is None:
        return not_found(
            request, problem or f"block type {slug!r}", back="/blocks", active="/blocks"
        )
    form = _forms.initial_values(_forms.form_spec(cls), None)
    _forms.block_options(form)
    return _form_page(request, cls, form, name="", editing=False)


@router.get("/blocks/{slug}/{name}", response_class=HTMLResponse)
def inspect_block(request: Request, slug: str, name: str) -> HTMLResponse:
    record = _record(slug, name)
    if record is None:
        return not_found(request, f"block '{slug}/{name}'", back="/blocks", active="/blocks")
    block, error = _load(slug, name)
    cls, _ = _block_class(slug)
    return render(
        request,
        "block_inspect.html",
        title=f"{slug}/{name}",
        active="/blocks",
        record=record,
        slug=slug,
        name=name,
        rows=_inspect_rows(block) if block is not None else [],
        error=error,
        description=cls.get_description() if cls is not None else "",
        example=cls.get_code_example().replace("BLOCK_NAME", name) if cls is not None else "",
        can_write=_can_write(request),
        editable=block is not None,
        **_flash(request),
    )


# -- create and edit ------------------------------------------------------------------------


def _block_class(slug: str) -> tuple[type[Block] | None, str | None]:
    try:
        return get_block_class(slug), None
    except UnknownBlockType as exc:
        return None, str(exc)


def _form_page(
    request: Request,
    cls: type[Block],
    form: BlockForm,
    *,
    name: str,
    editing: bool,
    name_error: str | None = None,
    status_code: int = 200,
    flash: str | None = None,
) -> HTMLResponse:
    slug = cls.get_block_type_slug()
    action = f"/blocks/{slug}/{name}/edit" if editing else f"/blocks/new/{slug}"
    return render(
        request,
        "block_form.html",
        status_code=status_code,
        title=f"Edit {slug}/{name}" if editing else f"New {slug} block",
        active="/blocks",
        slug=slug,
        name=name,
        description=cls.get_description(),
        form=form,
        editing=editing,
        action=action,
        name_error=name_error,
        flash=flash,
        flash_kind="error" if flash else None,
    )


@router.get("/blocks/{slug}/{name}/edit", response_class=HTMLResponse)
def edit_block_form(request: Request, slug: str, name: str) -> HTMLResponse:
    cls, problem = _block_class(slug)
    if cls is None:
        return not_found(request, problem or slug, back="/blocks", active="/blocks")
    try:
        block, error = _load(slug, name)
    except BlockNotFound:
        return not_found(request, f"block '{slug}/{name}'", back="/blocks", active="/blocks")
    if block is None:
        return render(
            request,
            "block_inspect.html",
            status_code=409,
            title=f"{slug}/{name}",
            active="/blocks",
            record=_record(slug, name),
            slug=slug,
            name=name,
            rows=[],
            error=error,
            description=cls.get_description(),
            example="",
            can_write=_can_write(request),
            editable=False,
        )
    form = _forms.initial_values(_forms.form_spec(cls), block)
    _forms.block_options(form)
    return _form_page(request, cls, form, name=name, editing=True)


def _posted(form: Any) -> dict[str, str]:
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


def _save(
    cls: type[Block], posted: dict[str, str], *, name: str, current: Block | None
) -> tuple[BlockForm, str | None, str | None]:
    """Validate and save; ``(form, name_error, flash)``: both None on success."""
    from pydantic import ValidationError

    specs = _forms.form_spec(cls)
    data, cleared, errors = _forms.parse_form(specs, posted, current=current)
    form = _forms.initial_values(specs, current)
    form.values = {k: v for k, v in posted.items() if k.startswith(("f.", "u."))}
    for spec in _secret_specs(specs):  # never send a typed secret back
        form.values.pop(spec.name, None)
    form.errors = errors
    _forms.block_options(form)
    slug = cls.get_block_type_slug()
    name_error = None
    if current is None:
        try:
            validate_name(name)
        except ValueError as exc:
            name_error = str(exc)
    if errors or name_error:
        return form, name_error, "The block was not saved: correct the fields marked below."
    stored = encode_data(current) if current is not None else None
    merged = keep_masked_secrets(cls, data, stored)
    for key in cleared:
        merged[key] = None
    try:
        block = cls.model_validate(merged)
    except ValidationError as exc:
        form.errors.update(_forms.validation_messages(exc, specs))
        return form, None, "The block was not saved: correct the fields marked below."
    try:
        block.save(name, overwrite=current is not None)
    except ObjectAlreadyExists:
        message = f"a block named '{slug}/{name}' already exists; choose another name or edit it"
        return form, message, "The block was not saved: the name is taken."
    except ValueError as exc:
        return form, str(exc), "The block was not saved."
    return form, None, None


def _secret_specs(specs: list[Any]) -> list[Any]:
    found = []
    for spec in specs:
        if spec.kind in ("secret", "secret_json"):
            found.append(spec)
        found.extend(_secret_specs(spec.children))
    return found


def _restore_masked(form: BlockForm, current: Block | None) -> None:
    """Put the masked view of stored JSON secrets back after a failed post."""
    if current is None:
        return

    fresh = _forms.initial_values(form.specs, current)
    for spec in _secret_specs(form.specs):
        if spec.name in fresh.values:
            form.values[spec.name] = fresh.values[spec.name]


@router.post("/blocks/new/{slug}", response_class=HTMLResponse, dependencies=_WRITE)
async def create_block(request: Request, slug: str) -> Response:
    cls, problem = _block_class(slug)
    if cls is None:
        return not_found(request, problem or slug, back="/blocks", active="/blocks")
    posted = _posted(await request.form())
    name = posted.get("name", "").strip()
    form, name_error, flash = await run_in_threadpool(_save, cls, posted, name=name, current=None)
    if flash is not None:
        return _form_page(
            request,
            cls,
            form,
            name=name,
            editing=False,
            name_error=name_error,
            status_code=422,
            flash=flash,
        )
    return RedirectResponse(
        f"/blocks/{slug}/{quote(name)}?done=created&address={quote(slug + '/' + name)}",
        status_code=303,
    )


@router.post("/blocks/{slug}/{name}/edit", response_class=HTMLResponse, dependencies=_WRITE)
async def update_block(request: Request, slug: str, name: str) -> Response:
    cls, problem = _block_class(slug)
    if cls is None:
        return not_found(request, problem or slug, back="/blocks", active="/blocks")
    try:
        current, error = await run_in_threadpool(_load, slug, name)
    except BlockNotFound:
        return not_found(request, f"block '{slug}/{name}'", back="/blocks", active="/blocks")
    if current is None:
        return HTMLResponse(f"block '{slug}/{name}' cannot be edited: {error}", status_code=409)
    posted = _posted(await request.form())
    form, name_error, flash = await run_in_threadpool(
        _save, cls, posted, name=name, current=current
    )
    if flash is not None:
        _restore_masked(form, current)
        return _form_page(
            request,
            cls,
            form,
            name=name,
            editing=True,
            name_error=name_error,
            status_code=422,
            flash=flash,
        )
    return RedirectResponse(
        f"/blocks/{slug}/{quote(name)}?done=updated&address={quote(slug + '/' + name)}",
        status_code=303,
    )


@router.post("/blocks/{slug}/{name}/delete", response_class=HTMLResponse, dependencies=_WRITE)
async def delete_block(request: Request, slug: str, name: str) -> Response:
    try:
        await run_in_threadpool(current_store().delete_block_document, slug, name)
    except ObjectNotFound:
        return not_found(request, f"block '{slug}/{name}'", back="/blocks", active="/blocks")
    return RedirectResponse(
        f"/blocks?done=deleted&address={quote(slug + '/' + name)}", status_code=303
    )
