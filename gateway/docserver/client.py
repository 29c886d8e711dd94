"""Calls from the gateway to the Document Server: health, command service, conversion.

Every request is signed twice, as the Document Server's own integrations do (and as it accepts
from any version since 5.2): `token` in the JSON body, and the header token wrapping the request
in `payload` (reference/documentserver-protocol.md sections 3.2, 4, 5).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from gateway.docserver.jwt import bearer_value, sign, sign_header_payload

__all__ = ["CommandResult", "ConversionResult", "DocumentServerClient", "DocumentServerError"]

# Conversion error codes (section 4) -> what a person can act on.
CONVERSION_ERRORS: dict[int, str] = {
    -1: "unknown error",
    -2: "conversion timed out",
    -3: "conversion failed (corrupt or unsupported file)",
    -4: "the Document Server could not download the file",
    -5: "the file is password protected",
    -6: "the Document Server's task queue failed",
    -7: "invalid conversion request",
    -8: "the Document Server refused the JWT",
    -9: "cannot detect the output type",
    -10: "the file is larger than the Document Server allows",
}


class DocumentServerError(Exception):
    """The Document Server could not be reached or refused a request.

    `code` is the conversion error code (section 4) when the Document Server answered one, so callers
    can tell a file it cannot read (-3, -5...) from a fault of its own.
    """

    def __init__(self, message: str, *, transient: bool = True, code: int | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code


@dataclass(frozen=True, slots=True)
class CommandResult:
    error: int
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ConversionResult:
    done: bool
    percent: int
    file_url: str | None
    file_type: str | None


class DocumentServerClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: URL,
        secret: str,
        header: str = "Authorization",
        timeout: float = 60.0,
    ) -> None:
        self._session = session
        self._base = URL(str(base_url).rstrip("/") + "/")
        self._secret = secret
        self._header = header
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10.0))

    @property
    def base_url(self) -> URL:
        return self._base

    async def healthy(self) -> bool:
        """GET /healthcheck answers the text `true` when the server works (HTTP 200 either way)."""
        try:
            async with self._session.get(self._base / "healthcheck", timeout=self._timeout) as response:
                return response.status == 200 and (await response.text()).strip() == "true"
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def _post_signed(self, path: str, request: Mapping[str, Any]) -> dict[str, Any]:
        body = {**request, "token": sign(request, self._secret)}
        headers = {
            self._header: bearer_value(sign_header_payload(request, self._secret)),
            "Accept": "application/json",
        }
        try:
            async with self._session.post(
                self._base / path, json=body, headers=headers, timeout=self._timeout, allow_redirects=False
            ) as response:
                text = await response.text()
                if response.status != 200:
                    raise DocumentServerError(
                        f"{path}: the Document Server answered HTTP {response.status}",
                        transient=response.status >= 500 or response.status == 429,
                    )
        except aiohttp.ClientError as error:
            raise DocumentServerError(
                f"{path}: the Document Server is unreachable ({type(error).__name__})"
            ) from error
        except TimeoutError as error:
            raise DocumentServerError(f"{path}: the Document Server timed out") from error
        try:
            parsed = json.loads(text)
        except ValueError as error:
            raise DocumentServerError(f"{path}: the Document Server sent invalid JSON") from error
        if not isinstance(parsed, dict):
            raise DocumentServerError(f"{path}: the Document Server sent an unexpected answer")
        return parsed

    async def command(self, command: str, **fields: Any) -> CommandResult:
        """The command service (`info`, `drop`, `forcesave`, `version`, `getForgotten`...)."""
        data = await self._post_signed("command", {"c": command, **fields})
        error = data.get("error")
        return CommandResult(
            error=int(error) if isinstance(error, int | str) and str(error).lstrip("-").isdigit() else 3,
            data=data,
        )

    async def version(self) -> str:
        result = await self.command("version")
        if result.error == 6:
            raise DocumentServerError("the Document Server refused the JWT secret", transient=False)
        if result.error != 0 or not isinstance(result.data.get("version"), str):
            raise DocumentServerError(f"the Document Server's version command failed (error {result.error})")
        return str(result.data["version"])

    async def convert(
        self,
        *,
        url: str,
        source_type: str,
        target_type: str,
        key: str,
        title: str | None = None,
        region: str | None = None,
    ) -> ConversionResult:
        """One asynchronous conversion request; call again with the same arguments until `done`."""
        request: dict[str, Any] = {
            "url": url,
            "filetype": source_type,
            "outputtype": target_type,
            "key": key,
            "async": True,
        }
        if title:
            request["title"] = title
        if region:
            request["region"] = region
        data = await self._post_signed("converter", request)
        if "error" in data and data["error"] not in (0, None):
            try:
                code = int(data["error"])
            except (TypeError, ValueError):
                code = -1
            raise DocumentServerError(
                f"conversion failed: {CONVERSION_ERRORS.get(code, f'error {code}')}",
                transient=code in (-1, -2, -4, -6),
                code=code,
            )
        return ConversionResult(
            done=bool(data.get("endConvert")),
            percent=int(data.get("percent") or 0),
            file_url=data.get("fileUrl"),
            file_type=data.get("fileType"),
        )

    async def convert_until_done(
        self, *, poll_interval: float = 1.0, deadline: float = 300.0, **request: Any
    ) -> ConversionResult:
        """Poll an asynchronous conversion until it ends (the Document Server caches per key)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + deadline
        while True:
            result = await self.convert(**request)
            if result.done:
                return result
            if loop.time() > until:
                raise DocumentServerError("conversion did not finish in time")
            await asyncio.sleep(poll_interval)
