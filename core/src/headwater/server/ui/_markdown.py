"""Artifact markdown as safe HTML (markdown-it-py).

Raw HTML in the markdown is escaped, not passed through, so an artifact cannot
run script in the UI; links and images keep only ``http``, ``https`` and
``mailto`` targets (anything else, ``javascript:`` included, stays as text);
links open with ``rel="noopener noreferrer nofollow"``. Tables and
strikethrough are on, as in GitHub-flavoured markdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["ALLOWED_SCHEMES", "is_safe_url", "render_markdown"]

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})


def is_safe_url(url: str, *, schemes: frozenset[str] = ALLOWED_SCHEMES) -> bool:
    """Whether ``url`` is absolute with one of ``schemes`` (control characters refused)."""
    text = url.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    if parts.scheme.lower() not in schemes:
        return False
    return parts.scheme.lower() == "mailto" or bool(parts.netloc)


def _link_open(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
    return str(renderer.renderToken(tokens, idx, options, env))


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.validateLink = is_safe_url  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return md


_md = _parser()


def render_markdown(text: str) -> str:
    """``text`` rendered to HTML that is safe to put in a page as is."""
    return str(_md.render(text))
