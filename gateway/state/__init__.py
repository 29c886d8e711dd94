"""Small shared state: locks, idempotency records, pending saves, open editing sessions.

Workers and replicas keep nothing else; what must agree between them lives here. In memory for one
worker; in one SQLite file for the worker processes of one host (`state.path`, durable across
restarts); in Redis when `state.redis_url` is set (several hosts: a callback can land on any of
them). Values are small JSON objects with optional expiry. Locks expire after `ttl`; with `renew`
they are kept alive while their holder works, so a long save is never overtaken and a worker that
dies while holding one blocks a document for `ttl` only.
"""

from gateway.state.base import LockTimeout, SharedState, StateUnavailable
from gateway.state.choice import StateChoice, choose_state, create_state, default_state_path
from gateway.state.memory import MemoryState
from gateway.state.redis import RedisState
from gateway.state.sqlite import SqliteState

__all__ = [
    "LockTimeout",
    "MemoryState",
    "RedisState",
    "SharedState",
    "SqliteState",
    "StateChoice",
    "StateUnavailable",
    "choose_state",
    "create_state",
    "default_state_path",
]
