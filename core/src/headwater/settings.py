"""Settings read from the environment.

Every setting is an environment variable prefixed ``HEADWATER_``. Settings are
read when :func:`get_settings` is first called and cached; tests and
``temporary_settings`` reset the cache.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from headwater.errors import ConfigurationError

__all__ = ["SecretSetting", "Settings", "get_settings", "reset_settings", "temporary_settings"]


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean (use true or false)")


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a number") from None


class SecretSetting:
    """A secret setting (a token): masked in ``repr``/``str``, read with ``get_secret_value()``.

    Plain rather than pydantic's ``SecretStr`` so that reading settings never imports pydantic.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretSetting('********')"

    def __str__(self) -> str:
        return "********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretSetting) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _secret(raw: str | None) -> SecretSetting | None:
    return SecretSetting(raw) if raw else None


@dataclass(frozen=True, slots=True)
class Settings:
    """Headwater's configuration, one field per ``HEADWATER_*`` variable."""

    home: Path
    """``HEADWATER_HOME``: where the SQLite database, results and keys live (default ``~/.headwater``)."""
    database_url: str
    """``HEADWATER_DATABASE_URL``: ``sqlite:///path`` or ``postgresql://...`` (default: SQLite in home)."""
    api_url: str | None
    """``HEADWATER_API_URL``: talk to a Headwater server (``http://host:4200``) instead of the database."""
    results_persist_by_default: bool
    """``HEADWATER_RESULTS_PERSIST_BY_DEFAULT``: persist every task result unless told otherwise."""
    local_storage_path: Path
    """``HEADWATER_LOCAL_STORAGE_PATH``: default result storage folder (default ``<home>/storage``)."""
    logging_level: str
    """``HEADWATER_LOGGING_LEVEL``: level of run loggers (default ``INFO``)."""
    heartbeat_seconds: float
    """``HEADWATER_HEARTBEAT_SECONDS``: how often a running flow proves it is alive (default 10)."""
    crash_after_seconds: float
    """``HEADWATER_CRASH_AFTER_SECONDS``: a Running run silent this long is Crashed (default 90)."""
    progress: bool
    """``HEADWATER_PROGRESS``: show the live progress line on a terminal (default true)."""
    results_default_storage: str | None = None
    """``HEADWATER_RESULTS_DEFAULT_STORAGE``: default result storage, a saved WritableFileSystem
    block as ``"slug/name"`` (e.g. ``local-file-system/results``) or a folder path."""
    api_key: SecretSetting | None = None
    """``HEADWATER_API_KEY``: the token a client (flows, CLI) sends to the server at ``api_url``."""
    server_admin_token: SecretSetting | None = None
    """``HEADWATER_SERVER_ADMIN_TOKEN``: with this set, the server needs a token on every route but
    ``/api/health``; this token may read and write, and read secret values."""
    server_read_token: SecretSetting | None = None
    """``HEADWATER_SERVER_READ_TOKEN``: a token that may only read (never secret values)."""
    server_cors_origins: tuple[str, ...] = ()
    """``HEADWATER_SERVER_CORS_ORIGINS``: comma-separated origins allowed cross-origin (default: none,
    same-origin only). Without tokens, only loopback origins are accepted: the server refuses to
    start with ``*`` or any other origin unless ``HEADWATER_SERVER_ADMIN_TOKEN`` is set."""
    server_allowed_hosts: tuple[str, ...] = ()
    """``HEADWATER_SERVER_ALLOWED_HOSTS``: comma-separated host names (without port) the server
    answers to besides ``localhost``, ``127.0.0.1``, ``[::1]`` and its bind address; a request
    with any other ``Host`` header gets 400 (a defence against DNS rebinding)."""
    server_unsafe_allow_remote_without_auth: bool = False
    """``HEADWATER_SERVER_UNSAFE_ALLOW_REMOTE_WITHOUT_AUTH``: let ``headwater server start``
    listen on a non-loopback address with no tokens configured (anyone who reaches the port can
    read every secret and run code); refused by default."""
    results_json_allowed_modules: tuple[str, ...] = ()
    """``HEADWATER_RESULTS_JSON_ALLOWED_MODULES``: comma-separated modules (each with its
    submodules) whose namedtuple, Enum, pydantic model and dataclass types the JSON result
    serializer may rebuild, besides ``__main__`` and the running flow's and task's modules."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        home = Path(env.get("HEADWATER_HOME") or Path.home() / ".headwater").expanduser()
        database_url = env.get("HEADWATER_DATABASE_URL") or f"sqlite:///{home / 'headwater.db'}"
        if not database_url.startswith(
            ("sqlite://", "postgresql://", "postgres://", "postgresql+psycopg://")
        ):
            raise ConfigurationError(
                "HEADWATER_DATABASE_URL must start with sqlite:// or postgresql://; "
                f"got a URL starting with {database_url.split(':', 1)[0]!r}"
            )
        storage = env.get("HEADWATER_LOCAL_STORAGE_PATH")
        heartbeat = _float(
            "HEADWATER_HEARTBEAT_SECONDS", env.get("HEADWATER_HEARTBEAT_SECONDS", "10")
        )
        crash_after = _float(
            "HEADWATER_CRASH_AFTER_SECONDS", env.get("HEADWATER_CRASH_AFTER_SECONDS", "90")
        )
        if heartbeat <= 0 or crash_after <= heartbeat:
            raise ConfigurationError(
                "HEADWATER_HEARTBEAT_SECONDS must be positive and smaller than HEADWATER_CRASH_AFTER_SECONDS"
            )
        level = env.get("HEADWATER_LOGGING_LEVEL", "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigurationError(f"HEADWATER_LOGGING_LEVEL={level!r} is not a logging level")
        return cls(
            home=home,
            database_url=database_url,
            api_url=env.get("HEADWATER_API_URL") or None,
            results_persist_by_default=_bool(
                "HEADWATER_RESULTS_PERSIST_BY_DEFAULT",
                env.get("HEADWATER_RESULTS_PERSIST_BY_DEFAULT", "false"),
            ),
            local_storage_path=Path(storage).expanduser() if storage else home / "storage",
            logging_level=level,
            heartbeat_seconds=heartbeat,
            crash_after_seconds=crash_after,
            progress=_bool("HEADWATER_PROGRESS", env.get("HEADWATER_PROGRESS", "true")),
            results_default_storage=env.get("HEADWATER_RESULTS_DEFAULT_STORAGE") or None,
            api_key=_secret(env.get("HEADWATER_API_KEY")),
            server_admin_token=_secret(env.get("HEADWATER_SERVER_ADMIN_TOKEN")),
            server_read_token=_secret(env.get("HEADWATER_SERVER_READ_TOKEN")),
            server_cors_origins=tuple(
                o.strip().rstrip("/")
                for o in env.get("HEADWATER_SERVER_CORS_ORIGINS", "").split(",")
                if o.strip()
            ),
            server_allowed_hosts=tuple(
                h.strip().lower()
                for h in env.get("HEADWATER_SERVER_ALLOWED_HOSTS", "").split(",")
                if h.strip()
            ),
            server_unsafe_allow_remote_without_auth=_bool(
                "HEADWATER_SERVER_UNSAFE_ALLOW_REMOTE_WITHOUT_AUTH",
                env.get("HEADWATER_SERVER_UNSAFE_ALLOW_REMOTE_WITHOUT_AUTH", "false"),
            ),
            results_json_allowed_modules=tuple(
                m.strip()
                for m in env.get("HEADWATER_RESULTS_JSON_ALLOWED_MODULES", "").split(",")
                if m.strip()
            ),
        )

    def as_dict(self, *, hide_secrets: bool = True) -> dict[str, str | None]:
        """The settings as strings, with any password in the database URL masked."""
        out: dict[str, str | None] = {}
        for f in fields(self):
            value = asdict(self)[f.name]
            if isinstance(value, tuple):
                out[f.name] = ",".join(value) or None
            else:
                out[f.name] = None if value is None else str(value)
        if hide_secrets and out["database_url"]:
            out["database_url"] = mask_url_password(out["database_url"])
        return out


def mask_url_password(url: str) -> str:
    """Replace the password of ``scheme://user:password@host/...`` with ``********``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, at, host = rest.rpartition("@")
    if ":" not in creds:
        return url
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:********{at}{host}"


_settings: Settings | None = None


def get_settings() -> Settings:
    """The current settings, read from the environment once and cached."""
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def reset_settings() -> None:
    """Forget cached settings so the next :func:`get_settings` reads the environment again."""
    global _settings
    _settings = None


@contextmanager
def temporary_settings(**env: str | None) -> Iterator[Settings]:
    """Set ``HEADWATER_<NAME>`` variables for the duration of a ``with`` block.

    ``temporary_settings(home="/tmp/x")`` sets ``HEADWATER_HOME``; ``None`` unsets.
    """
    saved = {}
    try:
        for key, value in env.items():
            name = f"HEADWATER_{key.upper()}"
            saved[name] = os.environ.get(name)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        yield get_settings()
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
        reset_settings()
