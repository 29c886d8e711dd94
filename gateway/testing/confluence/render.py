"""Jinja2 rendering with autoescape and the context every Confluence page carries (§3.4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from gateway.testing.confluence.auth import atl_token
from gateway.testing.confluence.common import CONFIG, base_url, current_user

__all__ = ["ENVIRONMENT", "render", "render_fragment"]

ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _context(request: web.Request, values: dict[str, Any]) -> dict[str, Any]:
    config = request.app[CONFIG]
    user = current_user(request)
    ctx = config.context_path
    path_qs = request.rel_url.path_qs
    context: dict[str, Any] = {
        "ctx": ctx,
        "base": base_url(request),
        "user": user,
        "atl_token": atl_token(request),
        "locale": user.locale if user else "en_GB",
        "version_number": config.version_number,
        "build_number": config.build_number,
        "lazy_menus": config.lazy_menus,
        "attachment_max_size": config.attachment_max_size,
        "destination": path_qs[len(ctx) :] if ctx and path_qs.startswith(ctx) else path_qs,
        "page": None,
    }
    context.update(values)
    return context


def render_fragment(request: web.Request, template: str, **values: Any) -> str:
    return ENVIRONMENT.get_template(template).render(_context(request, values))


def render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    """A full HTML page as Confluence sends it (charset UTF-8, no caching of user-specific HTML)."""
    return web.Response(
        text=render_fragment(request, template, **values),
        status=status,
        content_type="text/html",
        charset="UTF-8",
        headers={"Cache-Control": "no-cache, no-store, must-revalidate"},
    )
