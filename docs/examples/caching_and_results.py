"""Caching and persisted results.

A task whose result is persisted can be cached: a later run with the same
cache key reads the stored result instead of calling the function again and
ends in the ``Cached`` state.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from headwater import flow, task
from headwater.cache_policies import FLOW_PARAMETERS, INPUTS, TASK_SOURCE
from headwater.tasks import task_input_hash

CALLS: list[str] = []


@task(cache_key_fn=task_input_hash, cache_expiration=timedelta(hours=1))
def download(url: str) -> str:
    CALLS.append(f"download {url}")
    return f"<contents of {url}>"


@task(cache_policy=INPUTS + TASK_SOURCE - "verbose")
def word_count(text: str, verbose: bool = False) -> int:
    CALLS.append("word_count")
    return len(text.split())


@task(cache_policy=FLOW_PARAMETERS, result_serializer="json")
def summary(count: int) -> dict[str, int]:
    CALLS.append("summary")
    return {"words": count}


@task(persist_result=True)
def checksum(text: str) -> int:
    return sum(text.encode())


@flow
def crawl(url: str) -> dict[str, int]:
    text = download(url)
    count = word_count(text, verbose=True)
    state = checksum(text, return_state=True)
    assert state.result_key is not None  # persisted: the store records where
    return summary(count)


if __name__ == "__main__":
    assert crawl("https://example.com") == {"words": 3}
    assert CALLS == ["download https://example.com", "word_count", "summary"]

    # Same inputs: every cached task reads its stored result instead of running.
    state = crawl("https://example.com", return_state=True)
    assert state.result() == {"words": 3}
    assert CALLS == ["download https://example.com", "word_count", "summary"]

    # word_count ignores "verbose" in its key, so a different value is still a hit.
    @flow
    def quiet(url: str) -> int:
        page = download(url, return_state=True)
        assert page.name == "Cached"
        assert page.is_completed()
        return word_count(page.result(), verbose=False)

    assert quiet("https://example.com") == 3
    assert len(CALLS) == 3

    # refresh_cache=True runs the function and overwrites the stored result.
    fresh = download.with_options(refresh_cache=True)

    @flow
    def refetch(url: str) -> str:
        return fresh(url)

    refetch("https://example.com")
    assert CALLS[-1] == "download https://example.com"
    assert len(CALLS) == 4

    # result_storage puts the result records in a folder of your choice.
    with tempfile.TemporaryDirectory() as folder:
        stored = checksum.with_options(result_storage=folder)

        @flow
        def keep(text: str) -> int:
            return stored(text)

        assert keep("abc") == 294
        assert any(Path(folder).iterdir())
    print(f"calls: {CALLS}")
