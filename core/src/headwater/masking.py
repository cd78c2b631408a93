"""Secret masking: every secret value resolved in this process is replaced by ``********``.

A leaf module (it imports nothing from Headwater), so every layer can mask what
it shows: run logs and captured prints (:mod:`headwater.logging`), failure
messages stored on states, error messages of the core and of integrations
(:mod:`headwater.errors` bases), the CLI and the server.

:func:`register_secret` adds a value; :func:`mask_secrets` replaces every
registered value in a text. Values shorter than :data:`MIN_SECRET_LENGTH` are
not registered, so short common strings do not garble every log line.

A secret rarely reaches a log only as itself, so registering a value also
registers the forms it takes when it is printed inside something else
(:func:`secret_forms`):

- its escaped forms, one level deep: the body of ``repr()`` and ``ascii()``
  (what printing a dict, a list or an exception's args shows: ``\\n`` for a
  newline, ``\\'`` for a quote, ``\\xe9`` for ``é``), of ``json.dumps`` with
  and without ``ensure_ascii`` (``\\u00e9``, ``\\"``), and of the ``repr`` of
  its UTF-8 bytes;
- each line of a multi-line secret (a PEM key, a service-account JSON file),
  since captured prints and tracebacks are often read line by line. A line
  counts when, stripped of surrounding blanks, it has at least
  :data:`MIN_LINE_LENGTH` characters and at least one letter or digit: the
  ``{``, ``}``, ``],`` and blank lines of a document are everywhere, and
  masking them would garble every log line without hiding anything;
- when the secret is a JSON object or array, each string in it (at least
  :data:`MIN_SECRET_LENGTH` long), with its own forms: a program that loads a
  service-account file and prints its ``private_key`` prints a PEM the file
  only held escaped.

A secret cut short (a repr truncated to 60 characters) keeps only its whole
lines masked; the masker matches whole registered forms, never prefixes.
"""

from __future__ import annotations

import json
import re
import threading

__all__ = [
    "MASK",
    "MIN_LINE_LENGTH",
    "MIN_SECRET_LENGTH",
    "mask_secrets",
    "register_secret",
    "secret_forms",
]

MASK = "********"
MIN_SECRET_LENGTH = 4
"""Shorter values are not masked: masking "ab" everywhere would garble every log line."""
MIN_LINE_LENGTH = 8
"""A line of a multi-line secret is masked on its own when it is at least this long (stripped)."""

_MAX_JSON_STRINGS = 1000
"""At most this many strings of a JSON secret are registered (a huge document stays cheap)."""

_registered: frozenset[str] = frozenset()
_secrets: frozenset[str] = frozenset()
_secret_pattern: re.Pattern[str] | None = None
_secret_lock = threading.Lock()


def _escaped_forms(value: str) -> set[str]:
    """``value`` and its one-level escaped forms (quotes stripped)."""
    forms = {
        value,
        repr(value)[1:-1],
        ascii(value)[1:-1],
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }
    try:
        forms.add(repr(value.encode("utf-8"))[2:-1])
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 form exists
        pass
    return forms


def _lines(value: str) -> list[str]:
    if "\n" not in value and "\r" not in value:
        return []
    out = []
    for line in value.splitlines():
        line = line.strip()
        if len(line) >= max(MIN_LINE_LENGTH, MIN_SECRET_LENGTH) and any(c.isalnum() for c in line):
            out.append(line)
    return out


def _json_strings(value: str) -> list[str]:
    if not value.lstrip().startswith(("{", "[")):
        return []
    try:
        document = json.loads(value)
    except ValueError:
        return []
    found: list[str] = []
    stack = [document]
    while stack and len(found) < _MAX_JSON_STRINGS:
        item = stack.pop()
        if isinstance(item, str):
            if len(item) >= MIN_SECRET_LENGTH and item != value:
                found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def secret_forms(value: str) -> frozenset[str]:
    """Every text :func:`register_secret` masks for ``value`` (see the module docs)."""
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
        return frozenset()
    pieces = [value, *_json_strings(value)]
    forms: set[str] = set()
    for piece in pieces:
        for part in (piece, *_lines(piece)):
            forms |= _escaped_forms(part)
    return frozenset(form for form in forms if len(form) >= MIN_SECRET_LENGTH)


def register_secret(value: str) -> None:
    """Mask ``value`` (and its escaped forms and lines) as ``********`` in run logs,
    captured prints and failure messages from now on."""
    global _registered, _secrets, _secret_pattern
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH or value in _registered:
        return
    forms = secret_forms(value)
    with _secret_lock:
        secrets = _secrets | forms
        if secrets != _secrets:
            # Longest first, so a secret containing another is masked whole.
            ordered = sorted(secrets, key=len, reverse=True)
            _secret_pattern = re.compile("|".join(re.escape(s) for s in ordered))
            _secrets = secrets
        _registered = _registered | {value}


def mask_secrets(text: str) -> str:
    """``text`` with every registered secret replaced by ``********`` (free when none are registered)."""
    pattern = _secret_pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def _clear_secrets() -> None:
    """Forget registered secrets (for tests)."""
    global _registered, _secrets, _secret_pattern
    with _secret_lock:
        _registered = frozenset()
        _secrets = frozenset()
        _secret_pattern = None
