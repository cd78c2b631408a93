"""``headwater block apply`` and ``export``: all-or-nothing YAML, secrets only as references."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_block_support import (
    SECRET_VALUE,
    CliDatabaseCredentials,
    CliWarehouse,
    assert_secret_hidden,
    output_of,
)
from typer.testing import CliRunner

from headwater.blocks import Block, Secret
from headwater.cli import app

DB = "cli-database-credentials"

TWO_BLOCKS = """\
- type: cli-database-credentials
  name: prod
  data:
    host: db.example.com
    port: 6543
    password: env://CLI_DB_PASSWORD
- type: secret
  name: api-key
  data:
    value: file:///run/secrets/api-key
"""


def apply(runner: CliRunner, tmp_path: Path, text: str, *args: str) -> Any:
    path = tmp_path / "blocks.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return runner.invoke(app, ["block", "apply", "-f", str(path), *args])


def stored() -> dict[str, Any]:
    """Every saved document's full data (secrets included), by address, for comparisons."""
    return {
        info.reference: Block.load(info.reference).model_dump(
            mode="json", context={"include_secrets": True}
        )
        for info in Block.list_documents()
    }


def test_apply_creates_then_is_idempotent_then_updates(runner: CliRunner, tmp_path: Path) -> None:
    first = apply(runner, tmp_path, TWO_BLOCKS)
    assert first.exit_code == 0, output_of(first)
    assert f"{DB}/prod: created" in first.stdout
    assert "secret/api-key: created" in first.stdout
    creds = CliDatabaseCredentials.load("prod")
    assert creds.port == 6543
    assert creds.model_dump(mode="json")["password"] == "env://CLI_DB_PASSWORD"

    again = apply(runner, tmp_path, TWO_BLOCKS, "-o", "json")
    assert again.exit_code == 0, output_of(again)
    assert json.loads(again.stdout) == [
        {"type": DB, "name": "prod", "action": "unchanged"},
        {"type": "secret", "name": "api-key", "action": "unchanged"},
    ]

    changed = apply(runner, tmp_path, TWO_BLOCKS.replace("6543", "7000"), "-o", "json")
    assert [r["action"] for r in json.loads(changed.stdout)] == ["updated", "unchanged"]
    assert CliDatabaseCredentials.load("prod").port == 7000


def test_dry_run_saves_nothing(runner: CliRunner, tmp_path: Path) -> None:
    result = apply(runner, tmp_path, TWO_BLOCKS, "--dry-run")
    assert result.exit_code == 0, output_of(result)
    assert f"{DB}/prod: would be created" in result.stdout
    assert Block.list_documents() == []


def test_error_in_second_entry_saves_nothing(
    runner: CliRunner, tmp_path: Path, store_url: str
) -> None:
    bad = TWO_BLOCKS + textwrap.dedent(
        """\
        - type: cli-database-credentials
          name: broken
          data:
            host: h
            port: not-a-port
            password: env://X
        """
    )
    # The bad entry is the third; also try it as the second (before a good one).
    for text in (bad, bad.replace("- type: secret", "- type: secret\n  # moved", 1)):
        result = apply(runner, tmp_path, text)
        assert result.exit_code == 1
        assert "entry 3" in result.stderr
        assert "'port'" in result.stderr
        assert "nothing applied" in result.stderr
        assert Block.list_documents() == []

    second_bad = """\
    - type: secret
      name: good
      data: {value: env://GOOD}
    - type: secret
      name: bad
      data: {value: env://GOOD, colour: red}
    """
    result = apply(runner, tmp_path, second_bad)
    assert result.exit_code == 1
    assert "entry 2 (secret/bad)" in result.stderr
    assert "'colour': unknown field" in result.stderr
    assert Block.list_documents() == []


def test_an_update_is_not_applied_when_another_entry_fails(
    runner: CliRunner, tmp_path: Path
) -> None:
    assert apply(runner, tmp_path, TWO_BLOCKS).exit_code == 0
    before = stored()
    text = TWO_BLOCKS.replace("6543", "7000") + "- type: no-such-type\n  name: x\n  data: {}\n"
    result = apply(runner, tmp_path, text)
    assert result.exit_code == 1
    assert "no-such-type" in result.stderr
    assert stored() == before


def test_literal_secrets_are_refused(runner: CliRunner, tmp_path: Path) -> None:
    text = f"""\
    - type: secret
      name: literal
      data:
        value: {SECRET_VALUE}
    """
    result = apply(runner, tmp_path, text)
    assert result.exit_code == 1
    assert "secret field 'value' holds a literal value" in result.stderr
    assert_secret_hidden(result)
    assert Block.list_documents() == []


