"""Short HTML error pages the gateway answers itself: no traceback, no internal address."""

from __future__ import annotations

from aiohttp import web

__all__ = ["error_page"]

_TEXT = {
    400: ("Bad Request", "The request could not be understood."),
    408: ("Request Timeout", "The upload stopped arriving. Please try again."),
    413: ("Content Too Large", "The upload is larger than this server accepts."),
    417: ("Expectation Failed", "The Expect header of the request is not supported."),
    421: ("Misdirected Request", "This server does not serve the requested host."),
    502: ("Bad Gateway", "Confluence could not be reached. Please try again in a moment."),
    503: (
        "Service Unavailable",
        "The gateway's shared state is unavailable, so this cannot be done right now. Confluence and "
        "open editors keep working; please try again in a moment.",
    ),
    504: ("Gateway Timeout", "Confluence did not answer in time. Please try again in a moment."),
}


def error_page(status: int) -> web.Response:
    title, text = _TEXT.get(status, ("Error", "The request failed."))
    body = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{status} {title}</title></head>"
        f"<body><h1>{status} {title}</h1><p>{text}</p></body></html>\n"
    )
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )
