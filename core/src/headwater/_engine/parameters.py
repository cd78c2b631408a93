"""Binding call arguments to parameters, and validating flow parameters.

:class:`CallSpec` is computed once per flow/task at decoration time and binds
``(*args, **kwargs)`` to a ``{name: value}`` dict without
``inspect.Signature.bind`` on the common path (plain positional-or-keyword
parameters), because binding happens on every task call.

:class:`ParameterValidator` checks a flow's parameters against its type hints
with pydantic (imported on first use); the adapters are built once per flow.
It also names the parameters annotated with a secret type (``SecretStr``,
``SecretBytes``, pydantic's ``Secret[...]`` and its subclasses, alone or inside
``Optional``, unions, ``Annotated`` and containers): the engine records them
masked, whatever value they were called with.
"""

from __future__ import annotations

import inspect
import threading
import typing
from collections.abc import Callable, Mapping
from typing import Any

from headwater.errors import ParameterValidationError
from headwater.masking import mask_secrets

__all__ = ["CallSpec", "ParameterValidator", "is_secret_hint"]

_EMPTY = inspect.Parameter.empty
_POK = inspect.Parameter.POSITIONAL_OR_KEYWORD
_SECRET_BASES = frozenset({"Secret", "SecretBytes", "SecretStr", "_SecretBase", "_SecretField"})
"""Names of pydantic's secret classes (matched by name and module, so pydantic is not imported)."""


def is_secret_hint(hint: Any, _depth: int = 0) -> bool:
    """Whether ``hint`` is, or contains, a pydantic secret type."""
    if _depth > 10:
        return False
    if isinstance(hint, type):
        return any(
            klass.__name__ in _SECRET_BASES
            and str(getattr(klass, "__module__", "")).startswith("pydantic")
            for klass in hint.__mro__
        )
    origin = typing.get_origin(hint)
    if origin is not None and is_secret_hint(origin, _depth + 1):
        return True
    return any(is_secret_hint(arg, _depth + 1) for arg in typing.get_args(hint))


class CallSpec:
    """How to turn call arguments into a parameters dict, and back."""

    __slots__ = ("defaults", "names", "required", "signature", "simple", "var_keyword")

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.signature = inspect.signature(fn)
        params = list(self.signature.parameters.values())
        self.names: tuple[str, ...] = tuple(p.name for p in params)
        self.simple = all(p.kind is _POK for p in params)
        self.defaults: dict[str, Any] = {
            p.name: p.default for p in params if p.default is not _EMPTY
        }
        self.required = frozenset(
            p.name
            for p in params
            if p.default is _EMPTY and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )
        self.var_keyword = next((p.name for p in params if p.kind is p.VAR_KEYWORD), None)

    def bind(
        self, args: tuple[Any, ...], kwargs: Mapping[str, Any], *, what: str
    ) -> dict[str, Any]:
        """``{parameter: value}`` for a call, defaults filled in.

        Raises :class:`TypeError` naming the parameter for a missing, unknown or
        duplicated argument (the error a plain call would give).
        """
        if self.simple:
            names = self.names
            if len(args) > len(names):
                raise TypeError(
                    f"{what} takes {len(names)} positional argument(s) but {len(args)} were given"
                )
            params = dict(zip(names, args, strict=False))
            if kwargs:
                for key, value in kwargs.items():
                    if key in params:
                        raise TypeError(f"{what} got multiple values for parameter {key!r}")
                    if key not in self.defaults and key not in self.required:
                        raise TypeError(f"{what} got an unexpected parameter {key!r}")
                    params[key] = value
            if len(params) != len(names):
                for name in names:
                    if name not in params:
                        if name in self.defaults:
                            params[name] = self.defaults[name]
                        else:
                            raise TypeError(f"{what} is missing a required parameter {name!r}")
                return {name: params[name] for name in names}
            return params
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{what}: {exc}") from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def to_call(self, params: Mapping[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``(args, kwargs)`` that call the function with ``params``."""
        if self.simple:
            return (), dict(params)
        bound = inspect.BoundArguments(self.signature, dict(params))
        return bound.args, bound.kwargs


