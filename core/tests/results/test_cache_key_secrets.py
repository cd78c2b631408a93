"""Secrets count in cache keys, through a keyed hash that reveals nothing of them.

Blocks encode masked (``"**********"``), so before this two blocks that
differed only in a password shared a cache key, and a cached task handed back
a result computed with another credential. The regression tests run a real
flow with a cached task called with such blocks, then read the cache keys
back from the store and the result storage: neither the secret nor its plain
SHA-256 may appear, and the keys are stable across processes sharing the key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pydantic
import pytest

from headwater import flow, task
from headwater._hashing import SecretKeyNeededError, hash_objects
from headwater._store import get_store
from headwater.blocks import Secret
from headwater.cache_policies import (
    FLOW_PARAMETERS,
    INPUTS,
    UnhashableInputsError,
    secret_hash_key,
    task_input_hash,
)
from headwater.settings import reset_settings

PASSWORDS = ("hunter2", "correct-horse")


def _keyed(*objs: Any) -> str | None:
    return hash_objects(*objs, secret_key=secret_hash_key)


def _cached_flow(storage: Path, calls: list[str]) -> Any:
    @task(cache_policy=INPUTS, result_storage=str(storage))
    def connect(creds: Secret) -> str:
        value = creds.get()
        calls.append(value)
        return f"connected as {value[:2]}"

    @flow
    def pipeline(first: str, second: str) -> list[str]:
        return [connect(Secret(value=first)), connect(Secret(value=second))]

    return pipeline


def test_blocks_differing_only_in_a_secret_get_two_computations(tmp_path: Path) -> None:
    calls: list[str] = []
    pipeline = _cached_flow(tmp_path / "results", calls)

    assert pipeline(*PASSWORDS) == ["connected as hu", "connected as co"]
    assert calls == list(PASSWORDS)  # each credential computed its own result

    assert pipeline(PASSWORDS[0], PASSWORDS[0]) == ["connected as hu", "connected as hu"]
    assert calls == list(PASSWORDS)  # the same block again: a cache hit, no new computation

    keys = {r.cache_key for r in get_store().read_task_runs()}
    assert len(keys - {None}) == 2
    stored = " ".join([*map(str, keys), *(p.name for p in (tmp_path / "results").iterdir())])
    for password in PASSWORDS:
        assert password not in stored
        assert hashlib.sha256(password.encode()).hexdigest() not in stored
        # nor the plain hash of the block's own encoding with the secret in it
        assert hash_objects({"creds": password}) not in stored


def test_secret_references_hash_by_their_resolved_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HW_TEST_PW_A", "alpha")
    monkeypatch.setenv("HW_TEST_PW_B", "beta")
    a = Secret(value="env://HW_TEST_PW_A")
    b = Secret(value="env://HW_TEST_PW_B")
    assert _keyed(a) != _keyed(b)
    monkeypatch.setenv("HW_TEST_PW_B", "alpha")
    assert _keyed(a) != _keyed(b)  # a reference's name counts too (it is in the dump)
    first = _keyed(a)
    monkeypatch.setenv("HW_TEST_PW_A", "gamma")
    assert _keyed(a) != first  # the value behind the reference changed: a new key


def test_unresolvable_reference_still_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HW_TEST_UNSET", raising=False)
    block = Secret(value="env://HW_TEST_UNSET")
    assert _keyed(block) == _keyed(block)
    assert _keyed(block) != _keyed(Secret(value="env://HW_TEST_OTHER_UNSET"))


def test_key_is_stable_across_processes_sharing_the_key_file(tmp_path: Path) -> None:
    script = (
        "from headwater.blocks import Secret\n"
        "from headwater.cache_policies import secret_hash_key\n"
        "from headwater._hashing import hash_objects\n"
        "print(hash_objects({'creds': Secret(value='hunter2')}, secret_key=secret_hash_key))\n"
    )

    def run(home: Path, **extra: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
        env.update(HEADWATER_HOME=str(home), **extra)
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()

    home = tmp_path / "home"
    first = run(home)
    assert len(first) == 64
    assert run(home) == first  # same key file, another process: same key
    assert (home / "encryption.key").stat().st_mode & 0o077 == 0
    assert run(tmp_path / "other-home") != first  # another installation: another key
    key = (home / "encryption.key").read_text().strip()
    assert run(tmp_path / "third-home", HEADWATER_ENCRYPTION_KEY=key) == first


def test_secret_needs_a_key_and_plain_values_keep_their_plain_digest() -> None:
    with pytest.raises(SecretKeyNeededError):
        hash_objects(pydantic.SecretStr("x"))
    encoded = b'j:[{"a":[1,2]}]'
    assert hash_objects({"a": [1, 2]}) == hashlib.sha256(encoded).hexdigest()
    assert _keyed({"a": [1, 2]}) == hash_objects({"a": [1, 2]})


class Creds(pydantic.BaseModel):
    user: str
    password: pydantic.SecretStr
    token: pydantic.SecretBytes | None = None


@dataclasses.dataclass
class Conn:
    creds: Any


class Plain:
    def __init__(self, secret: Any) -> None:
        self.secret = secret


class Slotted:
    __slots__ = ("secret",)

    def __init__(self, secret: Any) -> None:
        self.secret = secret


WRAPPERS = {
    "pydantic model": lambda s: Creds(user="u", password=s),
    "secret bytes": lambda s: Creds(user="u", password="p", token=s.encode()),
    "dataclass": lambda s: Conn(pydantic.SecretStr(s)),
    "plain object": lambda s: Plain(pydantic.SecretStr(s)),
    "slots object": lambda s: Slotted(pydantic.SecretStr(s)),
    "dict": lambda s: {"k": [pydantic.SecretStr(s)]},
    "non-string dict key": lambda s: {1: pydantic.SecretStr(s)},
    "tuple": lambda s: (1, pydantic.SecretStr(s)),
    "frozenset": lambda s: frozenset({pydantic.SecretStr(s)}),
    "pydantic Secret": lambda s: pydantic.Secret[str](s),
    "block": lambda s: Secret(value=s),
    "secret dict block": lambda s: Secret(value={"password": s}),
    "with a lock (pickle path)": lambda s: [threading.Lock, Plain(pydantic.SecretStr(s))],
}


@pytest.mark.parametrize("wrap", list(WRAPPERS.values()), ids=list(WRAPPERS))
def test_every_place_a_secret_hides_counts_in_the_key(wrap: Any) -> None:
    one, two = (_keyed(wrap(p)) for p in PASSWORDS)
    assert one is not None
    assert one != two
    assert _keyed(wrap(PASSWORDS[0])) == one
    with pytest.raises(SecretKeyNeededError):
        hash_objects(wrap(PASSWORDS[0]))


def test_moving_a_secret_to_another_field_changes_the_key() -> None:
    a, b = (pydantic.SecretStr(p) for p in PASSWORDS)
    assert _keyed({"x": a, "y": b}) != _keyed({"x": b, "y": a})
    one = Creds(user="u", password=a, token=PASSWORDS[1].encode())
    two = Creds(user="u", password=PASSWORDS[1], token=PASSWORDS[0].encode())
    assert _keyed(one) != _keyed(two)
    assert _keyed(one) == _keyed(Creds(user="u", password=a, token=PASSWORDS[1].encode()))


def test_policies_and_task_input_hash_use_the_keyed_hash() -> None:
    @task(cache_key_fn=task_input_hash)
    def keyed(creds: Secret) -> None:
        return None

    @flow
    def f(pw: str) -> None:
        keyed(Secret(value=pw))

    f(PASSWORDS[0])
    f(PASSWORDS[1])
    keys = [r.cache_key for r in get_store().read_task_runs()]
    assert len(set(keys)) == 2
    a, b = ({"c": Secret(value=p)} for p in PASSWORDS)
    no_ctx: Any = None
    assert INPUTS.compute_key(no_ctx, a, {}) != INPUTS.compute_key(no_ctx, b, {})
    assert FLOW_PARAMETERS.compute_key(no_ctx, {}, a) != FLOW_PARAMETERS.compute_key(no_ctx, {}, b)


def test_unhashable_message_still_names_the_input_with_secrets_around() -> None:
    no_ctx: Any = None
    with pytest.raises(UnhashableInputsError, match="'bad'"):
        INPUTS.compute_key(no_ctx, {"bad": threading.Lock(), "creds": Secret(value="x")}, {})


def test_a_changed_key_file_changes_secret_keys(headwater_home: Path) -> None:
    first = _keyed(Secret(value="x"))
    (headwater_home / "encryption.key").unlink()
    reset_settings()
    assert _keyed(Secret(value="x")) != first
