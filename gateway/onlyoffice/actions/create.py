"""`.../onlyoffice/create?pageId=N`: "New document" — a blank file on a page, opened in the editor.

GET shows a small form (kind and name) for users who may add attachments to the page and whose
rules allow `create`; the attachments page links to it. POST creates: unlike the plugin, which
creates on a GET (reference onlyoffice-confluence-plugin.md section 9), the POST needs the form's
CSRF token (bound to the user's credentials and the page) and, when the browser says where it
comes from, the gateway's own origin. Rights are asked again, the name is cleaned as the plugin
does (`* ? : " < > / | \\` become `_`, an empty name is the kind's default) and numbered against
the page's attachments (`Document (1).docx`), the blank file is stored through the service account
with a comment naming the user, and the browser is sent (303) to the editor for it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
from multidict import MultiDictProxy
from yarl import URL

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import ConfluenceError, is_content_id
from gateway.onlyoffice.access import CreateAccess, create_access_for
from gateway.onlyoffice.actions.blank import BLANK_KINDS, BlankKind, blank_document, default_name
from gateway.onlyoffice.actions.convert import target_name
from gateway.onlyoffice.answers import error_page, html_page, request_language
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, SERVLET_PATH, OnlyOfficeContext
from gateway.onlyoffice.editor.config import language_tag
from gateway.onlyoffice.filenames import INVISIBLE
from gateway.onlyoffice.i18n import DEFAULT_LANGUAGE
from gateway.state import LockTimeout, StateUnavailable

__all__ = ["create_document", "create_form", "create_token", "document_stem"]

log = logging.getLogger(__name__)

MAX_STEM = 200  # Confluence stores titles up to 255 characters; leave room for " (n).pptx"
_FETCH_SITES = ("same-origin", "none")


def create_token(
    context: OnlyOfficeContext, credentials: UserCredentials, page_id: str, *, secret: str | None = None
) -> str:
    """The form's CSRF token: only this user's browser, for this page, can produce it."""
    message = f"create\x00{credentials.fingerprint()}\x00{page_id}".encode()
    return hmac.new((secret or context.link_secret).encode(), message, hashlib.sha256).hexdigest()


def document_stem(raw: str, kind: BlankKind, language: str = DEFAULT_LANGUAGE) -> str:
    """The name without extension: visible characters, no repeated extension, never empty."""
    name = INVISIBLE.sub("", raw).strip()
    if name.lower().endswith("." + kind.extension):
        name = name[: -len(kind.extension) - 1].rstrip()
    return name[:MAX_STEM].strip() or default_name(kind, language)


def _with_locale(url: URL, request: web.Request) -> URL:
    """Pass on the Confluence locale the "New document" link carried (form -> POST -> editor), so
    the editor opens in the user's Confluence language rather than the browser's."""
    tag = language_tag(request.query.get("lang"))
    return url.update_query(lang=tag) if tag else url


def _login(context: OnlyOfficeContext, page_id: str) -> web.HTTPFound:
    """Anonymous users log in first and come back to the form (a path under the context path)."""
    login = URL(str(context.public_url).rstrip("/") + "/login.action")
    destination = f"/{SERVLET_PATH}/create?pageId={page_id}"
    return web.HTTPFound(str(login.with_query(permissionViolation="true", os_destination=destination)))


async def _access(
    context: OnlyOfficeContext, request: web.Request, page_id: str
) -> CreateAccess | web.Response:
    """The user's rights on the page, or the page to answer with when they have none."""
    try:
        access = await create_access_for(context, request.headers, page_id)
    except ConfluenceError as error:
        log.warning("create: Confluence lookup failed: %s", error)
        return error_page(context, request, 503, "error.confluence_down", "error.try_again_shortly")
    if access is None:
        return error_page(context, request, 404, "error.page_not_found", "error.page_not_found_detail")
    if not access.allowed:
        return error_page(
            context,
            request,
            403,
            "error.not_available",
            "error.may_not_create",
            back_url=context.attachments_page(page_id),
        )
    return access


