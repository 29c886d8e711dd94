"""Callbacks DS -> host (reference §2): signed twice, success only on 200 + error 0, §2.3 retries.

Status 2/3 are retried on network errors, 429 and 5xx, three times at base·1, base·2, base·4 s
(npm `retry`: minTimeout 1000 ms, factor 2); fresh signed links are generated for each attempt.
Statuses 1, 4, 6, 7 are sent once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .egress import USER_AGENT, DownloadError, Egress
from .tokens import sign_outbox

__all__ = ["RETRIED_STATUSES", "CallbackAttempt", "CallbackSender", "is_retryable_http"]

RETRIED_STATUSES = frozenset({2, 3})
RETRIES = 3
CALLBACK_TIMEOUT_SECONDS = 600


def is_retryable_http(status: int) -> bool:
    """DS `httpStatus = "429,500-599"`."""
    return status == 429 or 500 <= status <= 599


@dataclass
class CallbackAttempt:
    """One POST to a callbackUrl, as the tests inspect it."""

    url: str
    key: str
    status: int
    attempt: int
    sent_at: float
    body: dict[str, Any]
    headers: dict[str, str]
    http_status: int | None = None
    response_text: str | None = None
    error: str | None = None
    success: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "key": self.key,
            "status": self.status,
            "attempt": self.attempt,
            "sent_at": self.sent_at,
            "body": self.body,
            "http_status": self.http_status,
            "response_text": self.response_text,
            "error": self.error,
            "success": self.success,
        }


def _is_success(http_status: int, text: str) -> bool:
    if http_status != 200:
        return False
    try:
        answer = json.loads(text)
    except ValueError:
        return False
    if not isinstance(answer, dict) or "error" not in answer:
        return False
    error = answer["error"]
    # DS compares with `==`, so "0" is success too, but not true/false/null.
    return (isinstance(error, int) and not isinstance(error, bool) and error == 0) or error == "0"


@dataclass
class CallbackSender:
    """Posts callbacks and records every attempt in `log`."""

    egress: Egress
    log: list[CallbackAttempt] = field(default_factory=list)

    def _signed(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json", "Connection": "Keep-Alive"}
        if not self.egress.jwt_enabled:
            return body, headers
        signed_body = dict(body)
        signed_body["token"] = sign_outbox(body, self.egress.jwt_secret)
        headers.update(self.egress.outbox_header(body))
        return signed_body, headers

    async def _post_once(self, url: str, body: dict[str, Any], attempt: int) -> tuple[bool, bool]:
        """Returns (success, retryable)."""
        signed_body, headers = self._signed(body)
        record = CallbackAttempt(
            url=url,
            key=str(body.get("key")),
            status=int(body.get("status", 0)),
            attempt=attempt,
            sent_at=time.monotonic(),
            body=signed_body,
            headers=dict(headers),
        )
        self.log.append(record)
        try:
            # 8.1+: every request is filtered unless it came inside a verified JWT (callbacks do,
            # whenever inbox JWT is on).
            await self.egress.check(url, signed=self.egress.jwt_enabled)
            timeout = aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT_SECONDS)
            async with self.egress.session.post(
                url, data=json.dumps(signed_body).encode(), headers=headers, timeout=timeout
            ) as resp:
                text = await resp.text(errors="replace")
                record.http_status = resp.status
                record.response_text = text[:2000]
        except (aiohttp.ClientError, TimeoutError, OSError, DownloadError) as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            return False, True
        record.success = _is_success(resp.status, text)
        return record.success, (not record.success) and is_retryable_http(resp.status)

    async def send(self, url: str, build: Callable[[], dict[str, Any]]) -> bool:
        """POST `build()` to `url`; retry per §2.3 for status 2/3, rebuilding the body each time."""
        body = build()
        retries = RETRIES if body.get("status") in RETRIED_STATUSES else 0
        for attempt in range(retries + 1):
            if attempt:
                await asyncio.sleep(self.egress.retry_base_delay * 2 ** (attempt - 1))
                body = build()
            success, retryable = await self._post_once(url, body, attempt)
            if success:
                return True
            if not retryable:
                return False
        return False
