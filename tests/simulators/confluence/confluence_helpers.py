"""Request helpers for the Confluence simulator tests (a module, not conftest: importable by name)."""

from __future__ import annotations

import base64

from aiohttp import FormData

CTX = "/confluence"


def basic(user: str, password: str | None = None) -> dict[str, str]:
    raw = f"{user}:{password if password is not None else user}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def no_check(user: str) -> dict[str, str]:
    return {**basic(user), "X-Atlassian-Token": "no-check"}


def upload_form(
    name: str, data: bytes, content_type: str = "application/octet-stream", **fields: str
) -> FormData:
    form = FormData()
    for key, value in fields.items():
        form.add_field(key, value)
    form.add_field("file", data, filename=name, content_type=content_type)
    return form
