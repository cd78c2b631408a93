"""Variables in the UI: list, create, edit (a JSON value, validated) and delete."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from headwater.errors import ObjectAlreadyExists, ObjectNotFound
from headwater.server._params import current_store
from headwater.server._security import request_role, require_admin, require_csrf
from headwater.server.ui._render import render
from headwater.server.ui.pages.blocks import not_found
from headwater.variables import Variable, validate_variable_name

__all__ = ["router"]

router = APIRouter()

_WRITE = [Depends(require_admin), Depends(require_csrf)]
_FLASH = {"saved": "Variable {name} saved.", "deleted": "Variable {name} deleted."}


def _records() -> list[Any]:
    return current_store().read_variables()


def _page(
    request: Request,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    editing: bool = False,
    status_code: int = 200,
    flash: str | None = None,
    flash_kind: str | None = None,
) -> HTMLResponse:
    rows = [
        {"record": r, "value": json.dumps(r.value, indent=None, ensure_ascii=False)}
        for r in _records()
    ]
    return render(
        request,
        "variables.html",
        status_code=status_code,
        title="Variables",
        active="/variables",
        rows=rows,
        form=form,
        errors=errors or {},
        editing=editing,
        can_write=request_role(request) == "admin",
        flash=flash,
        flash_kind=flash_kind,
    )


def _flash(request: Request) -> dict[str, Any]:
    done = request.query_params.get("done", "")
    name = request.query_params.get("name", "")
    try:
        validate_variable_name(name)
    except ValueError:
        return {}
    if done in _FLASH:
        return {"flash": _FLASH[done].format(name=name), "flash_kind": "success"}
    return {}


@router.get("/variables", response_class=HTMLResponse)
def list_variables(request: Request, edit: str | None = None) -> HTMLResponse:
    form = {"name": "", "value": "", "tags": ""}
    if edit is not None:
        try:
            record = current_store().read_variable(edit)
        except ObjectNotFound:
            return not_found(request, f"variable {edit!r}", back="/variables", active="/variables")
        form = {
            "name": record.name,
            "value": json.dumps(record.value, indent=2, ensure_ascii=False),
            "tags": ", ".join(record.tags),
        }
    return _page(request, form=form, editing=edit is not None, **_flash(request))


def _save(name: str, raw_value: str, raw_tags: str, *, overwrite: bool) -> dict[str, str]:
    """Save the variable; field -> message for what is wrong (nothing saved then)."""
    errors: dict[str, str] = {}
    try:
        validate_variable_name(name)
    except ValueError as exc:
        errors["name"] = str(exc)
    value: Any = None
    if not raw_value.strip():
        errors["value"] = 'value: enter a JSON value (e.g. 42, "text", [1, 2] or {"a": 1})'
    else:
        try:
            value = json.loads(raw_value)
        except json.JSONDecodeError as exc:
            errors["value"] = (
                f"value: not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno}); "
                'text needs double quotes, e.g. "hello"'
            )
    tags = [t.strip() for t in raw_tags.replace("\n", ",").split(",") if t.strip()]
    if errors:
        return errors
    try:
        Variable.set(name, value, overwrite=overwrite, tags=tags)
    except ObjectAlreadyExists:
        errors["name"] = f"a variable named {name!r} already exists; edit it instead"
    except ValueError as exc:
        errors["value"] = str(exc)
    return errors


@router.post("/variables", response_class=HTMLResponse, dependencies=_WRITE)
async def save_variable(request: Request) -> Response:
    posted = await request.form()
    form = {k: str(posted.get(k, "")) for k in ("name", "value", "tags")}
    form["name"] = form["name"].strip()
    editing = posted.get("editing") == "1"
    errors = await run_in_threadpool(
        _save, form["name"], form["value"], form["tags"], overwrite=editing
    )
    if errors:
        return _page(
            request,
            form=form,
            errors=errors,
            editing=editing,
            status_code=422,
            flash="The variable was not saved: correct the fields marked below.",
            flash_kind="error",
        )
    return RedirectResponse(f"/variables?done=saved&name={quote(form['name'])}", status_code=303)


@router.post("/variables/{name}/delete", response_class=HTMLResponse, dependencies=_WRITE)
async def delete_variable(request: Request, name: str) -> Response:
    try:
        await run_in_threadpool(current_store().delete_variable, name)
    except ObjectNotFound:
        return not_found(request, f"variable {name!r}", back="/variables", active="/variables")
    return RedirectResponse(f"/variables?done=deleted&name={quote(name)}", status_code=303)
