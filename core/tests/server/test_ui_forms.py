"""Block forms from JSON schema (``headwater.server.ui._forms``): the fields generated for
each kind of pydantic field, what an edit form shows (never a secret), and posted
strings back to data the block class validates."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, SecretStr

from headwater.blocks import Block, SecretDict
from headwater.server.ui import _forms
from headwater.server.ui._forms import KEEP_INLINE, MISSING, FieldSpec


class FormUnitToken(BaseModel):
    """Token authentication."""

    token_id: str


class FormUnitBasic(BaseModel):
    """User and port."""

    user: str
    port: int = 22


class FormUnitNode(BaseModel):
    """A model that contains itself."""

    label: str
    child: FormUnitNode | None = None


class FormUnitTree(Block):
    """A block with a recursive field."""

    root: FormUnitNode


class FormUnitKinds(Block):
    """Every kind of field the form generator handles."""

    title: str = Field(description="A title.")
    count: int = Field(default=3, ge=1, le=10)
    ratio: float | None = None
    enabled: bool = True
    maybe: bool | None = None
    mode: Literal["fast", "slow"] = "fast"
    tags: list[str] = Field(default_factory=list)
    numbers: list[int] = []
    extra: dict[str, Any] = Field(default_factory=dict)
    password: SecretStr
    api_key: SecretStr | None = None
    headers: SecretDict | None = None
    tokens: list[SecretStr] = []
    auth: FormUnitToken | FormUnitBasic = Field(default_factory=lambda: FormUnitToken(token_id="t"))
    port_or_name: int | str = 5


class FormUnitCreds(Block):
    """Credentials with a secret."""

    key: SecretStr


class FormUnitOtherCreds(Block):
    """Other credentials."""

    token: SecretStr


class FormUnitService(Block):
    """A block that nests others."""

    creds: FormUnitCreds
    either: FormUnitCreds | FormUnitOtherCreds | None = None
    fallback: FormUnitCreds | str = "anonymous"


def _by_key(specs: list[FieldSpec]) -> dict[str, FieldSpec]:
    return {spec.key: spec for spec in specs}


def test_each_field_kind_gets_its_input() -> None:
    specs = _by_key(_forms.form_spec(FormUnitKinds))
    assert list(specs) == list(FormUnitKinds.model_fields)
    kinds = {key: spec.kind for key, spec in specs.items()}
    assert kinds == {
        "title": "text",
        "count": "integer",
        "ratio": "number",
        "enabled": "checkbox",
        "maybe": "tristate",
        "mode": "select",
        "tags": "lines",
        "numbers": "lines",
        "extra": "json",
        "password": "secret",
        "api_key": "secret",
        "headers": "secret_json",
        "tokens": "secret_json",
        "auth": "union",
        "port_or_name": "union",
    }
    assert specs["title"].required
    assert specs["title"].help == "A title."
    assert specs["password"].required
    assert not specs["api_key"].required
    assert specs["api_key"].nullable
    assert specs["ratio"].nullable
    assert not specs["count"].nullable
    assert (specs["count"].minimum, specs["count"].maximum, specs["count"].default) == (1, 10, 3)
    assert specs["mode"].options == ["fast", "slow"]
    assert specs["numbers"].item_kind == "integer"
    assert specs["tags"].item_kind == "text"
    assert specs["tags"].default == []  # from the default_factory
    union = specs["auth"]
    assert [alt.label for alt in union.children] == ["FormUnitToken", "FormUnitBasic"]
    assert [alt.kind for alt in union.children] == ["object", "object"]
    basic = union.children[1]
    assert [(c.key, c.kind, c.path) for c in basic.children] == [
        ("user", "text", "auth@1.user"),
        ("port", "integer", "auth@1.port"),
    ]
    assert [alt.kind for alt in specs["port_or_name"].children] == ["integer", "text"]


def test_nested_blocks_are_selects_of_saved_documents() -> None:
    specs = _by_key(_forms.form_spec(FormUnitService))
    assert specs["creds"].kind == "block"
    assert specs["creds"].block_types == (FormUnitCreds,)
    assert specs["either"].kind == "block"
    assert specs["either"].nullable
    assert specs["either"].block_slugs == ["form-unit-creds", "form-unit-other-creds"]
    fallback = specs["fallback"]
    assert fallback.kind == "union"
    assert [(alt.kind, alt.label) for alt in fallback.children] == [
        ("block", "saved block"),
        ("text", "text"),
    ]


def test_a_new_form_shows_the_defaults() -> None:
    form = _forms.initial_values(_forms.form_spec(FormUnitKinds), None)
    assert form.values == {
        "f.count": "3",
        "f.enabled": "on",
        "f.mode": "fast",
        "f.tags": "",
        "f.numbers": "",
        "f.extra": "{}",
        "u.auth": "0",
        "f.auth@1.port": "22",  # each alternative shows its own defaults
        "u.port_or_name": "0",
        "f.port_or_name@0": "5",
    }
    assert not form.editing
    assert form.stored_secrets == {}


def _edited_block() -> FormUnitKinds:
    return FormUnitKinds(
        title="T",
        count=4,
        ratio=0.5,
        enabled=False,
        maybe=True,
        mode="slow",
        tags=["a", "b"],
        numbers=[1, 2],
        extra={"k": [1]},
        password="pw-very-secret-1",
        api_key="env://FORM_UNIT_KEY",
        headers={"Authorization": "Bearer hdr-very-secret-2", "X-Ref": "env://FORM_UNIT_HDR"},
        tokens=["tok-very-secret-3"],
        auth=FormUnitBasic(user="ada", port=2222),
        port_or_name="db",
    )


def test_an_edit_form_shows_values_but_never_a_secret() -> None:
    form = _forms.initial_values(_forms.form_spec(FormUnitKinds), _edited_block())
    shown = json.dumps(form.values)
    for secret in ("pw-very-secret-1", "hdr-very-secret-2", "tok-very-secret-3"):
        assert secret not in shown
    assert "f.password" not in form.values
    assert "f.api_key" not in form.values
    assert form.stored_secrets["password"] is None
    assert form.stored_secrets["api_key"] == "env://FORM_UNIT_KEY"  # a reference is not a secret
    assert json.loads(form.values["f.headers"]) == {
        "Authorization": "********",
        "X-Ref": "env://FORM_UNIT_HDR",
    }
    assert json.loads(form.values["f.tokens"]) == ["********"]
    assert form.values["f.title"] == "T"
    assert form.values["f.count"] == "4"
    assert "f.enabled" not in form.values  # unchecked
    assert form.values["f.maybe"] == "true"
    assert form.values["f.tags"] == "a\nb"
    assert json.loads(form.values["f.extra"]) == {"k": [1]}
    assert form.values["u.auth"] == "1"
    assert form.values["f.auth@1.user"] == "ada"
    assert form.values["f.auth@1.port"] == "2222"
    assert form.values["u.port_or_name"] == "1"
    assert form.values["f.port_or_name@1"] == "db"


def test_posted_strings_become_data_the_class_accepts() -> None:
    specs = _forms.form_spec(FormUnitKinds)
    posted = {
        "f.title": "Report",
        "f.count": "7",
        "f.ratio": "",
        "f.maybe": "false",
        "f.mode": "slow",
        "f.tags": " x \n\n y ",
        "f.numbers": "3\n4",
        "f.extra": '{"a": {"b": null}}',
        "f.password": "pw-typed",
        "f.headers": '{"H": "v"}',
        "u.auth": "1",
        "f.auth@1.user": "bob",
        "f.auth@1.port": "",
        "f.auth@0.token_id": "ignored: not the chosen alternative",
        "u.port_or_name": "0",
        "f.port_or_name@0": "8080",
    }
    data, cleared, errors = _forms.parse_form(specs, posted)
    assert errors == {}
    assert cleared == []
    assert data == {
        "title": "Report",
        "count": 7,
        "ratio": None,
        "enabled": False,
        "maybe": False,
        "mode": "slow",
        "tags": ["x", "y"],
        "numbers": [3, 4],
        "extra": {"a": {"b": None}},
        "password": "pw-typed",
        "headers": {"H": "v"},
        "auth": {"user": "bob"},
        "port_or_name": 8080,
    }
    block = FormUnitKinds.model_validate(data)
    assert isinstance(block.auth, FormUnitBasic)
    assert block.auth.port == 22
    assert block.password.get_secret_value() == "pw-typed"
    assert block.headers is not None
    assert block.headers.get_secret_value() == {"H": "v"}
    assert block.api_key is None
    assert block.enabled is False


def test_blank_means_default_and_blank_secrets_are_left_out() -> None:
    specs = _forms.form_spec(FormUnitKinds)
    data, _, errors = _forms.parse_form(
        specs, {"f.title": "t", "f.count": "", "f.password": "", "f.headers": "  "}
    )
    assert errors == {}
    assert "count" not in data  # the class default applies
    assert "password" not in data
    assert "headers" not in data
    assert "api_key" not in data
    assert MISSING not in data.values()


def test_bad_input_is_reported_per_field_without_the_value() -> None:
    specs = _forms.form_spec(FormUnitKinds)
    posted = {
        "f.title": "t",
        "f.count": "seven-ish",
        "f.extra": "{not json: hunter2}",
        "f.mode": "medium",
        "f.numbers": "1\ntwo",
        "f.headers": "{secret-not-json-XYZ",
    }
    _, _, errors = _forms.parse_form(specs, posted)
    assert set(errors) == {"count", "extra", "mode", "numbers", "headers"}
    assert errors["count"] == "field 'count': enter a whole number"
    assert errors["extra"].startswith("field 'extra': not valid JSON (")
    assert "line 1 column 2" in errors["extra"]
    assert errors["mode"] == "field 'mode': choose one of the listed values"
    assert "hunter2" not in json.dumps(errors)
    assert "XYZ" not in json.dumps(errors)


def test_validation_messages_name_fields_and_never_the_input() -> None:
    from pydantic import ValidationError

    specs = _forms.form_spec(FormUnitKinds)
    with pytest.raises(ValidationError) as caught:
        FormUnitKinds.model_validate({"count": 99, "password": "pw-in-error-1", "bogus": "x"})
    messages = _forms.validation_messages(caught.value, specs)
    assert messages["title"] == "field 'title': Field required"
    assert messages["count"] == "field 'count': Input should be less than or equal to 10"
    assert messages[""] == "field 'bogus': unknown field"
    assert "pw-in-error-1" not in json.dumps(messages)


def test_nested_block_choices_load_the_saved_document() -> None:
    FormUnitCreds(key="k-one").save("one")
    FormUnitOtherCreds(token="t-two").save("two")
    specs = _forms.form_spec(FormUnitService)
    form = _forms.initial_values(specs, None)
    _forms.block_options(form)
    assert form.block_options["creds"] == [("form-unit-creds/one", "form-unit-creds/one")]
    assert [v for v, _ in form.block_options["either"]] == [
        "form-unit-creds/one",
        "form-unit-other-creds/two",
    ]
    posted = {
        "f.creds": "form-unit-creds/one",
        "f.either": "form-unit-other-creds/two",
        "u.fallback": "1",
        "f.fallback@1": "guest",
    }
    data, _, errors = _forms.parse_form(specs, posted)
    assert errors == {}
    assert isinstance(data["creds"], FormUnitCreds)
    assert data["creds"].block_document_name == "one"
    assert isinstance(data["either"], FormUnitOtherCreds)
    assert data["fallback"] == "guest"
    service = FormUnitService.model_validate(data)
    service.save("svc")
    loaded = FormUnitService.load("svc")
    assert loaded.creds.block_document_name == "one"  # stored as a reference

    # a type the field does not take, a missing document, nothing chosen
    _, _, errors = _forms.parse_form(
        specs,
        {"f.creds": "form-unit-other-creds/two", "f.either": "form-unit-creds/nope"},
    )
    assert errors["creds"] == "field 'creds': choose a saved block of type form-unit-creds"
    assert errors["either"].startswith("field 'either': no block 'form-unit-creds/nope'")
    data, _, errors = _forms.parse_form(specs, {"f.creds": "", "f.either": ""})
    assert "creds" not in data
    assert data["either"] is None
    assert errors == {}


def test_an_inline_nested_block_can_be_kept() -> None:
    service = FormUnitService(creds=FormUnitCreds(key="inline-key-1"))
    service.save("inline")
    loaded = FormUnitService.load("inline")
    specs = _forms.form_spec(FormUnitService)
    form = _forms.initial_values(specs, loaded)
    _forms.block_options(form)
    assert form.values["f.creds"] == KEEP_INLINE
    assert form.block_options["creds"][0][0] == KEEP_INLINE
    data, _, errors = _forms.parse_form(specs, {"f.creds": KEEP_INLINE}, current=loaded)
    assert errors == {}
    assert data["creds"] is loaded.creds
    _, _, errors = _forms.parse_form(specs, {"f.creds": KEEP_INLINE}, current=None)
    assert errors == {"creds": "field 'creds': there is no stored block to keep"}


def test_optional_stored_secrets_can_be_cleared() -> None:
    specs = _forms.form_spec(FormUnitKinds)
    _, cleared, _ = _forms.parse_form(specs, {"clear.api_key": "1", "clear.headers": "1"})
    assert cleared == ["api_key", "headers"]


def test_a_recursive_model_stops_at_json() -> None:
    (root,) = _forms.form_spec(FormUnitTree)
    assert root.kind == "object"
    label, child = root.children
    assert (label.path, label.kind) == ("root.label", "text")
    assert (child.path, child.kind, child.nullable) == ("root.child", "json", True)
    data, _, errors = _forms.parse_form(
        [root], {"f.root.label": "top", "f.root.child": '{"label": "leaf"}'}
    )
    assert errors == {}
    tree = FormUnitTree.model_validate(data)
    assert tree.root.child is not None
    assert tree.root.child.label == "leaf"
