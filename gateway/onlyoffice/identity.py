"""Who is this browser? Asked of Confluence with the user's own credentials, cached briefly.

Every editor open, link decision and access check needs the identity; asking Confluence each time
would double its load and, for remember-me-only browsers, create a new server session per call
(reference/confluence.md section 2.7). The cache is keyed by a hash of the credentials, never by
the credentials themselves, and only for a short time so a logout or permission change shows soon.
"""

from __future__ import annotations

import asyncio

from gateway.confluence.client import ConfluenceClient, UserCredentials
from gateway.confluence.models import Identity
from gateway.ttl_cache import TtlCache

__all__ = ["IdentityCache"]


class IdentityCache:
    def __init__(self, client: ConfluenceClient, *, ttl: float = 30.0, max_entries: int = 10_000) -> None:
        self._client = client
        self._entries: TtlCache[str, Identity] = TtlCache(ttl, max_entries)
        self._pending: dict[str, asyncio.Future[Identity]] = {}

    async def get(self, credentials: UserCredentials) -> Identity:
        if not credentials.present:
            return Identity.anonymous_user()
        fingerprint = credentials.fingerprint()
        cached = self._entries.get(fingerprint)
        if cached is not None:
            return cached
        pending = self._pending.get(fingerprint)
        if pending is not None:
            # Concurrent requests of one browser (a page and its AJAX calls) share one side call.
            return await asyncio.shield(pending)
        future: asyncio.Future[Identity] = asyncio.get_running_loop().create_future()
        self._pending[fingerprint] = future
        try:
            identity = await self._client.current_user(credentials)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else needs to
            raise
        finally:
            self._pending.pop(fingerprint, None)
        future.set_result(identity)
        self._entries.put(fingerprint, identity)
        return identity
