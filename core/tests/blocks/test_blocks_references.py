"""headwater.blocks.references: parsing, JSON keys, masking and the resolver cache."""

from __future__ import annotations

import threading
import time

import pytest

from headwater.blocks.references import (
    ParsedReference,
    ResolverCache,
    cached_resolver,
    extract_json_key,
    parse_reference,
    register_secret_value,
)
from headwater.masking import MASK, mask_secrets

# -- parsing ------------------------------------------------------------------------------


def test_parse_name_query_and_json_key() -> None:
    parsed = parse_reference("vault://kv/db?version=3&mount=x#password", "vault")
    assert parsed == ParsedReference(
        reference="vault://kv/db?version=3&mount=x#password",
        name="kv/db",
        json_key="password",
        query={"version": "3", "mount": "x"},
    )
    assert parse_reference("vault://db", "vault") == ParsedReference("vault://db", "db")
    assert parse_reference("vault:///abs/path", "vault").name == "/abs/path"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("other://db", "is not an vault:// reference"),
        ("vault://", "names no parameter"),
        ("vault://db#", "empty JSON key"),
        ("vault://db?x=1&x=2", "gives 'x' twice"),
        ("vault://db?=&&", "malformed query"),
    ],
)
def test_malformed_references_name_themselves(reference: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        parse_reference(reference, "vault", what="parameter")
    assert repr(reference) in str(info.value)


# -- JSON keys and masking -------------------------------------------------------------


def test_extract_json_key_returns_strings_as_they_are_and_the_rest_as_json() -> None:
    value = '{"user": "ada", "port": 5432, "opts": {"ssl": true}}'
    assert extract_json_key(value, parse_reference("s://db#user", "s")) == "ada"
    assert extract_json_key(value, parse_reference("s://db#port", "s")) == "5432"
    assert extract_json_key(value, parse_reference("s://db#opts", "s")) == '{"ssl":true}'
    assert extract_json_key(value, parse_reference("s://db", "s")) == value


def test_json_key_errors_name_the_reference_and_never_the_value() -> None:
    secret = "not-json-but-very-secret"
    with pytest.raises(ValueError, match="'s://db#k' is not a JSON object") as info:
        extract_json_key(secret, parse_reference("s://db#k", "s"))
    assert secret not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    with pytest.raises(LookupError, match="of 's://db#nope' has no key 'nope'") as missing:
        extract_json_key('{"password": "hunter2-xyz"}', parse_reference("s://db#nope", "s"))
    assert "hunter2-xyz" not in str(missing.value)


def test_every_string_of_a_json_secret_is_masked() -> None:
    register_secret_value('{"db": {"password": "pw-in-a-nest"}, "keys": ["key-in-a-list"]}')
    text = mask_secrets("pw-in-a-nest and key-in-a-list")
    assert text == f"{MASK} and {MASK}"
    register_secret_value("plain-secret-value")
    assert mask_secrets("plain-secret-value") == MASK


# -- the cache --------------------------------------------------------------------------


def test_concurrent_misses_call_the_backend_once() -> None:
    calls: list[str] = []
    barrier = threading.Barrier(10)

    @cached_resolver(ttl_seconds=60)
    def resolve(reference: str) -> str:
        calls.append(reference)
        time.sleep(0.05)
        return f"value of {reference}"

    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        results.append(resolve("s://a"))

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["s://a"]
    assert results == ["value of s://a"] * 10
    assert resolve("s://b") == "value of s://b"
    assert calls == ["s://a", "s://b"]
    assert resolve.__name__ == "resolve"


def test_failures_are_not_cached() -> None:
    attempts: list[int] = []

    @cached_resolver(ttl_seconds=60)
    def flaky(reference: str) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("backend down")
        return "ok"

    with pytest.raises(ConnectionError):
        flaky("s://x")
    assert flaky("s://x") == "ok"
    assert flaky("s://x") == "ok"
    assert len(attempts) == 2


def test_ttl_zero_disables_and_values_expire() -> None:
    counter = iter(range(100))
    ttl = [0.0]

    @cached_resolver(ttl_seconds=lambda: ttl[0])
    def resolve(reference: str) -> str:
        return str(next(counter))

    assert resolve("s://x") == "0"
    assert resolve("s://x") == "1"  # ttl 0: every call loads
    ttl[0] = 0.1
    assert resolve("s://x") == "2"
    assert resolve("s://x") == "2"
    time.sleep(0.15)
    assert resolve("s://x") == "3"
    resolve.cache_clear()
    assert resolve("s://x") == "4"


def test_clear_wins_over_a_load_in_flight() -> None:
    cache = ResolverCache(ttl_seconds=60)
    started = threading.Event()
    release = threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "stale"

    thread = threading.Thread(target=lambda: cache.get("k", slow))
    thread.start()
    started.wait(5)
    cache.clear()
    release.set()
    thread.join()
    assert cache.get("k", lambda: "fresh") == "fresh"


def test_resolvers_can_share_one_cache() -> None:
    shared = ResolverCache(ttl_seconds=60)
    one = cached_resolver(cache=shared)(lambda reference: "one")
    two = cached_resolver(cache=shared)(lambda reference: "two")
    assert one("s://a") == "one"
    assert two("s://b") == "two"
    assert one.cache is two.cache
    shared.clear()
    assert two("s://a") == "two"
