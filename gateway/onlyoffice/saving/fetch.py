"""Fetching an edited file from the Document Server, and only from it.

The callback names the file by URL. Even with a verified JWT that URL is fetched only when its
origin is the configured Document Server's (public or internal, compared as parsed origins, never
by string prefix) and its path is under that address's path (the Document Server may sit under a
path of the gateway's own origin: then only that path is its), rewritten to the internal address, without following redirects, with a timeout
and a size cap — the SSRF class the reference lists for other connectors (Chamilo, Nextcloud).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from yarl import URL

__all__ = ["FetchError", "FetchedFile", "fetch_from_docserver", "pinned_url"]

_CHUNK = 256 * 1024


class FetchError(Exception):
    """The file could not be fetched; `transient` failures are worth a retry."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def _prefix(url: URL) -> str:
    return url.raw_path.rstrip("/")


def pinned_url(url: str, public: URL, internal: URL) -> URL:
    """`url` on the Document Server's internal address, or FetchError if it points anywhere else."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as error:
        raise FetchError("the file URL is not a URL", transient=False) from error
    if not parsed.is_absolute() or parsed.scheme not in ("http", "https") or parsed.user or parsed.password:
        raise FetchError("the file URL is not an absolute http(s) URL", transient=False)
    for base in (internal, public):
        # Compared as sent (percent-encoded): the part after the prefix is what is forwarded, so a
        # decoded match ('/ds%2F..%2Fx' or '/d%73/x') must not count.
        if parsed.origin() == base.origin() and (
            parsed.raw_path == _prefix(base) or parsed.raw_path.startswith(_prefix(base) + "/")
        ):
            relative = parsed.raw_path[len(_prefix(base)) :]
            # The query exactly as signed (re-encoding it would be a different link to some servers).
            query = f"?{parsed.raw_query_string}" if parsed.raw_query_string else ""
            return URL(
                str(internal.origin()) + internal.raw_path.rstrip("/") + relative + query, encoded=True
            )
    raise FetchError(f"the file URL points outside the Document Server ({parsed.origin()})", transient=False)


@dataclass
class FetchedFile:
    """An open download: iterate `chunks()` once; the size cap is enforced while streaming."""

    response: aiohttp.ClientResponse
    max_bytes: int

    async def chunks(self) -> AsyncIterator[bytes]:
        received = 0
        try:
            async for chunk in self.response.content.iter_chunked(_CHUNK):
                received += len(chunk)
                if received > self.max_bytes:
                    raise FetchError(
                        f"the edited file is larger than {self.max_bytes} bytes", transient=False
                    )
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as error:
            raise FetchError(
                f"reading the edited file failed ({type(error).__name__})", transient=True
            ) from error


@contextlib.asynccontextmanager
async def fetch_from_docserver(
    session: aiohttp.ClientSession,
    url: str,
    *,
    public: URL,
    internal: URL,
    max_bytes: int,
    timeout: float,
) -> AsyncIterator[FetchedFile]:
    target = pinned_url(url, public, internal)
    try:
        response = await session.get(
            target,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout),
        )
    except (aiohttp.ClientError, TimeoutError) as error:
        raise FetchError(
            f"the Document Server is unreachable ({type(error).__name__})", transient=True
        ) from error
    try:
        if response.status != 200:
            # 403/410: the signed link is bad or expired; a retried callback brings a fresh one.
            raise FetchError(
                f"the Document Server answered {response.status} for the file",
                transient=response.status >= 500 or response.status in (403, 404, 410, 429),
            )
        if response.content_length is not None and response.content_length > max_bytes:
            raise FetchError(f"the edited file is larger than {max_bytes} bytes", transient=False)
        yield FetchedFile(response, max_bytes)
    finally:
        response.release()
