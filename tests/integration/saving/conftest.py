"""Fixtures of the saving tests: `own_redis`, a Redis of a test's own (redis_process.py)."""

from tests.integration.saving.redis_process import own_redis

__all__ = ["own_redis"]
