"""The block conformance suite: ``assert_block_conforms(BlockClass, example)``.

Every package runs it over each of its blocks, with an example instance whose
secret fields hold literal values of at least 4 characters. It needs a store
(use the ``headwater_home`` fixture from :mod:`headwater.testing.fixtures`).
Checks:

- the class is concrete, registered under its slug, and has a description;
- fields whose names look secret (``password``, ``token``, ``api_key``...) are
  secret types;
- capabilities match the interfaces the class implements;
- ``block_json_schema()`` is valid JSON Schema (checked with ``jsonschema``
  when installed) and the example's JSON dump validates against it;
- secret values never appear in ``repr``, ``str``, JSON dumps or the schema;
- save and load round-trip the example;
- the code example parses and its ``load`` line loads the saved example.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from typing import Any

from pydantic.types import _SecretBase

from headwater.blocks import Block
from headwater.blocks import interfaces as _interfaces
from headwater.blocks.core import _mentions_secret
from headwater.blocks.registry import get_block_class
from headwater.blocks.secrets import secret_reference, stored_secret

__all__ = ["SECRET_LOOKING_NAME", "assert_block_conforms"]

SECRET_LOOKING_NAME = re.compile(
    r"(password|passwd|secret|token|api_?key|private_key|secret_key|access_key_secret|"
    r"client_secret|connection_string|webhook_url|passphrase)$"
)
"""Field names that must be secret types (matched at the end of the name)."""

_INTERFACE_CAPABILITIES = {
    _interfaces.CredentialsBlock: {"get-client", "check"},
    _interfaces.WritableFileSystem: {"read-path", "write-path"},
    _interfaces.ObjectStorageBlock: {"object-storage"},
    _interfaces.DatabaseBlock: {"database"},
    _interfaces.NotificationBlock: {"notify"},
    _interfaces.SecretBlock: {"secret"},
    _interfaces.JobBlock: {"job"},
}

EXAMPLE_DOCUMENT_NAME = "conformance-example"


def _literal_secrets(value: Any) -> list[str]:
    """Literal secret values (as text) inside ``value``: what must never be shown."""
    out: list[str] = []
    if isinstance(value, _SecretBase):
        if secret_reference(value) is not None:
            return out
        raw = stored_secret(value)
        out.extend(_texts(raw))
    elif isinstance(value, Block):
        for name in type(value).model_fields:
            out.extend(_literal_secrets(getattr(value, name)))
    elif isinstance(value, list | tuple):
        for v in value:
            out.extend(_literal_secrets(v))
    elif isinstance(value, dict):
        for v in value.values():
            out.extend(_literal_secrets(v))
    return out


def _texts(raw: Any) -> list[str]:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return []
    if isinstance(raw, str):
        return [raw] if len(raw) >= 4 else []
    if isinstance(raw, dict):
        return [t for v in raw.values() for t in _texts(v)]
    if isinstance(raw, list):
        return [t for v in raw for t in _texts(v)]
    return []


def _check_schema(schema: dict[str, Any], instance: Any, problems: list[str]) -> None:
    try:
        import jsonschema
    except ImportError:
        if schema.get("type") != "object" or not isinstance(schema.get("properties", {}), dict):
            problems.append("block_json_schema() is not an object schema with properties")
        return
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        problems.append(f"block_json_schema() is not valid JSON Schema: {exc.message}")
        return
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(instance), key=str)
    if errors:
        problems.append(
            "the example's model_dump(mode='json') does not validate against block_json_schema(): "
            f"{errors[0].message}"
        )


def _run_code_example(block_cls: type[Block], problems: list[str]) -> None:
    code = block_cls.get_code_example()
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        problems.append(f"the code example does not parse: {exc}")
        return
    statements: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and any(
            alias.name == block_cls.__name__ for alias in stmt.names
        ):
            continue  # the class itself is provided below (test modules may not be importable)
        statements.append(stmt)
        if ".load(" in ast.unparse(stmt):
            break
    else:
        problems.append("the code example does not show how to load the block (no .load(...) call)")
        return
    source = ast.unparse(ast.Module(body=statements, type_ignores=[])).replace(
        "BLOCK_NAME", EXAMPLE_DOCUMENT_NAME
    )
    namespace: dict[str, Any] = {block_cls.__name__: block_cls}
    try:
        exec(compile(source, f"<code example of {block_cls.__qualname__}>", "exec"), namespace)
    except Exception as exc:
        problems.append(
            f"the code example's load failed: {type(exc).__name__}: {exc} (ran: {source!r})"
        )
        return
    if not any(isinstance(v, block_cls) for v in namespace.values()):
        problems.append("the code example's load line did not produce a block of this class")


def assert_block_conforms(block_cls: type[Block], example: Block) -> None:
    """Raise AssertionError listing every way ``block_cls`` falls short of the block contract.

    ``example`` is a valid instance; its secrets should be literal values (so
    masking can be checked). The example is saved as ``conformance-example``
    and deleted afterwards.
    """
    problems: list[str] = []
    name = block_cls.__qualname__
    if not (isinstance(block_cls, type) and issubclass(block_cls, Block)):
        raise AssertionError(f"{block_cls!r} is not a Block subclass")
    if not isinstance(example, block_cls):
        raise AssertionError(f"the example is a {type(example).__qualname__}, not a {name}")
    if inspect.isabstract(block_cls):
        missing = ", ".join(sorted(getattr(block_cls, "__abstractmethods__", ())))
        problems.append(f"{name} is abstract (does not implement: {missing})")
    slug = block_cls.get_block_type_slug()
    try:
        registered = get_block_class(slug)
        if registered is not block_cls:
            problems.append(f"slug {slug!r} resolves to {registered.__qualname__}, not {name}")
    except LookupError as exc:
        problems.append(f"slug {slug!r} is not registered: {exc}")
    if not block_cls.get_description():
        problems.append(f"{name} has no description (give it a docstring)")

    for field, info in block_cls.model_fields.items():
        if SECRET_LOOKING_NAME.search(field.lower()) and not _mentions_secret(info.annotation):
            nested_block = isinstance(info.annotation, type) and issubclass(info.annotation, Block)
            if not nested_block:
                problems.append(
                    f"field {field!r} looks like a secret but is typed {info.annotation!r}; "
                    "use SecretStr, SecretBytes or SecretDict"
                )

    capabilities = block_cls.get_block_capabilities()
    for interface, caps in _INTERFACE_CAPABILITIES.items():
        if issubclass(block_cls, interface) and not caps <= capabilities:
            problems.append(
                f"capabilities {sorted(capabilities)} lack {sorted(caps - capabilities)}"
            )

    schema = block_cls.block_json_schema()
    for key in ("block_type_slug", "block_schema_version", "secret_fields", "capabilities"):
        if key not in schema:
            problems.append(f"block_json_schema() has no {key!r}")
    dumped = example.model_dump(mode="json")
    _check_schema(schema, dumped, problems)

    secrets = _literal_secrets(example)
    shown = {
        "repr()": repr(example),
        "str()": str(example),
        "model_dump_json()": example.model_dump_json(),
        "model_dump(mode='json')": json.dumps(dumped),
        "block_json_schema()": json.dumps(schema),
    }
    for where, text in shown.items():
        if any(secret in text for secret in secrets):
            problems.append(f"a secret value appears in {where}")

    try:
        example.save(EXAMPLE_DOCUMENT_NAME, overwrite=True)
        loaded = block_cls.load(EXAMPLE_DOCUMENT_NAME)
        revealed = {"include_secrets": True}
        if loaded.model_dump(mode="json", context=revealed) != example.model_dump(
            mode="json", context=revealed
        ):
            problems.append("save/load does not round-trip the example")
        _run_code_example(block_cls, problems)
    except Exception as exc:
        problems.append(f"save/load failed: {type(exc).__name__}: {exc}")
    finally:
        try:
            block_cls.delete(EXAMPLE_DOCUMENT_NAME)
        except Exception:
            pass

    if problems:
        raise AssertionError(
            f"{name} does not conform to the block contract:\n- " + "\n- ".join(problems)
        )
