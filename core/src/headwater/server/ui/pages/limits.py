"""Concurrency limits in the UI: every tag's limit with its active slots; create,
change (the same form: a limit is created or updated by tag) and delete."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from headwater.errors import ObjectNotFound
from headwater.server._params import current_store
from headwater.server._security import request_role, require_admin, require_csrf
from headwater.server.ui._render import render
from headwater.server.ui.pages.blocks import not_found

__all__ = ["router"]

router = APIRouter()

_WRITE = [Depends(require_admin), Depends(require_csrf)]
_PATH = "/concurrency-limits"
_FLASH = {
    "saved": "Concurrency limit for tag {tag} saved.",
    "deleted": "Concurrency limit for tag {tag} deleted.",
}


def _page(
    request: Request,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    flash: str | None = None,
    flash_kind: str | None = None,
) -> HTMLResponse:
    limits = sorted(current_store().read_concurrency_limits(), key=lambda r: r.tag)
    return render(
        request,
        "concurrency_limits.html",
        status_code=status_code,
        title="Concurrency limits",
        active=_PATH,
        limits=limits,
        form=form,
        errors=errors or {},
        can_write=request_role(request) == "admin",
        flash=flash,
        flash_kind=flash_kind,
    )


@router.get(_PATH, response_class=HTMLResponse)
def list_limits(request: Request, edit: str | None = None) -> HTMLResponse:
    form = {"tag": "", "limit": ""}
    if edit is not None:
        try:
            record = current_store().read_concurrency_limit(edit)
        except ObjectNotFound:
            return not_found(
                request, f"concurrency limit for tag {edit!r}", back=_PATH, active=_PATH
            )
        form = {"tag": record.tag, "limit": str(record.limit)}
    extra: dict[str, Any] = {}
    done, tag = request.query_params.get("done", ""), request.query_params.get("tag", "")
    if done in _FLASH and tag and len(tag) <= 200:
        extra = {"flash": _FLASH[done].format(tag=repr(tag)), "flash_kind": "success"}
    return _page(request, form=form, **extra)


def _check(tag: str, raw_limit: str) -> tuple[int, dict[str, str]]:
    errors: dict[str, str] = {}
    if not tag:
        errors["tag"] = "tag: enter the task tag the limit applies to"
    limit = -1
    try:
        limit = int(raw_limit.strip())
    except ValueError:
        errors["limit"] = "limit: enter a whole number (0 or more)"
    else:
        if limit < 0:
            errors["limit"] = "limit: must be 0 or more (0 stops every task with this tag)"
    return limit, errors


@router.post(_PATH, response_class=HTMLResponse, dependencies=_WRITE)
async def save_limit(request: Request) -> Response:
    posted = await request.form()
    form = {"tag": str(posted.get("tag", "")).strip(), "limit": str(posted.get("limit", ""))}
    limit, errors = _check(form["tag"], form["limit"])
    if errors:
        return _page(
            request,
            form=form,
            errors=errors,
            status_code=422,
            flash="The limit was not saved: correct the fields marked below.",
            flash_kind="error",
        )
    await run_in_threadpool(current_store().create_concurrency_limit, form["tag"], limit)
    return RedirectResponse(f"{_PATH}?done=saved&tag={quote(form['tag'])}", status_code=303)


@router.post(_PATH + "/delete", response_class=HTMLResponse, dependencies=_WRITE)
async def delete_limit(request: Request) -> Response:
    """Delete the limit of the posted ``tag`` (a form field: tags may hold any character)."""
    tag = str((await request.form()).get("tag", ""))
    try:
        await run_in_threadpool(current_store().delete_concurrency_limit, tag)
    except ObjectNotFound:
        return not_found(request, f"concurrency limit for tag {tag!r}", back=_PATH, active=_PATH)
    return RedirectResponse(f"{_PATH}?done=deleted&tag={quote(tag)}", status_code=303)
