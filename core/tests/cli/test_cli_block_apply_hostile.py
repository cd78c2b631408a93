"""``headwater block apply`` on hostile files: one clear error each, no traceback, nothing applied.

Each test writes a real file and runs the real CLI on it. The timeout marks guard
against the old behaviour (an alias bomb ran for minutes); nothing asserts on time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from headwater.blocks import Block, Secret
from headwater.cli import app
from headwater.cli._safe_yaml import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    MAX_NODES,
    YamlFileError,
    load_documents,
)

pytestmark = pytest.mark.timeout(60)

GOOD = "- type: secret\n  name: good\n  data: {value: env://GOOD}\n"

BOMB = (
    "- type: secret\n  name: bomb\n  data:\n    value: env://X\n    a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(
        f"    {name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
)
"""The "billion laughs": about 600 bytes that expand to 9**9 strings."""


def _apply_file(runner: CliRunner, path: Path) -> Result:
    return runner.invoke(app, ["block", "apply", "-f", str(path)])


def _assert_refused(result: Result, *expected: str) -> None:
    stderr = result.stderr
    assert result.exit_code == 1, (result.exit_code, stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: "), stderr
    assert lines[0].endswith("nothing applied"), stderr
    for text in expected:
        assert text in stderr, (text, stderr)
    assert Block.list_documents() == []


CASES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "alias bomb": (BOMB.encode(), (f"more than {MAX_NODES} values", "alias bomb")),
    "alias bomb in the keys": (
        b"- type: secret\n  name: k\n  data:\n    value: env://X\n    a: &a {x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}\n"
        + b"".join(
            f"    {n}: &{n} {{{', '.join(f'k{i}: *{p}' for i in range(10))}}}\n".encode()
            for p, n in zip("abcde", "bcdef", strict=True)
        ),
        ("alias bomb",),
    ),
    "non-UTF-8 bytes": (
        b'- type: secret\n  name: a\n  data: {value: "\xff\xfe"}\n',
        ("not UTF-8", "byte 0xff at line 3"),
    ),
    "Latin-1 file": ("- type: secret\n  name: café\n".encode("latin-1"), ("not UTF-8", "line 2")),
    "deep flow nesting": (
        ("- type: secret\n  name: a\n  data: {value: " + "[" * 5000 + "]" * 5000 + "}\n").encode(),
        (f"nested more than {MAX_DEPTH} levels", "line 3"),
    ),
    "deep block nesting": (
        (
            "- type: secret\n  name: a\n  data:\n"
            + "".join("  " * (i + 2) + f"k{i}:\n" for i in range(200))
        ).encode(),
        (f"nested more than {MAX_DEPTH} levels",),
    ),
    "deep through aliases": (
        (
            "- type: secret\n  name: a\n  data:\n    value: env://X\n    l0: &l0 [x]\n"
            + "".join(f"    l{i}: &l{i} [*l{i - 1}]\n" for i in range(1, 100))
        ).encode(),
        ("once aliases are expanded",),
    ),
    "recursive anchor in a sequence": (b"- &a [*a]\n", ("recursive anchor", "line 1")),
    "recursive anchor in data": (
        b"- type: secret\n  name: a\n  data: &d {value: env://A, self: *d}\n",
        ("alias *d", "recursive anchor", "line 3"),
    ),
    "recursive anchor through a merge": (
        b"- type: secret\n  name: a\n  data: &d {<<: *d, value: env://A}\n",
        ("recursive anchor",),
    ),
    "5,000-digit integer": (
        ("- type: secret\n  name: a\n  data: {value: " + "9" * 5000 + "}\n").encode(),
        ("integer of 5000 digits", f"at most {MAX_INT_DIGITS}", "line 3"),
    ),
    "huge hexadecimal integer": (
        ("- type: secret\n  name: a\n  data: {value: 0x" + "f" * 5000 + "}\n").encode(),
        ("integer of 5000 digits",),
    ),
    "duplicate key in an entry": (
        b"- type: secret\n  name: a\n  name: b\n  data: {value: env://A}\n",
        ("duplicate key 'name'", "first given at line 2", "line 3"),
    ),
    "duplicate key in data": (
        b"- type: secret\n  name: a\n  data: {value: env://A, value: env://B}\n",
        ("duplicate key 'value'",),
    ),
    "keys equal once resolved": (
        b"- type: secret\n  name: a\n  data: {value: env://A, 1: x, 0x1: y}\n",
        ("duplicate key 1",),
    ),
    "the same alias twice as a key": (
        b"- type: secret\n  name: a\n  data: {value: env://A, &k x: 1, *k : 2}\n",
        ("duplicate key 'x'",),
    ),
    "NUL character": (b"- type: secret\n  name: a\x00\n", ("#x0000", "line 2")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_file_is_refused_with_one_line(
    runner: CliRunner, tmp_path: Path, case: str
) -> None:
    content, expected = CASES[case]
    path = tmp_path / "blocks.yaml"
    path.write_bytes(content)
    _assert_refused(_apply_file(runner, path), str(path), *expected)


@pytest.mark.parametrize("case", ["alias bomb", "non-UTF-8 bytes", "duplicate key in data"])
def test_hostile_input_on_stdin_is_refused(runner: CliRunner, case: str) -> None:
    content, expected = CASES[case]
    result = runner.invoke(app, ["block", "apply", "-f", "-"], input=content)
    _assert_refused(result, "<stdin>", *expected)


@pytest.mark.parametrize("case", ["alias bomb", "recursive anchor in data", "5,000-digit integer"])
def test_one_bad_document_applies_none_of_the_others(
    runner: CliRunner, tmp_path: Path, case: str
) -> None:
    """Several YAML documents in one file: a bad last one keeps the good first one unsaved."""
    content, expected = CASES[case]
    path = tmp_path / "blocks.yaml"
    path.write_bytes(GOOD.encode() + b"---\n" + content)
    # The bad document starts four lines down, so only the problem itself is compared.
    _assert_refused(_apply_file(runner, path), *(e for e in expected if not e.startswith("line")))


def test_a_bad_document_before_good_ones_applies_none(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "blocks.yaml"
    path.write_bytes(CASES["duplicate key in data"][0] + b"---\n" + GOOD.encode())
    _assert_refused(_apply_file(runner, path), "duplicate key 'value'")


def test_within_the_bounds_everything_still_applies(runner: CliRunner, tmp_path: Path) -> None:
    """Shared anchors, merge keys that override, long (quoted) numbers and UTF-8 all work."""
    text = (
        "- type: secret\n"
        "  name: base\n"
        "  data: &base {value: env://BASE}\n"
        "- type: secret\n"
        "  name: merged\n"
        "  data:\n"
        "    <<: *base\n"
        "    value: env://MERGED\n"  # a merge may be overridden: not a duplicate key
        "- type: secret\n"
        "  name: long\n"
        f"  data: {{value: 'env://N{'9' * 500}'}}  # café, ünïcode\n"
        "---\n"
        "- type: secret\n  name: numbers\n  data: {value: env://N}\n"
    )
    path = tmp_path / "blocks.yaml"
    path.write_text(text, encoding="utf-8")
    result = _apply_file(runner, path)
    assert result.exit_code == 0, result.stderr
    assert Secret.load("merged").model_dump(mode="json")["value"] == "env://MERGED"
    assert sorted(d.reference for d in Block.list_documents()) == [
        "secret/base",
        "secret/long",
        "secret/merged",
        "secret/numbers",
    ]


def test_the_loader_accepts_what_is_within_each_bound() -> None:
    """The bounds are limits, not traps: the largest allowed values load."""
    big = "9" * MAX_INT_DIGITS
    nested = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)  # the document's mapping is a level
    shared = "a: &a [" + ", ".join(["x"] * 99) + "]\nb: [" + ", ".join(["*a"] * 900) + "]\n"
    assert load_documents(f"n: {big}\n", source="f") == [{"n": int(big)}]
    assert load_documents(f"n: {nested}\n", source="f")
    with pytest.raises(YamlFileError, match=f"more than {MAX_DEPTH} levels"):
        load_documents(f"n: [{nested}]\n", source="f")
    assert len(load_documents(shared, source="f")[0]["b"]) == 900
