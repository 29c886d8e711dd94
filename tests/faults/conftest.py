"""The fault tests reuse the proxy, worker and saving helpers (real processes on loopback)."""

import sys
from pathlib import Path

_INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
for folder in ("proxy", "workers", "saving"):
    sys.path.insert(0, str(_INTEGRATION / folder))

from redis_process import own_redis  # noqa: E402  (importable once the folders are on the path)

__all__ = ["own_redis"]
