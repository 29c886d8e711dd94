"""The fault tests reuse the proxy, worker and saving helpers (real processes on loopback)."""

from tests.integration.saving.redis_process import own_redis

__all__ = ["own_redis"]
