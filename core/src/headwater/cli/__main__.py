"""``python -m headwater.cli``: the same as the ``headwater`` console script."""

from __future__ import annotations

from headwater.cli._app import main

if __name__ == "__main__":
    main()
