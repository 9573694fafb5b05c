"""The one error of a ``grove sim run`` session: bad input found while reading, applying or running."""

from __future__ import annotations


class RunError(ValueError):
    """Bad input discovered while running (unknown kind, missing object, admission rejection)."""
