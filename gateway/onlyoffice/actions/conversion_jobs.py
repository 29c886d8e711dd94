"""What the two conversion actions share: "Convert using ONLYOFFICE" and "Download As".

Both are a page whose script POSTs to the same URL every second. Each POST carries the page's CSRF
token (bound to the user's credentials, the action and the attachment) and, when the browser sends
one, a same-origin `Origin`; it asks Confluence again what the user may do, and starts or polls an
asynchronous Document Server conversion, which the Document Server caches per key and target, so
polling is cheap and both actions share a result. Conversion errors about the file become 422 with
what the user can do; faults of the gateway or the Document Server stay 502.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from gateway.confluence.models import Attachment, ConfluenceError
from gateway.docserver.client import ConversionResult, DocumentServerError
from gateway.onlyoffice.access import UserAccess, access_for
from gateway.onlyoffice.answers import Refusal, json_answer
from gateway.onlyoffice.client_input import read_page_post
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.formats import extension_of
from gateway.onlyoffice.signed_links import (
    LinkClaims,
    PagePurpose,
    make_link_token,
)

__all__ = [
    "Poll",
    "conversion_failed",
    "poll_conversion",
    "read_poll",
    "start_conversion",
    "user_access",
]

log = logging.getLogger(__name__)


async def user_access(
    context: OnlyOfficeContext, request: web.Request, attachment_id: str
) -> UserAccess | None:
    """The browser user's access (None: Confluence does not show them the attachment); 503 when
    Confluence does not answer."""
    try:
        return await access_for(context, request.headers, attachment_id)
    except ConfluenceError as error:
        log.warning("conversion: Confluence lookup failed: %s", error)
        raise web.HTTPServiceUnavailable(text="Confluence is not answering") from error


@dataclass(frozen=True, slots=True)
class Poll:
    """One checked POST of a conversion page: its JSON body and the user's access (None: not shown)."""

    context: OnlyOfficeContext
    body: dict[str, Any]
    access: UserAccess | None


async def read_poll(request: web.Request, purpose: PagePurpose, token_field: str) -> Poll | web.Response:
    """The page's POST with its token checked, or the answer refusing it (400/413/415 body, 403 token)."""
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    try:
        page = "conversion" if purpose == "convert" else "Download As"
        body, attachment_id = await read_page_post(
            context,
            request,
            purpose,
            token_field=token_field,
            refused=f"the request did not come from the {page} page",
        )
    except Refusal as refusal:
        return refusal.answer()
    return Poll(context, body, await user_access(context, request, attachment_id))


async def start_conversion(
    context: OnlyOfficeContext, source: Attachment, key: str, target: str
) -> ConversionResult:
    """Start or poll the Document Server's conversion of `source` (document key `key`) to `target`.

    The Document Server fetches the source through the gateway's signed download link.
    """
    token = make_link_token(
        LinkClaims(action="download", attachment_id=source.id, key=key, version=source.version),
        context.link_secret,
    )
    return await context.docserver.convert(
        url=str(context.internal("download").with_query(token=token)),
        source_type=extension_of(source.title),
        target_type=target,
        key=f"{key}-{target}",
    )


async def poll_conversion(
    context: OnlyOfficeContext, source: Attachment, key: str, target: str
) -> str | web.Response:
    """The result link once the conversion is done; until then, this poll's answer (the progress,
    or why the Document Server did not convert)."""
    try:
        result = await start_conversion(context, source, key, target)
    except DocumentServerError as error:
        return conversion_failed(source.id, source.title, error)
    if not result.done or not result.file_url:
        return json_answer({"done": False, "percent": result.percent})
    return result.file_url


# Conversion errors (reference section 4) that are about the file, not a fault of the gateway or the
# Document Server: 422 with what the user can do about it. The rest stay 502.
_FILE_PROBLEMS: dict[int, str] = {
    -3: (
        "The file could not be converted: it is damaged, or its content is not a .{ext} file. "
        "Open it in an office application, save it again and upload the new version."
    ),
    -5: "The file is password protected; remove the password in an office application and upload it again.",
    -7: "The Document Server does not accept this file's type for conversion.",
    -9: "The Document Server cannot tell which kind of document this file should become.",
    -10: "The file is larger than the Document Server converts; make it smaller and upload it again.",
}
_JWT_REFUSED = -8


def conversion_failed(source_id: str, title: str, error: DocumentServerError) -> web.Response:
    """The answer to a conversion the Document Server did not do: 422 for the file, 502 for faults."""
    problem = _FILE_PROBLEMS.get(error.code) if error.code is not None else None
    if problem is not None:
        log.info("conversion of attachment %s refused: %s (error %s)", source_id, error, error.code)
        return json_answer({"error": problem.format(ext=extension_of(title) or "?")}, 422)
    if error.code == _JWT_REFUSED:
        log.error(
            "configuration error: the Document Server refused the gateway's JWT on conversion of attachment %s;"
            " documentserver.jwt (secret, header) must match the Document Server's settings",
            source_id,
        )
        return json_answer(
            {"error": "The conversion service is not set up correctly; please tell your administrator."}, 502
        )
    log.warning("conversion of attachment %s failed: %s", source_id, error)
    return json_answer({"error": str(error)}, 502)
