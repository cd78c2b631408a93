"""The API's routers, one small module per kind of object."""

from __future__ import annotations

__all__: list[str] = []
