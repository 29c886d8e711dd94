"""Document Server paths that its own nginx serves to 127.0.0.1 only (reference protocol §6).

`/info/` (statistics, licence) and `/internal/` (cluster shutdown with PUT/DELETE) are refused to
anyone but localhost by the Document Server's nginx, also behind a version segment
(`/9.3.0-abc/info/...`). Through the gateway's mount every browser request arrives from the
gateway's address, which is localhost whenever the two share a host: the mount refuses them itself.
"""

from __future__ import annotations

__all__ = ["ADMIN_SEGMENTS", "is_admin_path"]

ADMIN_SEGMENTS = frozenset({"info", "internal"})


def is_admin_path(path: str) -> bool:
    """Whether a resolved, lower-case path (as `gateway.proxy.mount.resolved_path` gives) is admin-only."""
    segments = path.strip("/").split("/")
    if segments[0] in ADMIN_SEGMENTS:
        return True
    # A version segment first (`9.3.0-abc`, `7.0.0.5`): the Document Server's nginx strips it.
    return len(segments) > 1 and segments[0][:1].isdigit() and segments[1] in ADMIN_SEGMENTS
