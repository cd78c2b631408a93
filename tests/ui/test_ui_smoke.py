"""The UI is served and renders in a real browser."""

from __future__ import annotations

from typing import Any


def test_dashboard_renders_in_chromium(ui_server: Any, page: Any) -> None:
    page.goto(ui_server.url + "/")
    assert page.title() == "Dashboard · Headwater"
    assert page.locator("h1").inner_text() == "Dashboard"
    # the stylesheet loaded: the top bar is dark
    colour = page.eval_on_selector(".topbar", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(17, 24, 39)"
