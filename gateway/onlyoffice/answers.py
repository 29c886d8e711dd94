"""What the plugin's own routes answer: JSON (history, conversion, pickers, Save As...) and HTML pages.

JSON answers are never cached and never sniffed; a refusal carries the status and the message the
browser shows, so a handler can raise it from any depth and answer it in one place. HTML pages are
rendered from autoescaping templates with strict headers; each speaks one of the catalog's
languages (`request_language`): templates get `lang` (for `<html lang>`) and
`text("message.id", name=...)`, which escapes what it fills in.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from yarl import URL

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import ConfluenceError
from gateway.onlyoffice.context import OnlyOfficeContext
from gateway.onlyoffice.i18n import DEFAULT_LANGUAGE, Texts, messages, page_language

__all__ = [
    "Refusal",
    "confluence_failure_status",
    "docserver_source",
    "error_page",
    "html_page",
    "json_answer",
    "login_redirect",
    "not_shown",
    "request_language",
]

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


def confluence_failure_status(error: ConfluenceError) -> int:
    """The status a JSON route answers when Confluence failed it: 503 when the failure may pass
    (the browser's "try again" can help), 502 when Confluence answered something it should not."""
    return 503 if error.transient else 502


def docserver_source(context: OnlyOfficeContext) -> str:
    """The Document Server as a CSP source: its origin, or 'self' when the gateway serves it."""
    docserver = context.docserver_public_url.origin()
    return "'self'" if docserver == context.public_url.origin() else str(docserver)


def _sources(docserver: str, *extra: str) -> str:
    return " ".join(dict.fromkeys(("'self'", *extra, docserver)))


def _security_headers(context: OnlyOfficeContext) -> dict[str, str]:
    docserver = docserver_source(context)
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; script-src {_sources(docserver)}; frame-src {docserver}; "
            f"connect-src {_sources(docserver)}; img-src {_sources(docserver, 'data:')}; "
            "style-src 'self' 'unsafe-inline'; "
            "frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def request_language(request: web.Request) -> str:
    """The page's language: the `lang` the links carry (the Confluence locale), else the browser's."""
    return page_language(request.query.get("lang"), request.headers.get("Accept-Language"))


def html_page(
    context: OnlyOfficeContext,
    template: str,
    status: int = 200,
    *,
    lang: str = DEFAULT_LANGUAGE,
    **values: Any,
) -> web.Response:
    body = context.templates.get_template(template).render(
        static_url=str(context.public("static")), lang=lang, text=Texts(messages(), lang), **values
    )
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        charset="utf-8",
        headers=_security_headers(context),
    )


def error_page(
    context: OnlyOfficeContext,
    request: web.Request,
    status: int,
    heading: str,
    message: str,
    /,
    *,
    back_url: str | None = None,
    **values: object,
) -> web.Response:
    """A short page a person can act on, in the request's language; never a traceback, never
    internal addresses. `heading` and `message` are catalog ids (an unknown one is a KeyError,
    so no English text slips through); `values` fill their placeholders, escaped (positional-only
    parameters, so a placeholder may be called `status` too)."""
    lang = request_language(request)
    catalog = messages()
    return html_page(
        context,
        "error.html",
        status=status,
        lang=lang,
        heading=catalog.markup(lang, heading, **values),
        message=catalog.markup(lang, message, **values),
        back_url=back_url,
    )


# Far above a real link (attachmentId, lang, mode), far below an 8 KiB request line once encoded.
_MAX_DESTINATION = 2048


def login_redirect(context: OnlyOfficeContext, request: web.Request) -> web.HTTPFound:
    """Anonymous users go to Confluence's login and come back to this page (editor, Download As).

    The plugin sends `os_destination` without its leading slash; Confluence's own links carry it
    (`/pages/...`, relative to the context path), and a login form that only accepts same-site
    paths starting with "/" would otherwise drop the user on the dashboard. A query longer than
    a real link's (the cap lets 16 KiB through) is left out: encoded once more into the Location,
    it would make a URL beyond the 8 KiB request line Confluence (Tomcat) and most servers accept.
    """
    context_path = context.public_url.path.rstrip("/")
    destination = request.rel_url.path_qs
    if len(destination) > _MAX_DESTINATION:
        destination = request.rel_url.path
    if context_path and destination.startswith(context_path + "/"):
        destination = destination[len(context_path) :]
    login = URL(str(context.public_url).rstrip("/") + "/login.action")
    return web.HTTPFound(str(login.with_query(permissionViolation="true", os_destination=destination)))


async def not_shown(context: OnlyOfficeContext, request: web.Request) -> web.Response:
    """For an attachment Confluence does not show this user: anonymous users are sent to log in
    (the redirect is raised), others learn that there is nothing for them (404)."""
    identity = await context.identities.get(UserCredentials.from_headers(request.headers))
    if identity.anonymous:
        raise login_redirect(context, request)
    return error_page(context, request, 404, "error.not_found", "error.not_found_detail")