def test_bad_files(runner: CliRunner, tmp_path: Path) -> None:
    cases = {
        "- type: secret\n  name: [unclosed\n": "line",
        "- just a string\n": "expected a mapping",
        "- type: secret\n  name: a\n  data: {value: env://A}\n  extra: 1\n": "unknown key(s) extra",
        "- type: secret\n  name: Bad Name\n  data: {value: env://A}\n": "block name 'Bad Name'",
        "- {type: secret, name: a, data: {value: env://A}}\n"
        "- {type: secret, name: a, data: {value: env://B}}\n": "also given as entry 1",
        "- type: secret\n  name: a\n  data: {value: 'env://'}\n": "reference",
        "[]\n": "no blocks",
    }
    for text, expected in cases.items():
        result = apply(runner, tmp_path, text)
        assert result.exit_code == 1, text
        assert expected in result.stderr, (text, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert Block.list_documents() == []

    missing = runner.invoke(app, ["block", "apply", "-f", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1
    assert "nope.yaml" in missing.stderr


def test_nested_block_by_reference_in_the_same_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The warehouse comes first in the file but needs the credentials saved first.
    text = """\
    - type: cli-warehouse
      name: main
      data:
        credentials: {$block: cli-database-credentials/shared}
        schema_name: analytics
    - type: cli-database-credentials
      name: shared
      data: {host: one.example.com, password: env://CLI_DB_PASSWORD}
    """
    result = apply(runner, tmp_path, text)
    assert result.exit_code == 0, output_of(result)
    assert CliWarehouse.load("main").credentials.host == "one.example.com"

    # Updating the shared credentials changes the warehouse that refers to them.
    assert (
        apply(runner, tmp_path, text.replace("one.example.com", "two.example.com")).exit_code == 0
    )
    assert CliWarehouse.load("main").credentials.host == "two.example.com"

    exported = yaml.safe_load(runner.invoke(app, ["block", "export"]).stdout)
    warehouse = next(e for e in exported if e["type"] == "cli-warehouse")
    assert warehouse["data"]["credentials"] == {"$block": f"{DB}/shared"}


def test_unknown_block_reference(runner: CliRunner, tmp_path: Path) -> None:
    text = """\
    - type: cli-warehouse
      name: main
      data:
        credentials: {$block: cli-database-credentials/missing}
    """
    result = apply(runner, tmp_path, text)
    assert result.exit_code == 1
    assert "cli-database-credentials/missing" in result.stderr
    assert Block.list_documents() == []


def test_export_writes_references_and_placeholders_never_values(
    runner: CliRunner, tmp_path: Path
) -> None:
    assert apply(runner, tmp_path, TWO_BLOCKS).exit_code == 0
    Secret(value=SECRET_VALUE).save("literal")

    result = runner.invoke(app, ["block", "export"])
    assert result.exit_code == 0, output_of(result)
    assert_secret_hidden(result)
    entries = yaml.safe_load(result.stdout)
    by_address = {f"{e['type']}/{e['name']}": e["data"] for e in entries}
    assert by_address[f"{DB}/prod"]["password"] == "env://CLI_DB_PASSWORD"
    assert by_address["secret/api-key"] == {"value": "file:///run/secrets/api-key"}
    assert by_address["secret/literal"] == {"value": "<secret: set me>"}
    assert "secret/literal" in result.stderr
    assert "'value'" in result.stderr

    only = yaml.safe_load(runner.invoke(app, ["block", "export", "--type", "secret"]).stdout)
    assert {e["name"] for e in only} == {"api-key", "literal"}

    # Applying an export with a placeholder is refused until a reference replaces it.
    refused = apply(runner, tmp_path, result.stdout)
    assert refused.exit_code == 1
    assert "placeholder" in refused.stderr


def test_round_trip_export_delete_apply(runner: CliRunner, tmp_path: Path, store_url: str) -> None:
    text = TWO_BLOCKS + textwrap.dedent(
        """\
        - type: cli-warehouse
          name: inline
          data:
            credentials: {host: inline.example.com, password: env://INLINE_PW, port: 1}
        - type: local-file-system
          name: results
          data: {basepath: /tmp/hw-results}
        """
    )
    assert apply(runner, tmp_path, text).exit_code == 0
    before = stored()
    assert len(before) == 4

    exported = runner.invoke(app, ["block", "export", "-f", str(tmp_path / "export.yaml")])
    assert exported.exit_code == 0, output_of(exported)
    for address in before:
        assert runner.invoke(app, ["block", "delete", address, "--yes"]).exit_code == 0
    assert Block.list_documents() == []

    restored = runner.invoke(app, ["block", "apply", "-f", str(tmp_path / "export.yaml")])
    assert restored.exit_code == 0, output_of(restored)
    assert restored.stdout.count(": created") == 4
    assert stored() == before


def test_export_empty(runner: CliRunner) -> None:
    result = runner.invoke(app, ["block", "export"])
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout) == []


def test_a_failed_save_puts_back_what_was_saved(runner: CliRunner, tmp_path: Path) -> None:
    Secret(value="env://OLD").save("kept")
    text = """\
    - {type: secret, name: fresh, data: {value: env://NEW}}
    - {type: secret, name: kept, data: {value: env://CHANGED}}
    - {type: cli-fragile, name: boom, data: {value: fail}}
    """
    result = apply(runner, tmp_path, text)
    assert result.exit_code == 1
    assert "entry 3 (cli-fragile/boom)" in result.stderr
    assert "the disk is full" in result.stderr
    assert "nothing applied" in result.stderr
    assert [i.reference for i in Block.list_documents()] == ["secret/kept"]
    assert Secret.load("kept").model_dump(mode="json")["value"] == "env://OLD"
