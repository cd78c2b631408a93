"""Secrets passed as flow parameters are stored masked (issue 11, item 7).

The flow gets the real value; the flow run record (what the store keeps, the
API and the UI serve, and ``flow-run inspect`` shows) gets ``********``: for a
registered secret wherever it appears in a parameter, and for a parameter
annotated with a secret type whatever it was called with.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import pytest
from pydantic import SecretBytes, SecretStr

from headwater import flow, task
from headwater._engine.parameters import is_secret_hint
from headwater._flow_retry import RetryRefused, retry_flow_run
from headwater._store import get_store
from headwater.blocks import SecretDict
from headwater.logging import register_secret
from headwater.masking import MASK, _clear_secrets

from . import retry_flows

SECRET = "pg-password-9f8e7d6c"


@pytest.fixture(autouse=True)
def _forget_secrets() -> Any:
    _clear_secrets()
    yield
    _clear_secrets()


def _stored(flow_name: str) -> dict[str, Any]:
    store = get_store()
    store.flush(timeout=30)
    (run,) = [r for r in store.read_flow_runs() if r.flow_name == flow_name]
    text = json.dumps(run.parameters) + run.name
    assert SECRET not in text
    return run.parameters


class Holder:
    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Holder({self.value!r})"


def test_a_registered_secret_is_masked_in_every_parameter(store_url: str) -> None:
    register_secret(SECRET)
    seen: list[Any] = []

    @task(task_run_name="connect-{dsn}")
    def connect(dsn: str) -> None:
        pass

    @flow(flow_run_name="load-{dsn}")
    def load(dsn: str, options: dict[str, Any], hosts: list[str], obj: Any) -> None:
        seen.append((dsn, options, hosts, obj.value))
        connect(dsn)

    load(
        f"postgresql://app:{SECRET}@db/prod",
        {"password": SECRET, SECRET: 1, "nested": [{"p": SECRET}]},
        ["a", SECRET],
        Holder(SECRET),
    )
    # the flow itself got the real values
    assert seen == [
        (
            f"postgresql://app:{SECRET}@db/prod",
            {"password": SECRET, SECRET: 1, "nested": [{"p": SECRET}]},
            ["a", SECRET],
            SECRET,
        )
    ]
    params = _stored("load")
    assert params["dsn"] == f"postgresql://app:{MASK}@db/prod"
    assert params["options"] == {"password": MASK, MASK: 1, "nested": [{"p": MASK}]}
    assert params["hosts"] == ["a", MASK]
    assert MASK in json.dumps(params["obj"])
    # run names made from a template over the parameters are masked too
    (task_run,) = get_store().read_task_runs()
    assert task_run.name == f"connect-postgresql://app:{MASK}@db/prod"


def test_secret_annotated_parameters_are_stored_masked_registered_or_not(store_url: str) -> None:
    seen: list[Any] = []

    @flow
    def connect(
        password: SecretStr,
        token: Optional[SecretStr],  # noqa: UP045 - the old spelling must work too
        key: SecretBytes | None = None,
        extra: Annotated[SecretDict, "doc"] | None = None,
        user: str = "app",
    ) -> None:
        seen.append((password.get_secret_value(), token, key, extra, user))

    connect(SECRET, None, key=SECRET.encode(), extra=SecretDict({"k": SECRET}))
    assert seen[0][0] == SECRET  # validated into a SecretStr holding the real value
    assert seen[0][2].get_secret_value() == SECRET.encode()
    params = _stored("connect")
    assert params == {
        "password": MASK,
        "token": MASK,
        "key": MASK,
        "extra": MASK,
        "user": "app",
    }


def test_secret_annotation_masks_even_without_validation(store_url: str) -> None:
    @flow(validate_parameters=False)
    def raw(password: SecretStr) -> str:
        return str(password)

    assert raw(SECRET) == SECRET  # unvalidated: the body gets exactly what it was called with
    assert _stored("raw") == {"password": MASK}


def test_a_subflow_parameter_is_masked_too(store_url: str) -> None:
    register_secret(SECRET)

    @flow
    def child(password: str, api_key: SecretStr) -> int:
        return len(password) + len(api_key.get_secret_value())

    @flow
    def parent(password: str) -> int:
        return child(password, "another-secret-value")

    assert parent(SECRET) == len(SECRET) + len("another-secret-value")
    assert _stored("parent") == {"password": MASK}
    assert _stored("child") == {"password": MASK, "api_key": MASK}


def test_a_run_with_a_masked_parameter_is_not_retried_with_the_mask() -> None:
    register_secret(SECRET)
    state = retry_flows.takes_password(SECRET, return_state=True)
    assert state.is_failed()
    (run,) = get_store().read_flow_runs()
    assert run.parameters == {"password": MASK}
    with pytest.raises(RetryRefused, match="'password' held a secret") as info:
        retry_flow_run(run.id)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("hint", "secret"),
    [
        (SecretStr, True),
        (SecretBytes, True),
        (SecretDict, True),
        (Optional[SecretStr], True),  # noqa: UP045
        (list[SecretStr], True),
        (dict[str, SecretStr], True),
        (Annotated[SecretStr, "x"], True),
        (str, False),
        (int | None, False),
        (list[str], False),
        (Any, False),
    ],
)
def test_is_secret_hint(hint: Any, secret: bool) -> None:
    assert is_secret_hint(hint) is secret


def test_a_validation_error_does_not_quote_a_secret(store_url: str) -> None:
    """The error quotes a bad value cut to 60 characters: masked before it is cut, and
    never for a secret-annotated parameter."""
    long_secret = SECRET + "-" + "x" * 80
    register_secret(long_secret)

    @flow
    def typed(count: int) -> None:
        pass

    @flow
    def keyed(api_key: SecretStr) -> None:
        pass

    first = typed(long_secret, return_state=True)
    second = keyed(987654321987, return_state=True)  # not a str: refused, not quoted
    for state in (first, second):
        assert state.is_failed()
        assert "received invalid parameters" in (state.message or "")
    assert SECRET not in (first.message or "")
    assert "987654321987" not in (second.message or "")
    assert _stored("typed") == {"count": MASK}
