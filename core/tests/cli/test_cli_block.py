"""``headwater block types|ls|inspect|create|delete|check|migrate`` against the real store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cli_block_support import (
    SECRET_VALUE,
    CliDatabaseCredentials,
    CliVersioned,
    CliWarehouse,
    assert_secret_hidden,
    output_of,
)
from typer.testing import CliRunner

from headwater.blocks import Block, Secret
from headwater.cli import app
from headwater.cli import block as block_cli

DB = "cli-database-credentials"


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> Any:
    return runner.invoke(app, ["block", *args], input=input)


def create_db(
    runner: CliRunner, name: str = "prod", *extra: str, password: str = SECRET_VALUE
) -> Any:
    result = invoke(
        runner,
        "create",
        f"{DB}/{name}",
        "--set",
        "host=db.example.com",
        "--set",
        "port=6543",
        "--set",
        f"password={password}",
        *extra,
    )
    assert result.exit_code == 0, output_of(result)
    return result


# --- types ------------------------------------------------------------------------------


def test_types_lists_installed_types_with_their_package(runner: CliRunner) -> None:
    result = invoke(runner, "types", "-o", "json")
    assert result.exit_code == 0, output_of(result)
    types = {row["slug"]: row for row in json.loads(result.stdout)}
    assert types["secret"]["package"] == "headwater"
    assert types["local-file-system"]["package"] == "headwater"
    db = types[DB]
    assert db["class"] == "cli_block_support:CliDatabaseCredentials"
    assert {"get-client", "check"} <= set(db["capabilities"])
    assert db["secret_fields"] == ["password", "api_token"]
    assert db["description"].startswith("Credentials for the CLI tests")

    table = invoke(runner, "types")
    assert table.exit_code == 0
    assert "local-file-system" in table.stdout
    assert DB in table.stdout


# --- create, ls, inspect ----------------------------------------------------------------


def test_create_then_ls_and_inspect_mask_the_secret(runner: CliRunner) -> None:
    created = create_db(runner)
    assert_secret_hidden(created)
    assert f"{DB}/prod" in created.stdout

    loaded = CliDatabaseCredentials.load("prod")
    assert loaded.port == 6543  # parsed as JSON
    assert loaded.password.get_secret_value() == SECRET_VALUE

    listed = invoke(runner, "ls", "-o", "json")
    assert [d["address"] for d in json.loads(listed.stdout)] == [f"{DB}/prod"]
    assert_secret_hidden(listed)
    assert f"{DB}/prod" in invoke(runner, "ls").stdout

    inspected = invoke(runner, "inspect", f"{DB}/prod", "-o", "json")
    assert inspected.exit_code == 0, output_of(inspected)
    data = json.loads(inspected.stdout)
    assert data["data"] == {
        "host": "db.example.com",
        "port": 6543,
        "username": "app",
        "password": "********",
        "api_token": None,
    }
    assert data["type"] == DB
    assert "check" in data["capabilities"]
    assert_secret_hidden(inspected)

    table = invoke(runner, "inspect", f"{DB}/prod")
    assert table.exit_code == 0
    assert "db.example.com" in table.stdout
    assert "********" in table.stdout
    assert_secret_hidden(table)


def test_references_are_shown_as_references(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLI_DB_PASSWORD", SECRET_VALUE)
    create_db(runner, "ref", password="env://CLI_DB_PASSWORD")
    data = json.loads(invoke(runner, "inspect", f"{DB}/ref", "-o", "json").stdout)
    assert data["data"]["password"] == "env://CLI_DB_PASSWORD"
    assert CliDatabaseCredentials.load("ref").password.get_secret_value() == SECRET_VALUE


def test_string_fields_keep_text_that_looks_like_json(runner: CliRunner) -> None:
    result = invoke(runner, "create", "secret/pin", "--set", "value=0123")
    assert result.exit_code == 0, output_of(result)
    assert Secret.load("pin").get() == "0123"
    assert "0123" not in invoke(runner, "inspect", "secret/pin").stdout


def test_ls_filters_by_type(runner: CliRunner) -> None:
    create_db(runner)
    assert invoke(runner, "create", "secret/token", "--set", "value=abc").exit_code == 0
    only = json.loads(invoke(runner, "ls", "--type", "secret", "-o", "json").stdout)
    assert [d["address"] for d in only] == ["secret/token"]
    everything = json.loads(invoke(runner, "ls", "-o", "json").stdout)
    assert [d["address"] for d in everything] == [f"{DB}/prod", "secret/token"]


def test_ls_empty(runner: CliRunner) -> None:
    assert "No blocks" in invoke(runner, "ls").stdout
    assert json.loads(invoke(runner, "ls", "-o", "json").stdout) == []


def test_create_nested_fields_with_dots(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(
        runner,
        "create",
        "cli-warehouse/main",
        "--set",
        "credentials.host=wh.example.com",
        "--set",
        "credentials.password=env://WH_PASSWORD",
        "--set",
        "schema_name=analytics",
    )
    assert result.exit_code == 0, output_of(result)
    loaded = CliWarehouse.load("main")
    assert loaded.credentials.host == "wh.example.com"
    monkeypatch.setenv("WH_PASSWORD", "pw")
    assert loaded.credentials.password.get_secret_value() == "pw"
    data = json.loads(invoke(runner, "inspect", "cli-warehouse/main", "-o", "json").stdout)
    assert data["data"]["credentials"]["password"] == "env://WH_PASSWORD"


def test_create_with_a_saved_nested_block(runner: CliRunner) -> None:
    create_db(runner, "shared")
    result = invoke(
        runner, "create", "cli-warehouse/w", "--set", f'credentials={{"$block": "{DB}/shared"}}'
    )
    assert result.exit_code == 0, output_of(result)
    data = json.loads(invoke(runner, "inspect", "cli-warehouse/w", "-o", "json").stdout)
    assert data["nested_blocks"] == {"credentials": f"{DB}/shared"}
    assert data["data"]["credentials"]["password"] == "********"
    assert_secret_hidden(invoke(runner, "inspect", "cli-warehouse/w"))

    missing = invoke(
        runner, "create", "cli-warehouse/x", "--set", f'credentials={{"$block": "{DB}/nope"}}'
    )
    assert missing.exit_code == 1
    assert f"'{DB}/nope' not found" in missing.stderr


def test_name_taken_fails_and_changes_nothing(runner: CliRunner) -> None:
    create_db(runner)
    again = invoke(runner, "create", f"{DB}/prod", "--set", "host=other", "--set", "password=x")
    assert again.exit_code == 1
    assert "prod" in again.stderr
    assert "--overwrite" in again.stderr
    assert "Traceback" not in output_of(again)
    assert CliDatabaseCredentials.load("prod").host == "db.example.com"

    replaced = invoke(
        runner, "create", f"{DB}/prod", "--set", "host=other", "--set", "password=x", "--overwrite"
    )
    assert replaced.exit_code == 0, output_of(replaced)
    assert CliDatabaseCredentials.load("prod").host == "other"


def test_unknown_type_is_one_line_error(runner: CliRunner) -> None:
    result = invoke(runner, "create", "no-such-type/x", "--set", "a=1")
    assert result.exit_code == 1
    assert "no-such-type" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert invoke(runner, "inspect", "no-such-type/x").exit_code == 1


def test_known_integration_slug_names_the_package(runner: CliRunner) -> None:
    result = invoke(runner, "create", "gcp-credentials/prod", "--set", "region_name=eu")
    assert result.exit_code == 1
    assert "headwater-gcp" in result.stderr


def test_invalid_field_value_names_the_field_not_the_value(runner: CliRunner) -> None:
    result = invoke(
        runner,
        "create",
        f"{DB}/bad",
        "--set",
        "host=h",
        "--set",
        f"port={SECRET_VALUE}",
        "--set",
        f"password={SECRET_VALUE}",
    )
    assert result.exit_code == 1
    assert "'port'" in result.stderr
    assert_secret_hidden(result)
    assert Block.list_documents() == []


def test_unknown_and_missing_fields(runner: CliRunner) -> None:
    unknown = invoke(
        runner, "create", f"{DB}/x", "--set", "host=h", "--set", "password=p", "--set", "colour=red"
    )
    assert unknown.exit_code == 1
    assert "'colour': unknown field" in unknown.stderr

    missing = invoke(runner, "create", f"{DB}/x", "--set", "host=h")
    assert missing.exit_code == 1
    assert "'password'" in missing.stderr
    assert Block.list_documents() == []


def test_bad_reference_is_refused(runner: CliRunner) -> None:
    for reference in ("env://", "env://not a name", "file://relative/path"):
        result = invoke(runner, "create", "secret/r", "--set", f"value={reference}")
        assert result.exit_code == 1, reference
        assert "'value'" in result.stderr
        assert "reference" in result.stderr
    assert Block.list_documents() == []


def test_unknown_scheme_warns_and_is_stored_as_a_value(runner: CliRunner) -> None:
    result = invoke(runner, "create", "secret/typo", "--set", "value=evn://DB_PASSWORD")
    assert result.exit_code == 0, output_of(result)
    assert "evn://" in result.stderr
    assert "literal" in result.stderr
    assert "DB_PASSWORD" not in result.stderr  # the value itself is never echoed


def test_bad_address_and_bad_set(runner: CliRunner) -> None:
    no_slash = invoke(runner, "inspect", "prod")
    assert no_slash.exit_code == 1
    assert "TYPE/NAME" in no_slash.stderr
    bad_set = invoke(runner, "create", "secret/x", "--set", "novalue")
    assert bad_set.exit_code == 1
    assert "field=value" in bad_set.stderr
    bad_name = invoke(runner, "create", "secret/Bad Name", "--set", "value=x")
    assert bad_name.exit_code == 1
    assert "name" in bad_name.stderr


def test_secret_fields_are_prompted_with_hidden_input(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(block_cli, "_stdin_is_terminal", lambda: True)
    # password is required: asked; api_token is optional: Enter leaves it unset.
    result = invoke(
        runner, "create", f"{DB}/prompted", "--set", "host=h", input=f"{SECRET_VALUE}\n\n"
    )
    assert result.exit_code == 0, output_of(result)
    assert "password" in result.stderr
    assert_secret_hidden(result)
    loaded = CliDatabaseCredentials.load("prompted")
    assert loaded.password.get_secret_value() == SECRET_VALUE
    assert loaded.api_token is None


def test_no_prompt_without_a_terminal(runner: CliRunner) -> None:
    result = invoke(runner, "create", f"{DB}/x", "--set", "host=h", input=f"{SECRET_VALUE}\n")
    assert result.exit_code == 1
    assert "'password'" in result.stderr
    assert_secret_hidden(result)


# --- delete -----------------------------------------------------------------------------


def test_delete_asks_unless_yes(runner: CliRunner) -> None:
    create_db(runner)
    declined = invoke(runner, "delete", f"{DB}/prod", input="n\n")
    assert declined.exit_code == 1
    assert CliDatabaseCredentials.load("prod").host == "db.example.com"

    accepted = invoke(runner, "delete", f"{DB}/prod", input="y\n")
    assert accepted.exit_code == 0, output_of(accepted)
    assert Block.list_documents() == []

    create_db(runner)
    assert invoke(runner, "delete", f"{DB}/prod", "--yes").exit_code == 0
    assert Block.list_documents() == []


def test_delete_unknown_block(runner: CliRunner) -> None:
    result = invoke(runner, "delete", f"{DB}/nope", "--yes")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: block '{DB}/nope' not found (see 'headwater block ls --type {DB}')"
    )


# --- check ------------------------------------------------------------------------------


def test_check_success_and_failure(runner: CliRunner) -> None:
    create_db(runner, "good", password="right")
    ok = invoke(runner, "check", f"{DB}/good")
    assert ok.exit_code == 0, output_of(ok)
    assert "connected to db.example.com:6543" in ok.stdout

    create_db(runner, "bad")
    failed = invoke(runner, "check", f"{DB}/bad")
    assert failed.exit_code == 1
    assert "authentication failed for app" in failed.stderr
    assert_secret_hidden(failed)

    as_json = invoke(runner, "check", f"{DB}/bad", "-o", "json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["ok"] is False


def test_check_with_unresolvable_reference_names_it(runner: CliRunner) -> None:
    create_db(runner, "ref", password="env://CLI_UNSET_PASSWORD")
    result = invoke(runner, "check", f"{DB}/ref")
    assert result.exit_code == 1
    assert "env://CLI_UNSET_PASSWORD" in result.stderr
    assert "password" in result.stderr


def test_check_on_a_block_without_check(runner: CliRunner) -> None:
    assert invoke(runner, "create", "secret/s", "--set", "value=x").exit_code == 0
    result = invoke(runner, "check", "secret/s")
    assert result.exit_code == 1
    assert "no connection check" in result.stderr


# --- migrate ----------------------------------------------------------------------------


def test_migrate_dry_run_then_rewrite(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    CliVersioned(label="old").save("v")
    monkeypatch.setattr(CliVersioned, "_block_schema_version", 2)
    monkeypatch.setattr(
        CliVersioned, "_block_migrations", {1: lambda d: {**d, "label": d["label"].upper()}}
    )

    dry = invoke(runner, "migrate", "--dry-run")
    assert dry.exit_code == 0, output_of(dry)
    assert "cli-versioned/v" in dry.stdout
    assert "nothing was written" in dry.stdout
    listed = json.loads(invoke(runner, "ls", "--type", "cli-versioned", "-o", "json").stdout)
    assert listed[0]["schema_version"] == 1

    done = invoke(runner, "migrate", "-o", "json")
    assert done.exit_code == 0, output_of(done)
    reports = json.loads(done.stdout)
    assert len(reports) == 1
    listed = json.loads(invoke(runner, "ls", "--type", "cli-versioned", "-o", "json").stdout)
    assert listed[0]["schema_version"] == 2
    assert CliVersioned.load("v").label == "OLD"

    assert "current schema version" in invoke(runner, "migrate").stdout
