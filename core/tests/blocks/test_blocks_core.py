"""Block basics: slugs, metadata, save/load/delete/list on SQLite and PostgreSQL, bad input."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from headwater.blocks import (
    Block,
    BlockNotFound,
    CredentialsBlock,
    LocalFileSystem,
    NotificationBlock,
    Secret,
    UnknownBlockType,
    WritableFileSystem,
    registered_block_types,
)
from headwater.blocks._naming import kebab_case
from headwater.errors import ObjectAlreadyExists


class CoreTestCredentials(CredentialsBlock):
    """Credentials for the core block tests.

    A second paragraph that is not part of the description.

    Example:
        ```python
        from tests_blocks import CoreTestCredentials

        creds = CoreTestCredentials.load("BLOCK_NAME")
        ```
    """

    _logo_url = "https://example.com/logo.png"

    username: str
    password: SecretStr
    port: int = 5432

    def get_client(self) -> dict[str, str]:
        return {"user": self.username}


class CoreTestNotifier(NotificationBlock):
    """Collects notifications in memory."""

    channel: str = "general"

    def notify(self, body: str, subject: str | None = None) -> None:  # pragma: no cover
        pass


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("AwsCredentials", "aws-credentials"),
        ("S3Bucket", "s3-bucket"),
        ("SqlAlchemyConnector", "sql-alchemy-connector"),
        ("HTTPServer", "http-server"),
        ("LocalFileSystem", "local-file-system"),
        ("Secret", "secret"),
    ],
)
def test_slug_is_the_class_name_kebab_cased(name: str, slug: str) -> None:
    assert kebab_case(name) == slug


def test_class_metadata() -> None:
    assert CoreTestCredentials.get_block_type_slug() == "core-test-credentials"
    assert CoreTestCredentials.get_description() == "Credentials for the core block tests."
    assert CoreTestCredentials.get_code_example().endswith(
        'creds = CoreTestCredentials.load("BLOCK_NAME")'
    )
    assert "```" not in CoreTestCredentials.get_code_example()
    assert CoreTestCredentials.get_block_capabilities() == {"get-client", "check"}
    assert CoreTestNotifier.get_block_capabilities() == {"notify"}
    assert LocalFileSystem.get_block_capabilities() == {"read-path", "write-path"}
    assert Secret.get_block_capabilities() == {"secret"}
    # No Example section: a generated load() example.
    assert 'CoreTestNotifier.load("BLOCK_NAME")' in CoreTestNotifier.get_code_example()


def test_json_schema_carries_block_metadata() -> None:
    schema = CoreTestCredentials.block_json_schema()
    assert schema["block_type_slug"] == "core-test-credentials"
    assert schema["block_schema_version"] == 1
    assert schema["secret_fields"] == ["password"]
    assert schema["capabilities"] == ["check", "get-client"]
    assert schema["properties"]["password"]["writeOnly"] is True
    assert schema["required"] == ["username", "password"]


def test_registry_knows_core_and_local_types() -> None:
    types = registered_block_types()
    assert types["secret"].cls is Secret
    assert types["secret"].package == "headwater"
    assert types["local-file-system"].cls is LocalFileSystem
    assert types["core-test-credentials"].cls is CoreTestCredentials
    assert "credentials-block" not in types  # interfaces are abstract, not types


def test_duplicate_slug_from_another_class_is_refused() -> None:
    with pytest.raises(
        TypeError, match=r"slug 'secret' .* already used by headwater\.blocks\.system\.Secret"
    ):

        class Impostor(Block):
            _block_type_slug = "secret"


def test_save_load_delete_round_trip(store_url: str) -> None:
    creds = CoreTestCredentials(username="ada", password="s3cret-pw", port=6543)
    doc_id = creds.save("prod")
    assert creds.block_document_id == doc_id
    assert creds.block_document_name == "prod"

    loaded = CoreTestCredentials.load("prod")
    assert loaded == creds
    assert loaded.password.get_secret_value() == "s3cret-pw"
    assert loaded.block_document_id == doc_id

    generic = Block.load("core-test-credentials/prod")
    assert isinstance(generic, CoreTestCredentials)
    assert generic.port == 6543

    [info] = CoreTestCredentials.list_documents()
    assert (info.id, info.block_type_slug, info.name, info.schema_version) == (
        doc_id,
        "core-test-credentials",
        "prod",
        1,
    )
    assert info.reference == "core-test-credentials/prod"

    Block.delete("core-test-credentials/prod")
    with pytest.raises(BlockNotFound, match="core-test-credentials/prod"):
        CoreTestCredentials.load("prod")
    assert Block.list_documents() == []


def test_name_taken_fails_and_changes_nothing(store_url: str) -> None:
    first = CoreTestCredentials(username="ada", password="one-pw")
    first_id = first.save("shared")
    with pytest.raises(
        ValueError, match=r"'core-test-credentials/shared' already exists.*overwrite=True"
    ):
        CoreTestCredentials(username="bob", password="two-pw").save("shared")
    assert CoreTestCredentials.load("shared").username == "ada"

    second_id = CoreTestCredentials(username="bob", password="two-pw").save(
        "shared", overwrite=True
    )
    assert second_id == first_id  # overwrite keeps the document
    again = CoreTestCredentials.load("shared")
    assert (again.username, again.password.get_secret_value()) == ("bob", "two-pw")
    assert len(Block.list_documents()) == 1


def test_name_taken_is_object_already_exists() -> None:
    Secret(value="abcdef").save("x")
    with pytest.raises(ObjectAlreadyExists):
        Secret(value="ghijkl").save("x")


@pytest.mark.parametrize("bad", ["", "Prod", "a/b", "has space", "-lead", "x" * 101, "ünï"])
def test_invalid_names_are_refused_with_the_rule(bad: str) -> None:
    with pytest.raises(ValueError, match="lowercase letters, digits"):
        Secret(value="abcdef").save(bad)
    assert Block.list_documents() == []


def test_same_name_in_two_types_are_two_documents() -> None:
    Secret(value="abcdef").save("same")
    LocalFileSystem(basepath="/tmp").save("same")
    assert {d.reference for d in Block.list_documents()} == {
        "secret/same",
        "local-file-system/same",
    }
    assert Secret.list_documents()[0].reference == "secret/same"
    assert [d.name for d in Block.list_documents("local-file-system")] == ["same"]
    assert [d.reference for d in WritableFileSystem.list_documents()] == ["local-file-system/same"]


def test_unknown_type_names_the_package_to_install() -> None:
    # (types of integrations that are not installed next to the core in any test session)
    with pytest.raises(UnknownBlockType, match="pip install headwater-gcp"):
        Block.load("gcp-credentials/prod")
    with pytest.raises(UnknownBlockType, match="pip install headwater-snowflake"):
        Block.load("snowflake-connector/warehouse")
    with pytest.raises(UnknownBlockType, match="unknown block type 'no-such-thing'"):
        Block.load("no-such-thing/x")
    assert isinstance(UnknownBlockType("x"), LookupError)


def test_load_on_base_needs_a_slug_and_checks_the_class() -> None:
    Secret(value="abcdef").save("mine")
    with pytest.raises(ValueError, match="needs 'block-type-slug/name'"):
        Block.load("mine")
    with pytest.raises(ValueError, match="is a Secret block, not a LocalFileSystem"):
        LocalFileSystem.load("secret/mine")
    assert isinstance(Block.load("secret/mine"), Secret)
    with pytest.raises(ValueError, match="not a WritableFileSystem"):
        WritableFileSystem.load("secret/mine")


def test_missing_block_lists_saved_names() -> None:
    Secret(value="abcdef").save("alpha")
    with pytest.raises(
        BlockNotFound, match=r"no block 'secret/beta' is saved \(saved secret blocks: alpha\)"
    ):
        Secret.load("beta")
    with pytest.raises(BlockNotFound):
        Secret.delete("beta")


def test_invalid_field_values_name_the_field_and_hide_the_input() -> None:
    with pytest.raises(ValidationError) as info:
        CoreTestCredentials(username="ada", password="hunter2-value", port="not-a-port")
    text = str(info.value)
    assert "port" in text
    assert "not-a-port" not in text
    with pytest.raises(ValidationError, match=r"unexpected|Extra inputs"):
        CoreTestCredentials(username="ada", password="pw12", colour="red")
    creds = CoreTestCredentials(username="ada", password="pw12")
    with pytest.raises(ValidationError, match="port"):
        creds.port = "nope"  # type: ignore[assignment]


def test_abstract_interfaces_cannot_be_instantiated() -> None:
    with pytest.raises(TypeError):
        WritableFileSystem()  # type: ignore[abstract]


def test_async_twins() -> None:
    async def main() -> tuple[str, str, int]:
        doc_id = await Secret(value="async-secret").asave("a")
        loaded = await Secret.aload("a")
        docs = await Secret.alist_documents()
        await Secret.adelete("a")
        return doc_id, loaded.get(), len(docs)

    doc_id, value, count = asyncio.run(main())
    assert value == "async-secret"
    assert count == 1
    assert doc_id
    assert Secret.list_documents() == []


def test_entry_point_block_types_are_imported_lazily(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    root = tmp_path
    (root / "hw_test_block_pkg.py").write_text(
        "from headwater.blocks import Block\n\n"
        "class EntryPointTestBlock(Block):\n"
        '    """A block found through an entry point."""\n\n'
        "    colour: str\n"
    )
    dist = root / "hw_test_block_pkg-2.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hw-test-block-pkg\nVersion: 2.0\n")
    (dist / "entry_points.txt").write_text(
        "[headwater.blocks]\n"
        "entry-point-test-block = hw_test_block_pkg:EntryPointTestBlock\n"
        "broken-test-block = hw_test_block_pkg_missing:Nothing\n"
    )
    monkeypatch.syspath_prepend(str(root))
    try:
        assert "hw_test_block_pkg" not in sys.modules
        with pytest.raises(BlockNotFound):
            Block.load("entry-point-test-block/x")  # imported on demand, then not found
        assert "hw_test_block_pkg" in sys.modules
        cls = sys.modules["hw_test_block_pkg"].EntryPointTestBlock
        cls(colour="teal").save("x")
        assert Block.load("entry-point-test-block/x").colour == "teal"  # type: ignore[attr-defined]

        types = registered_block_types()
        assert types["entry-point-test-block"].package == "hw-test-block-pkg"
        assert types["entry-point-test-block"].cls is cls
        broken = types["broken-test-block"]
        assert broken.cls is None
        assert broken.error is not None
        assert "ModuleNotFoundError" in broken.error
        with pytest.raises(
            UnknownBlockType, match=r"registered by hw-test-block-pkg .* cannot be imported"
        ):
            Block.load("broken-test-block/y")
    finally:
        from headwater.blocks.registry import _unregister_block_type

        _unregister_block_type("entry-point-test-block")
        sys.modules.pop("hw_test_block_pkg", None)
