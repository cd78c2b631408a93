"""headwater.translation.translating and the ServiceError family of headwater.errors."""

from __future__ import annotations

import pytest

import headwater.errors as errors_module
from headwater.errors import (
    AccessDeniedError,
    ConfigurationError,
    HeadwaterError,
    JobFailedError,
    JobTimeoutError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceError,
    ServiceUnreachableError,
    ThrottledError,
    TransientError,
)
from headwater.masking import MASK, register_secret
from headwater.translation import translating


class VendorNotFound(Exception):
    """What a vendor SDK raises (stands in for botocore's ClientError & co)."""


class VendorOther(Exception):
    pass


calls: list[tuple[str, str, str]] = []


def mapper(exc: BaseException, action: str, resource: str) -> HeadwaterError | None:
    calls.append((type(exc).__name__, action, resource))
    if isinstance(exc, VendorNotFound):
        return ResourceNotFoundError(f"{action} {resource}: {exc}", code="404", resource=resource)
    return None


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def test_a_vendor_error_becomes_the_mapped_one_with_the_original_chained() -> None:
    original = VendorNotFound("no such thing")
    with (
        pytest.raises(ResourceNotFoundError) as info,
        translating(mapper, action="read", resource="box://a/b"),
    ):
        raise original
    assert str(info.value) == "read box://a/b: no such thing"
    assert info.value.code == "404"
    assert info.value.resource == "box://a/b"
    assert info.value.__cause__ is original
    assert calls == [("VendorNotFound", "read", "box://a/b")]
    assert isinstance(info.value, FileNotFoundError)


def test_an_error_the_mapper_does_not_know_is_re_raised_as_it_is() -> None:
    original = VendorOther("odd")
    with pytest.raises(VendorOther) as info, translating(mapper, action="a", resource="r"):
        raise original
    assert info.value is original
    assert info.value.__cause__ is None
    assert calls == [("VendorOther", "a", "r")]


def test_headwater_errors_pass_through_without_asking_the_mapper() -> None:
    mine = ConfigurationError("bad option")
    with pytest.raises(ConfigurationError) as info, translating(mapper, action="a", resource="r"):
        raise mine
    assert info.value is mine
    assert calls == []


def test_keyboard_interrupt_is_never_translated() -> None:
    with pytest.raises(KeyboardInterrupt), translating(mapper, action="a", resource="r"):
        raise KeyboardInterrupt
    assert calls == []


def test_the_success_path_returns_normally_and_never_calls_the_mapper() -> None:
    with translating(mapper, action="a", resource="r"):
        value = 1 + 1
    assert value == 2
    assert calls == []


def test_service_error_messages_are_masked() -> None:
    secret = "hunter2-very-secret-token"
    register_secret(secret)

    def leaky(exc: BaseException, action: str, resource: str) -> HeadwaterError:
        return AccessDeniedError(f"{action} {resource}: {exc}", resource=resource)

    with pytest.raises(AccessDeniedError) as info, translating(leaky, action="a", resource="r"):
        raise VendorOther(f"token {secret} was refused")
    assert secret not in str(info.value)
    assert MASK in str(info.value)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (ResourceNotFoundError, FileNotFoundError),
        (ResourceExistsError, FileExistsError),
        (AccessDeniedError, PermissionError),
        (ThrottledError, TransientError),
        (ServiceUnreachableError, ConnectionError),
        (JobTimeoutError, TimeoutError),
        (JobFailedError, ServiceError),
    ],
)
def test_service_errors_derive_from_the_builtin_that_names_the_problem(
    cls: type[ServiceError], builtin: type[BaseException]
) -> None:
    error = cls("it failed", code="C", resource="R")
    assert isinstance(error, builtin)
    assert isinstance(error, ServiceError)
    assert (error.code, error.resource, str(error)) == ("C", "R", "it failed")


def test_the_tree_in_the_docstring_names_every_error() -> None:
    doc = errors_module.__doc__ or ""
    for name in errors_module.__all__:
        assert name in doc, f"{name} is missing from the tree in errors.py"
    assert errors_module.__all__ == sorted(errors_module.__all__)
