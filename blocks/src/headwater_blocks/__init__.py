"""Vendor-neutral ready-made blocks for Headwater.

The block library arrives with the Block abstraction; this package currently
exposes only its version.
"""

from __future__ import annotations

from headwater_blocks._version import __version__

__all__ = ["__version__"]
