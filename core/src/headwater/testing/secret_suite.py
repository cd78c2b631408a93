"""``SecretSuite``: the behavioural conformance suite of a SecretBlock.

An implementation's test class inherits it and provides a ``block`` fixture
returning (or yielding) a block whose secret may be written, and optionally a
``missing_block`` fixture: a block naming a secret that does not exist (the
test is skipped without it). ``missing_errors`` lists what reading it may raise.
"""

from __future__ import annotations

import asyncio
import threading
from typing import ClassVar

import pytest

from headwater.blocks.interfaces import SecretBlock
from headwater.testing._spy import record_threads

__all__ = ["SecretSuite"]

TEXT = "p@ss wörd-1234".encode()
JSON = b'{"user": "etl", "password": "hunter22-x"}'


class SecretSuite:
    """Behaviour every :class:`~headwater.blocks.SecretBlock` must have."""

    missing_errors: ClassVar[tuple[type[BaseException], ...]] = (LookupError, FileNotFoundError)

    @pytest.fixture
    def block(self) -> SecretBlock:
        raise NotImplementedError("a SecretSuite subclass provides the block fixture")

    @pytest.fixture
    def missing_block(self) -> SecretBlock:
        pytest.skip("this SecretSuite subclass has no missing_block fixture")

    def test_write_then_read(self, block: SecretBlock) -> None:
        for value in (TEXT, JSON):
            assert isinstance(block.write_secret(value), str)
            assert block.read_secret() == value

    def test_overwrite_replaces_the_value(self, block: SecretBlock) -> None:
        block.write_secret(b"first-value-long")
        block.write_secret(b"second")
        assert block.read_secret() == b"second"

    def test_a_missing_secret_is_an_error(self, missing_block: SecretBlock) -> None:
        with pytest.raises(self.missing_errors):
            missing_block.read_secret()

    def test_async_twins_run_off_the_event_loop(self, block: SecretBlock) -> None:
        async def main() -> tuple[int, str, bytes]:
            where = await block.awrite_secret(TEXT)
            return threading.get_ident(), where, await block.aread_secret()

        with (
            record_threads(block, "write_secret") as wrote,
            record_threads(block, "read_secret") as read,
        ):
            loop_thread, where, value = asyncio.run(main())
        assert value == TEXT == block.read_secret()
        assert isinstance(where, str)
        assert wrote, "awrite_secret did not call write_secret"
        assert read, "aread_secret did not call read_secret"
        assert loop_thread not in wrote + read
