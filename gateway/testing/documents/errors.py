"""The one error type every reader and writer here raises, so callers catch a single class."""

from __future__ import annotations

__all__ = ["DocumentError"]


class DocumentError(ValueError):
    """A document is malformed, truncated, of another format, or a conversion is not supported."""
