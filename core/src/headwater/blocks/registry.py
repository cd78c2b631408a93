"""The registry of block types: slug -> class.

Block classes register themselves when they are defined. Types from other
packages are found lazily through the ``headwater.blocks`` entry point group
(name = slug, value = ``"module:Class"``), imported only when a slug is asked
for, so installing an integration is all it takes to load its blocks.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from headwater.blocks.errors import UnknownBlockType

if TYPE_CHECKING:
    from headwater.blocks.core import Block

__all__ = [
    "BLOCKS_GROUP",
    "BlockTypeInfo",
    "get_block_class",
    "register_block_type",
    "registered_block_types",
]

BLOCKS_GROUP = "headwater.blocks"

_PACKAGE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("aws-", "headwater-aws"),
    ("s3-", "headwater-aws"),
    ("ecs-", "headwater-aws"),
    ("lambda-", "headwater-aws"),
    ("gcp-", "headwater-gcp"),
    ("gcs-", "headwater-gcp"),
    ("big-query-", "headwater-gcp"),
    ("bigquery-", "headwater-gcp"),
    ("cloud-run-", "headwater-gcp"),
    ("azure-", "headwater-azure"),
    ("snowflake-", "headwater-snowflake"),
    ("dbt-", "headwater-dbt"),
    ("gx-", "headwater-gx"),
    ("great-expectations-", "headwater-gx"),
    ("mlflow-", "headwater-mlflow"),
    ("dask-", "headwater-dask"),
)
_KNOWN_SLUGS = {
    "remote-file-system": "headwater-blocks",
    "slack-webhook": "headwater-blocks",
    "microsoft-teams-webhook": "headwater-blocks",
    "discord-webhook": "headwater-blocks",
    "smtp-email": "headwater-blocks",
    "custom-webhook": "headwater-blocks",
    "sqlalchemy-connector": "headwater-blocks",
    "shell-operation": "headwater-blocks",
}


def package_for_slug(slug: str) -> str | None:
    """The pip package known to provide ``slug`` (for install hints), if any."""
    if slug in _KNOWN_SLUGS:
        return _KNOWN_SLUGS[slug]
    for prefix, package in _PACKAGE_PREFIXES:
        if slug.startswith(prefix):
            return package
    return None


@dataclass(frozen=True, slots=True)
class BlockTypeInfo:
    """One installed block type: its slug, class and the distribution it comes from."""

    slug: str
    cls: type[Block] | None
    package: str | None
    error: str | None = None
    """Why the class could not be imported (its entry point is broken), else ``None``."""


_registry: dict[str, type[Block]] = {}
_lock = threading.RLock()


def register_block_type(cls: type[Block]) -> None:
    """Register ``cls`` under its slug; TypeError when another class already has the slug.

    Redefining the same class (same module and qualified name, e.g. a reloaded
    module) replaces the old one.
    """
    slug = cls.get_block_type_slug()
    with _lock:
        existing = _registry.get(slug)
        if existing is not None and existing is not cls:
            same = (existing.__module__, existing.__qualname__) == (
                cls.__module__,
                cls.__qualname__,
            )
            if not same:
                raise TypeError(
                    f"block type slug {slug!r} of {cls.__module__}.{cls.__qualname__} is already "
                    f"used by {existing.__module__}.{existing.__qualname__}; set "
                    "_block_type_slug on one of them to a different slug"
                )
        _registry[slug] = cls


def _unregister_block_type(slug: str) -> None:
    """Forget a registered type (for tests that define throwaway block classes)."""
    with _lock:
        _registry.pop(slug, None)


def _entry_point(slug: str) -> EntryPoint | None:
    for ep in entry_points(group=BLOCKS_GROUP, name=slug):
        return ep
    return None


def _load_entry_point(ep: EntryPoint) -> type[Block]:
    from headwater.blocks.core import Block  # deferred: blocks.core imports this registry

    loaded = ep.load()
    if not (isinstance(loaded, type) and issubclass(loaded, Block)):
        raise TypeError(f"{ep.value} is not a Block subclass")
    register_block_type(loaded)
    return loaded


def get_block_class(slug: str) -> type[Block]:
    """The block class for ``slug``, importing it from its entry point when needed.

    Raises :class:`UnknownBlockType` naming the package to install when the
    slug belongs to a known integration that is not installed.
    """
    cls = _registry.get(slug)
    if cls is not None:
        return cls
    ep = _entry_point(slug)
    if ep is not None:
        package = ep.dist.name if ep.dist is not None else None
        try:
            cls = _load_entry_point(ep)
        except Exception as exc:
            raise UnknownBlockType(
                f"block type {slug!r} is registered by {package or 'an installed package'} "
                f"({ep.value}) but cannot be imported: {type(exc).__name__}: {exc}"
            ) from exc
        if cls.get_block_type_slug() != slug:
            raise UnknownBlockType(
                f"the entry point {slug!r} ({ep.value}) names a block whose slug is "
                f"{cls.get_block_type_slug()!r}"
            )
        return cls
    package = package_for_slug(slug)
    if package is not None:
        raise UnknownBlockType(
            f"unknown block type {slug!r}: it comes from {package}, which is not installed; "
            f"pip install {package}"
        )
    raise UnknownBlockType(
        f"unknown block type {slug!r}: no block class with this slug is defined or installed "
        "(see `headwater block types`)"
    )


def _package_of(cls: type[Block]) -> str | None:
    module = cls.__module__.split(".", 1)[0]
    if module == "headwater":
        return "headwater"
    dists = _distributions_by_module().get(module)
    return dists[0] if dists else None


@functools.lru_cache(maxsize=1)
def _distributions_by_module() -> dict[str, list[str]]:
    """Top-level module -> distributions, read once per process: building it walks every
    installed distribution's file list, far too slow to repeat for each block class."""
    try:
        from importlib.metadata import packages_distributions

        return dict(packages_distributions())
    except Exception:
        return {}


def registered_block_types() -> dict[str, BlockTypeInfo]:
    """Every block type: those defined in this process and those installed packages
    register through entry points (imported now), sorted by slug."""
    # The core's own blocks always count (deferred: blocks.system imports blocks.core,
    # which imports this registry).
    import headwater.blocks.system  # noqa: F401

    found: dict[str, BlockTypeInfo] = {}
    for ep in entry_points(group=BLOCKS_GROUP):
        package = ep.dist.name if ep.dist is not None else None
        try:
            cls: type[Block] | None = _load_entry_point(ep)
            error = None
        except Exception as exc:
            cls, error = None, f"{type(exc).__name__}: {exc}"
        found[ep.name] = BlockTypeInfo(ep.name, cls, package, error)
    with _lock:
        local = dict(_registry)
    for slug, cls in local.items():
        if slug not in found:
            found[slug] = BlockTypeInfo(slug, cls, _package_of(cls))
    return dict(sorted(found.items()))


def is_block_type(slug: str) -> bool:
    """Whether a block class is registered or installed for ``slug`` (without importing it)."""
    return slug in _registry or _entry_point(slug) is not None
