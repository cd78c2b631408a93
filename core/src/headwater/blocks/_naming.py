"""Block type slugs, document names and docstring metadata."""

from __future__ import annotations

import inspect
import re

__all__ = [
    "NAME_RULE",
    "docstring_description",
    "docstring_example",
    "kebab_case",
    "split_reference",
    "validate_name",
    "validate_slug",
]

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")

NAME_RULE = (
    "block names use lowercase letters, digits, '-' and '_', start with a letter or digit "
    "and have at most 100 characters"
)


def kebab_case(class_name: str) -> str:
    """``AwsCredentials`` -> ``aws-credentials``, ``S3Bucket`` -> ``s3-bucket``, ``HTTPServer`` -> ``http-server``."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", class_name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", text)
    return text.replace("_", "-").lower()


def validate_name(name: object, *, what: str = "block") -> str:
    """``name`` if it is a valid document name, else ValueError naming the rule."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(f"{what} name {name!r} is invalid: {NAME_RULE}")
    return name


def validate_slug(slug: object) -> str:
    if not isinstance(slug, str) or not _SLUG_RE.match(slug):
        raise ValueError(
            f"block type slug {slug!r} is invalid: slugs use lowercase letters, digits and '-'"
        )
    return slug


def split_reference(reference: str) -> tuple[str, str]:
    """``"slug/name"`` -> ``("slug", "name")``, validated; ValueError otherwise."""
    if not isinstance(reference, str) or reference.count("/") != 1:
        raise ValueError(
            f"{reference!r} is not a block reference: expected 'block-type-slug/block-name', "
            "e.g. 'local-file-system/results'"
        )
    slug, name = reference.split("/")
    return validate_slug(slug), validate_name(name)


def _clean(doc: str | None) -> str:
    return inspect.cleandoc(doc) if doc else ""


_SECTION_RE = re.compile(r"^(Args|Arguments|Attributes|Returns|Raises|Examples?|Notes?):\s*$")


def docstring_description(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line ('' when there is none)."""
    text = _clean(doc)
    paragraph = text.split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())


def docstring_example(doc: str | None) -> str | None:
    """The code of the docstring's ``Example:``/``Examples:`` section, dedented, without fences."""
    lines = _clean(doc).splitlines()
    for i, line in enumerate(lines):
        if line.strip() in {"Example:", "Examples:"}:
            body: list[str] = []
            for follow in lines[i + 1 :]:
                if follow and not follow[0].isspace() and _SECTION_RE.match(follow.strip()):
                    break
                body.append(follow)
            code = [
                line
                for line in inspect.cleandoc("\n".join(body)).splitlines()
                if not line.strip().startswith("```")
            ]
            text = inspect.cleandoc("\n".join(code)).strip()
            return text or None
    return None
