"""Outgoing requests of DS: document downloads with the outbox header token, and the private-IP rule.

Reference §3.2 (download GETs carry `{payload:{url}}` in the configured header, only when the
originating request was JWT-verified) and §8.4 (unsigned requests to private/loopback/meta addresses
are refused by request-filtering-agent; with JWT on, URLs that came inside a verified JWT go direct).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import aiohttp
from yarl import URL

from .tokens import sign_outbox_header

__all__ = ["MAX_DOWNLOAD_BYTES", "DownloadError", "Egress", "EgressBlocked"]

MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
USER_AGENT = "Node.js/6.13"


class DownloadError(Exception):
    """The document could not be fetched ("Download failed", conversion -4; -10 when too large)."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


class EgressBlocked(DownloadError):
    """request-filtering-agent refused the address (private, loopback, link-local or meta IP)."""


def _is_blocked_ip(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    return bool(
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_reserved
        or addr.is_multicast
        or addr.is_unspecified
    )


@dataclass
class Egress:
    """Settings and the shared client session for everything DS sends out."""

    jwt_secret: str
    jwt_header: str
    jwt_enabled: bool
    allow_private_ip_unsigned: bool
    retry_base_delay: float
    client: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared client, created on app startup (it needs the running loop)."""
        if self.client is None:
            raise RuntimeError("the simulator has not started")
        return self.client

    async def check(self, url: str, *, signed: bool) -> None:
        """Refuse private addresses for requests that did not come inside a verified JWT."""
        if signed or self.allow_private_ip_unsigned:
            return
        host = URL(url).host
        if not host:
            raise DownloadError(f"invalid URL {url!r}")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise DownloadError(f"DNS lookup {host} failed: {exc}") from exc
        for info in infos:
            ip = str(info[4][0])
            if _is_blocked_ip(ip):
                raise EgressBlocked(
                    f"DNS lookup {ip}(family:{info[0]}, host:{host}) is not allowed. "
                    "Because, It is private IP address."
                )

    def outbox_header(self, payload: dict[str, object]) -> dict[str, str]:
        if not self.jwt_enabled:
            return {}
        return {self.jwt_header: sign_outbox_header(payload, self.jwt_secret)}

    async def download(self, url: str, *, signed: bool) -> bytes:
        """GET a source file: header token `{payload:{url}}`, up to 3 attempts, 100 MiB limit."""
        try:
            parsed = URL(url)
        except (ValueError, TypeError) as exc:
            raise DownloadError(f"invalid URL {url!r}") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise DownloadError(f"invalid URL {url!r}")
        await self.check(url, signed=signed)
        headers = {"User-Agent": USER_AGENT}
        if signed:
            headers.update(self.outbox_header({"url": url}))
        last_error = "download failed"
        for attempt in range(3):
            if attempt:
                await asyncio.sleep(self.retry_base_delay)
            try:
                timeout = aiohttp.ClientTimeout(total=120)
                async with self.session.get(
                    URL(url, encoded=True), headers=headers, timeout=timeout, allow_redirects=True
                ) as resp:
                    if resp.status != 200:
                        last_error = f"HTTP {resp.status} from {url}"
                        if resp.status < 500:
                            break
                        continue
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in resp.content.iter_chunked(65536):
                        size += len(chunk)
                        if size > MAX_DOWNLOAD_BYTES:
                            raise DownloadError("file too large", too_large=True)
                        chunks.append(chunk)
                    return b"".join(chunks)
            except TimeoutError as exc:
                raise DownloadError(f"timeout downloading {url}") from exc
            except aiohttp.ClientError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
        raise DownloadError(last_error)
