"""A POST from the editor page (Save As, Restore, Rename, Notify): body, login and page token checked.

Each such POST carries the page's CSRF token (`signed_links.page_token`, bound to the user's
credentials, the action and the attachment) and, when the browser sends one, a same-origin `Origin`;
one function checks them all so no editor action forgets a check.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import Identity
from gateway.onlyoffice.answers import Refusal
from gateway.onlyoffice.client_input import page_request_attachment, read_page_json
from gateway.onlyoffice.context import OnlyOfficeContext
from gateway.onlyoffice.signed_links import PagePurpose

__all__ = ["editor_post"]


async def editor_post(
    context: OnlyOfficeContext, request: web.Request, purpose: PagePurpose, *, anonymous: str
) -> tuple[dict[str, Any], str, Identity]:
    """A POST from the editor page (Save As, Restore, Rename): its JSON body, the attachment id and
    who sent it, once the body, the login (`anonymous` is what a logged-out user is told) and the
    page's CSRF token and Origin are checked; Refusal otherwise."""
    body = await read_page_json(request, context.settings.proxy, route=purpose)
    identity = await context.identities.get(UserCredentials.from_headers(request.headers))
    if identity.anonymous:
        raise Refusal(401, anonymous)
    attachment_id = page_request_attachment(
        context,
        request,
        purpose,
        body,
        refused="The request did not come from the editor page; reload it and retry.",
    )
    return body, attachment_id, identity