def _type_name(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


_PLAIN = frozenset({int, float, str, bool, bytes})


class ParameterValidator:
    """Validates (and coerces, as pydantic does) a flow's parameters from its type hints.

    A value whose type is exactly its plain hint (``int``, ``str``, ...) is
    accepted without pydantic, so a flow called with well-typed values never
    imports it; anything else goes through a pydantic ``TypeAdapter`` built
    once per parameter and cached.
    """

    def __init__(self, fn: Callable[..., Any], spec: CallSpec) -> None:
        self._fn = fn
        self._spec = spec
        self._lock = threading.Lock()
        self._hints: dict[str, Any] | None = None
        self._secret_names: frozenset[str] | None = None
        self._adapters: dict[str, Any] = {}

    def _get_hints(self) -> dict[str, Any]:
        hints = self._hints
        if hints is None:
            with self._lock:
                if self._hints is None:
                    self._hints = self._resolve_hints()
                hints = self._hints
        return hints

    def secret_names(self) -> frozenset[str]:
        """The parameters annotated with a secret type (see the module docs)."""
        names = self._secret_names
        if names is None:
            names = frozenset(
                name for name, hint in self._get_hints().items() if is_secret_hint(hint)
            )
            self._secret_names = names
        return names

    def _resolve_hints(self) -> dict[str, Any]:
        try:
            hints = typing.get_type_hints(self._fn, include_extras=True)
        except Exception:  # unresolvable forward references: validate what we can
            hints = {
                name: p.annotation
                for name, p in self._spec.signature.parameters.items()
                if isinstance(p.annotation, type)
            }
        out: dict[str, Any] = {}
        for name, param in self._spec.signature.parameters.items():
            hint = hints.get(name, _EMPTY)
            if (
                hint is _EMPTY
                or hint is Any
                or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
            ):
                continue
            out[name] = hint
        return out

    def _adapter(self, name: str, hint: Any) -> Any:
        adapter = self._adapters.get(name)
        if adapter is None:
            from pydantic import ConfigDict, TypeAdapter

            try:
                adapter = TypeAdapter(hint, config=ConfigDict(arbitrary_types_allowed=True))
            except Exception:
                try:
                    adapter = TypeAdapter(hint)
                except Exception:  # a type pydantic cannot handle: leave it unchecked
                    adapter = False
            self._adapters[name] = adapter
        return adapter

    def validate(self, params: dict[str, Any], *, flow_name: str) -> dict[str, Any]:
        """Validated parameters; :class:`ParameterValidationError` naming each bad one."""
        hints = self._get_hints()
        if not hints:
            return params
        out = dict(params)
        problems: list[str] = []
        defaults = self._spec.defaults
        for name, hint in hints.items():
            if name not in params:
                continue
            value = params[name]
            if value is defaults.get(name, _EMPTY):
                continue  # a default is what the author wrote; do not reject it
            if hint in _PLAIN and type(value) is hint:
                continue
            adapter = self._adapter(name, hint)
            if adapter is False:
                continue
            from pydantic import ValidationError

            try:
                out[name] = adapter.validate_python(value)
            except ValidationError as exc:
                errors = exc.errors()
                reason = errors[0].get("msg", "invalid value") if errors else "invalid value"
                problems.append(
                    f"{name!r}: {reason} (expected {_type_name(hint)}, got {type(value).__name__}"
                    + ("" if is_secret_hint(hint) else f" {_short(value)}")  # a secret: no value
                    + ")"
                )
        if problems:
            raise ParameterValidationError(
                f"Flow {flow_name!r} received invalid parameters: " + "; ".join(problems)
            )
        return out


def _short(value: Any) -> str:
    text = mask_secrets(repr(value))  # before cutting: a cut secret is no longer matched
    return text if len(text) <= 60 else text[:57] + "..."
