"""Run names: generated ``adjective-animal`` names and user templates."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from headwater.errors import ConfigurationError
from headwater.masking import mask_secrets

__all__ = ["format_run_name", "generate_slug"]

_ADJECTIVES = (
    "amber", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "daring", "eager",
    "fancy", "fearless", "gentle", "golden", "happy", "hidden", "jolly", "keen", "lively", "lucky",
    "mellow", "mighty", "nimble", "noble", "polite", "proud", "quick", "quiet", "rapid", "royal",
    "shiny", "silent", "silver", "smart", "snappy", "steady", "sunny", "swift", "tidy", "vivid",
    "warm", "wise", "witty", "zealous",
)  # fmt: skip
_ANIMALS = (
    "badger", "beaver", "bison", "cheetah", "crane", "dolphin", "eagle", "falcon", "ferret", "fox",
    "gecko", "heron", "ibis", "jaguar", "koala", "lemur", "lynx", "marmot", "newt", "ocelot",
    "otter", "owl", "panda", "pelican", "puffin", "quail", "raven", "salmon", "seal", "sparrow",
    "stork", "tapir", "tiger", "toucan", "trout", "turtle", "walrus", "weasel", "wolf", "yak",
)  # fmt: skip


def generate_slug() -> str:
    """A readable random run name like ``swift-otter``."""
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_ANIMALS)}"


def format_run_name(
    template: str | Callable[[], str],
    parameters: Mapping[str, Any],
    *,
    option: str,
) -> str:
    """Fill a ``task_run_name``/``flow_run_name`` template from the run's parameters.

    A callable is called with no arguments (it can read the run context). A
    string is a ``str.format`` template whose fields are parameter names.
    Registered secrets are masked: the name is stored and shown everywhere.
    """
    if callable(template):
        name = template()
        if not isinstance(name, str):
            raise ConfigurationError(
                f"{option} callable must return a str, got {type(name).__name__}"
            )
        return mask_secrets(name)
    try:
        return mask_secrets(template.format(**parameters))
    except (KeyError, IndexError) as exc:
        raise ConfigurationError(
            f"{option}={template!r} refers to {exc} which is not a parameter "
            f"(parameters: {', '.join(parameters) or 'none'})"
        ) from None
