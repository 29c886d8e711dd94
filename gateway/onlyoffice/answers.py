"""JSON answers of the gateway's own routes (history, conversion, pickers, Save As...).

Never cached and never sniffed; a refusal carries the status and the message the browser shows,
so a handler can raise it from any depth and answer it in one place.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

__all__ = ["Refusal", "json_answer"]

_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def json_answer(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers=_HEADERS)


class Refusal(Exception):
    """An answer other than 200, with the message the browser gets."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def answer(self, **extra: Any) -> web.Response:
        return json_answer({"error": self.message, **extra}, self.status)