async def create_form(request: web.Request) -> web.StreamResponse:
    """The "New document" form for one page."""
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    page_id = request.query.get("pageId", "")
    if not is_content_id(page_id):
        return error_page(context, request, 400, "error.no_page", "error.no_page_id")
    credentials = UserCredentials.from_headers(request.headers)
    try:
        if (await context.identities.get(credentials)).anonymous:
            raise _login(context, page_id)
    except ConfluenceError:
        return error_page(context, request, 503, "error.confluence_down", "error.try_again_shortly")
    access = await _access(context, request, page_id)
    if isinstance(access, web.Response):
        return access
    chosen = request.query.get("type", "")
    return html_page(
        context,
        "create.html",
        lang=request_language(request),
        page_id=page_id,
        page_title=access.page.title,
        kinds=[BLANK_KINDS[k] for k in access.kinds],
        chosen=chosen if chosen in access.kinds else access.kinds[0],
        action=str(_with_locale(context.public("create"), request)),
        back_url=context.attachments_page(page_id),
        csrf=create_token(context, credentials, page_id),
        max_length=MAX_STEM,
    )


def _field(form: MultiDictProxy[str | bytes | bytearray | web.FileField], name: str) -> str:
    """A text field of the form; files and missing fields count as empty."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _same_origin(context: OnlyOfficeContext, request: web.Request) -> bool:
    """Refuse requests a browser says come from elsewhere (Origin, Fetch Metadata)."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != str(context.public_url.origin()):
        return False
    site = request.headers.get("Sec-Fetch-Site")
    return site is None or site in _FETCH_SITES


async def create_document(request: web.Request) -> web.StreamResponse:
    """Create the blank file and send the browser to the editor (303), or say why not."""
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return error_page(context, request, 400, "error.not_a_form", "error.use_form")
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        return error_page(context, request, 413, "error.too_large", "error.form_too_large")
    except (ValueError, LookupError, HttpProcessingError, RequestPayloadError, web.HTTPException):
        # Malformed forms: broken multipart part headers (a CR in a file name), unknown charsets
        # (LookupError), bodies that are not what they say (found while hardening: all were 500s).
        return error_page(context, request, 400, "error.not_a_form", "error.use_form")
    page_id, extension = _field(form, "pageId"), _field(form, "type")
    credentials = UserCredentials.from_headers(request.headers)
    if (
        not is_content_id(page_id)
        or not _same_origin(context, request)
        or not any(
            hmac.compare_digest(  # as bytes: a non-ASCII str would raise TypeError
                _field(form, "csrf").encode(),
                create_token(context, credentials, page_id, secret=secret).encode(),
            )
            for secret in context.accepted_link_secrets
        )
    ):
        log.warning("create refused: CSRF check failed for page %r", page_id[:20])
        return error_page(context, request, 403, "error.refused", "error.refused_detail")
    access = await _access(context, request, page_id)
    if isinstance(access, web.Response):
        return access
    if extension not in access.kinds:
        return error_page(
            context,
            request,
            400,
            "error.unknown_kind",
            "error.unknown_kind_detail",
            back_url=context.attachments_page(page_id),
        )
    kind = BLANK_KINDS[extension]
    language = request_language(request)  # the form's action carries the user's Confluence locale
    stem = document_stem(_field(form, "name"), kind, language)
    found = context.formats.get(extension)
    try:
        # One creation per page at a time, so two users naming "Document" get (1) and (2).
        async with context.state.lock(f"create:{page_id}", ttl=120.0, wait=60.0):
            name = target_name(
                f"{stem}.{extension}", extension, await context.confluence.attachment_titles(page_id)
            )
            created = await context.confluence.create_attachment(
                page_id,
                name,
                blank_document(extension, language),
                media_type=found.mime if found else "application/octet-stream",
                comment=f"Created in ONLYOFFICE by {access.identity.display_name}",
            )
    except (ConfluenceError, LockTimeout, StateUnavailable) as error:
        log.warning("create on page %s failed: %s", page_id, error)
        return error_page(
            context,
            request,
            502,
            "error.not_created",
            "error.not_created_detail",
            back_url=context.attachments_page(page_id),
        )
    log.info("created attachment %s (%s) on page %s", created.id, extension, page_id)
    editor = _with_locale(context.public("doceditor").with_query(attachmentId=created.id), request)
    raise web.HTTPSeeOther(str(editor), headers={"Cache-Control": "no-store"})
