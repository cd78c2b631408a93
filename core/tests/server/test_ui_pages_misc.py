"""The variables, concurrency limits and artifacts pages over a real server (SQLite and
PostgreSQL), and the safe markdown renderer artifacts use."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from headwater import flow, task
from headwater.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from headwater.server.ui._markdown import is_safe_url, render_markdown
from headwater.server.ui.pages.artifacts import table_columns
from headwater.variables import Variable


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None, "the page has no CSRF field"
    return match.group(1)


def _get(client: httpx.Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.text[:2000]
    return response.text


def _post(
    client: httpx.Client, form_path: str, action: str, data: dict[str, str]
) -> httpx.Response:
    token = _token(_get(client, form_path))
    return client.post(action, data={"csrf_token": token, **data})


def _errors(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'class="field-error"[^>]*>([^<]*)<', page)]


def _body(page: str) -> str:
    """The page below the top bar (the head holds the site's own script tags)."""
    return page.split("<main>", 1)[1]


# -- variables -----------------------------------------------------------------------------


def test_variables_list_create_edit_and_delete(store_url: str, client: httpx.Client) -> None:
    Variable.set("threshold", {"max": [1, 2]}, tags=["etl"])
    page = _get(client, "/variables")
    row = page[page.index('data-variable="threshold"') :].split("</tr>")[0]
    assert html.unescape(row).count('{"max": [1, 2]}') == 1
    assert ">etl<" in row

    response = _post(
        client,
        "/variables",
        "/variables",
        {"name": "region", "value": '"eu-west-1"', "tags": "a, b"},
    )
    assert response.status_code == 303
    assert Variable.get("region") == "eu-west-1"
    assert [v.tags for v in Variable.list() if v.name == "region"] == [["a", "b"]]
    assert "Variable region saved." in _get(client, response.headers["location"])

    # bad JSON: the problem named, the input kept, nothing saved
    response = _post(client, "/variables", "/variables", {"name": "broken", "value": "{a: 1}"})
    assert response.status_code == 422
    (error,) = _errors(response.text)
    assert error.startswith("value: not valid JSON (Expecting property name enclosed in double")
    assert "line 1 column 2" in error
    assert "{a: 1}</textarea>" in response.text
    assert Variable.get("broken") is None

    # a taken name on create is refused; editing replaces
    response = _post(client, "/variables", "/variables", {"name": "region", "value": "1"})
    assert response.status_code == 422
    assert _errors(response.text) == ["a variable named 'region' already exists; edit it instead"]
    edit = _get(client, "/variables?edit=region")
    assert 'name="editing" value="1"' in edit
    assert "&#34;eu-west-1&#34;</textarea>" in edit
    response = _post(
        client,
        "/variables?edit=region",
        "/variables",
        {"name": "region", "value": "[1, 2]", "tags": "", "editing": "1"},
    )
    assert response.status_code == 303
    assert Variable.get("region") == [1, 2]

    response = _post(client, "/variables", "/variables/region/delete", {})
    assert response.status_code == 303
    assert Variable.get("region") is None
    assert "Variable region deleted." in _get(client, response.headers["location"])

    response = _post(client, "/variables", "/variables", {"name": "Bad Name", "value": "1"})
    assert response.status_code == 422
    assert _errors(response.text)[0].startswith("invalid variable name 'Bad Name'")


def test_variable_pages_404_and_csrf(store_url: str, client: httpx.Client) -> None:
    page = _get(client, "/variables?edit=ghost", status=404)
    assert "variable &#39;ghost&#39; was not found" in page
    _get(client, "/variables")
    assert client.post("/variables", data={"name": "x", "value": "1"}).status_code == 403
    assert Variable.get("x") is None
    response = _post(client, "/variables", "/variables/ghost/delete", {})
    assert response.status_code == 404


# -- concurrency limits ----------------------------------------------------------------------


def test_concurrency_limits_list_create_update_and_delete(
    store_url: str, client: httpx.Client
) -> None:
    from headwater._store import get_store

    store = get_store()
    store.create_concurrency_limit("db", 2)
    assert store.try_acquire_concurrency_slots(["db"], "task-run-holding-a-slot")
    page = _get(client, "/concurrency-limits")
    row = page[page.index('data-tag="db"') :].split("</tr>")[0]
    assert '<span class="active-count">1</span> / 2' in row
    assert "task-run-holding-a-slot" in row

    response = _post(
        client, "/concurrency-limits", "/concurrency-limits", {"tag": "api calls/eu", "limit": "0"}
    )
    assert response.status_code == 303
    assert store.read_concurrency_limit("api calls/eu").limit == 0
    response = _post(
        client, "/concurrency-limits", "/concurrency-limits", {"tag": "db", "limit": "5"}
    )
    assert response.status_code == 303
    assert store.read_concurrency_limit("db").limit == 5

    for bad, message in (
        ("-1", "limit: must be 0 or more (0 stops every task with this tag)"),
        ("two", "limit: enter a whole number (0 or more)"),
    ):
        response = _post(
            client, "/concurrency-limits", "/concurrency-limits", {"tag": "db", "limit": bad}
        )
        assert response.status_code == 422
        assert _errors(response.text) == [message]
    response = _post(
        client, "/concurrency-limits", "/concurrency-limits", {"tag": " ", "limit": "1"}
    )
    assert _errors(response.text) == ["tag: enter the task tag the limit applies to"]
    assert store.read_concurrency_limit("db").limit == 5

    edit = _get(client, "/concurrency-limits?edit=db")
    assert 'name="tag" value="db"' in edit
    assert 'name="limit" value="5"' in edit
    _get(client, "/concurrency-limits?edit=ghost", status=404)

    response = _post(
        client, "/concurrency-limits", "/concurrency-limits/delete", {"tag": "api calls/eu"}
    )
    assert response.status_code == 303
    assert [lim.tag for lim in store.read_concurrency_limits()] == ["db"]
    response = _post(client, "/concurrency-limits", "/concurrency-limits/delete", {"tag": "ghost"})
    assert response.status_code == 404
    assert client.post("/concurrency-limits/delete", data={"tag": "db"}).status_code == 403
    store.release_concurrency_slots("task-run-holding-a-slot")


# -- artifacts -------------------------------------------------------------------------------


@task
def publish() -> str:
    return create_table_artifact([{"x": 1}], key="task-table")


@flow(name="reporting")
def reporting() -> tuple[str, str]:
    return create_markdown_artifact("# From a flow", key="flow-report"), publish()


def test_artifacts_list_filter_and_versions(store_url: str, client: httpx.Client) -> None:
    from headwater._store import get_store

    first = create_markdown_artifact("first", key="report", description="v one")
    second = create_markdown_artifact("second", key="report", description="v two")
    table = create_table_artifact([{"a": 1}], key="numbers")
    loose = create_link_artifact("https://example.com/x", "example")
    in_flow, in_task = reporting()
    get_store().flush()

    page = _get(client, "/artifacts")
    assert f'href="/artifacts/{second}"' in page
    assert f'href="/artifacts/{first}"' not in page
    assert f'href="/artifacts/{table}"' in page
    assert f'href="/artifacts/{loose}"' in page
    flow_run_id = get_store().read_artifact(in_flow).flow_run_id
    assert flow_run_id is not None
    assert f'href="/flow-runs/{flow_run_id}"' in page

    page = _get(client, "/artifacts?key=report")
    assert f'href="/artifacts/{second}"' in page
    assert f'href="/artifacts/{first}"' in page
    assert f'href="/artifacts/{table}"' not in page
    assert page.index(f'href="/artifacts/{second}"') < page.index(f'href="/artifacts/{first}"')
    page = _get(client, "/artifacts?key=nothing-here")
    assert "No artifact has the key" in page

    task_run_id = get_store().read_artifact(in_task).task_run_id
    assert task_run_id is not None
    page = _get(client, f"/artifacts/{in_task}")
    assert f'href="/task-runs/{task_run_id}"' in page
    assert f'href="/flow-runs/{flow_run_id}"' in page

    page = _get(client, f"/artifacts/{first}")
    assert "<p>first</p>" in page
    versions = page[page.index("Versions of report") :]
    assert "v1 (this one)" in versions
    assert f'<a href="/artifacts/{second}">v2</a>' in versions

    page = _get(client, "/artifacts/no-such-artifact", status=404)
    assert "artifact &#39;no-such-artifact&#39; was not found" in page


def test_artifact_content_is_rendered_safely(store_url: str, client: httpx.Client) -> None:
    markdown = create_markdown_artifact(
        "# Report\n\n<script>alert('md')</script>\n\n"
        "[ok](https://example.com/ok) [bad](javascript:alert(1)) [rel](/api/x)\n\n"
        "| col | val |\n|---|---|\n| a | 1 |\n",
        key="safe",
    )
    table = create_table_artifact([{"a": 1, "b": "<b>x</b>"}, {"c": None, "a": [1, 2]}], key="tbl")
    good_link = create_link_artifact("https://example.com/model", "the model", key="lnk")
    bad_link = create_link_artifact("javascript:alert(1)", "click", key="lnk")

    body = _body(_get(client, f"/artifacts/{markdown}"))
    assert "<script>" not in body
    assert "&lt;script&gt;alert('md')&lt;/script&gt;" in body
    assert '<a href="https://example.com/ok" rel="noopener noreferrer nofollow">ok</a>' in body
    assert "[bad](javascript:alert(1))" in body  # left as text
    assert 'href="javascript' not in body
    assert 'href="/api/x"' not in body
    assert "<th>col</th>" in body
    assert "<td>a</td>" in body

    body = _body(_get(client, f"/artifacts/{table}"))
    assert "<thead><tr><th>a</th><th>b</th><th>c</th></tr></thead>" in body
    assert "<tr><td>1</td><td>&lt;b&gt;x&lt;/b&gt;</td><td></td></tr>" in body
    assert "<tr><td>[1, 2]</td><td></td><td></td></tr>" in body

    body = _body(_get(client, f"/artifacts/{good_link}"))
    assert '<a href="https://example.com/model" rel="noopener noreferrer nofollow"' in body
    body = _body(_get(client, f"/artifacts/{bad_link}"))
    assert 'href="javascript' not in body
    assert "not an http(s) link" in body


def test_table_columns_are_the_union_of_row_keys_in_first_seen_order() -> None:
    assert table_columns([{"b": 1, "a": 2}, {"c": 3, "a": 4}, "junk"]) == ["b", "a", "c"]
    assert table_columns([]) == []


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.com", True),
        ("http://example.com/a?b=1", True),
        ("mailto:team@example.com", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("vbscript:msgbox", False),
        ("/relative/path", False),
        ("//evil.example.com", False),
        ("https://", False),
    ],
)
def test_only_http_https_and_mailto_links_are_safe(url: str, safe: bool) -> None:
    assert is_safe_url(url) is safe


def test_markdown_escapes_raw_html_and_drops_unsafe_links() -> None:
    out = render_markdown(
        '<img src=x onerror="alert(1)">\n\n[a](javascript:alert(1)) ![i](data:image/png;base64,AA)'
        " <https://auto.example.com> ~~old~~"
    )
    assert "<img" not in out
    assert "&lt;img src=x" in out
    assert "href=" not in out.split('<a href="https://auto.example.com"')[0]
    assert '<a href="https://auto.example.com" rel="noopener noreferrer nofollow">' in out
    assert "<s>old</s>" in out
