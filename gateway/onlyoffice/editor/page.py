"""`<ctx>/plugins/servlet/onlyoffice/doceditor?attachmentId=N`: the editor page.

Same path and parameters as the Java plugin, so its bookmarks keep working. The data flows one way:
identity and rights (Confluence, as the user) -> rules and formats -> key and signed links ->
signed config -> template.
"""

from __future__ import annotations

import logging

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import ConfluenceError, is_content_id
from gateway.onlyoffice.access import access_for
from gateway.onlyoffice.actions.blank import BLANK_KINDS
from gateway.onlyoffice.answers import error_page, html_page, not_shown, request_language
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.editor.config import EditorRequest, action_link, build_editor_config, pick_language
from gateway.onlyoffice.editor.mentions import notify_token
from gateway.onlyoffice.editor.reference_data import reference_data_token
from gateway.onlyoffice.editor.rename import rename_token
from gateway.onlyoffice.editor.restore import restore_token
from gateway.onlyoffice.editor.save_as import save_as_token
from gateway.onlyoffice.saving.save import session_key
from gateway.onlyoffice.signed_links import LinkClaims, make_link_token, page_token

__all__ = ["doceditor"]

log = logging.getLogger(__name__)


async def doceditor(request: web.Request) -> web.StreamResponse:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    attachment_id = request.query.get("attachmentId", "")
    page_id = request.query.get("pageId", "")
    if not attachment_id and is_content_id(page_id):
        # The plugin's "create" links (`doceditor?pageId=&fileExt=&fileName=`) lead to our form,
        # which creates by POST with a CSRF token instead of on this GET.
        kind = request.query.get("fileExt", "").lower()
        target = context.public("create").with_query(
            pageId=page_id, **({"type": kind} if kind in BLANK_KINDS else {})
        )
        raise web.HTTPFound(str(target))
    if not is_content_id(attachment_id):
        return error_page(context, request, 400, "error.no_document", "error.no_attachment_id")
    try:
        access = await access_for(context, request.headers, attachment_id)
    except ConfluenceError as error:
        log.warning("editor: Confluence lookup failed: %s", error)
        return error_page(context, request, 503, "error.confluence_down", "error.cannot_open_now")
    if access is None:
        return await not_shown(context, request)
    attachment, offer = access.attachment, access.offer
    back = context.attachments_page(attachment.page_id)
    if offer.format is None:
        return error_page(
            context, request, 415, "error.unsupported", "error.unsupported_detail", back_url=back
        )
    if offer.mode is None:
        return error_page(
            context, request, 403, "error.not_available", "error.editor_disabled", back_url=back
        )
    mode = "view" if request.query.get("mode") == "view" else offer.mode
    key, base_version = await session_key(context, attachment.id, attachment.version)
    user_key = access.identity.user_key
    download_token = make_link_token(
        LinkClaims(
            action="download", attachment_id=attachment.id, key=key, version=attachment.version, user=user_key
        ),
        context.link_secret,
    )
    callback_url = None
    if mode == "edit":
        callback_token = make_link_token(
            LinkClaims(
                action="callback",
                attachment_id=attachment.id,
                key=key,
                version=base_version,
                user=user_key,
            ),
            context.link_secret,
        )
        callback_url = str(context.internal("callback").with_query(token=callback_token))
    avatar = access.identity.avatar_path
    credentials = UserCredentials.from_headers(request.headers)
    # Save As adds an attachment to the page: offered where Confluence lets the user add one
    # (edit rights include it, as in the plugin); the route asks Confluence again.
    save_as_allowed = access.user.can_add_attachments
    config = build_editor_config(
        EditorRequest(
            attachment=attachment,
            format=offer.format,
            identity=access.identity,
            mode=mode,
            fill_forms=offer.fill_forms and mode == "edit",
            key=key,
            document_url=str(context.internal("download").with_query(token=download_token)),
            callback_url=callback_url,
            instance=str(context.public_url),
            goback_url=back,
            lang=pick_language(request.query.get("lang"), request.headers.get("Accept-Language")),
            avatar_url=(str(context.public_url).rstrip("/") + avatar) if avatar else None,
            user_agent=request.headers.get("User-Agent", ""),
            action_link=action_link(request.query.get("actionData")),
            forms_only=request.query.get("mode") == "fillForms",
        ),
        context.jwt_secret,
    )
    picking = mode == "edit" and not access.identity.anonymous
    # Mentions: Confluence's people search and a page comment, both as the user (mentions.py).
    people = not access.identity.anonymous
    restoring = picking and access.user.can_edit
    return html_page(
        context,
        "editor.html",
        title=attachment.title,
        lang=request_language(request),
        document_type=offer.format.document_type,
        api_js_url=str(context.api_js_url.with_query(shardkey=key)),
        docserver_origin=str(context.docserver_public_url),
        config=config,
        # Same-origin paths: the page's fetches stay under its CSP's connect-src 'self'.
        history_url=str(context.public("history").with_query(attachmentId=attachment.id).relative()),
        history_data_url=str(
            context.public("history", "data").with_query(attachmentId=attachment.id).relative()
        ),
        # Restore in Version History makes a new version: offered to those editing the document.
        restore_url=str(context.public("history", "restore").relative()) if restoring else "",
        restore_csrf=restore_token(context, credentials, attachment.id) if restoring else "",
        # Rename in the editor renames the attachment in Confluence, as the user (rename.py).
        rename_url=str(context.public("rename").relative()) if restoring else "",
        rename_csrf=rename_token(context, credentials, attachment.id) if restoring else "",
        attachment_id=attachment.id,
        page_title=attachment.page_title,
        save_as_url=str(context.public("save-as").relative()) if save_as_allowed else "",
        save_as_csrf=save_as_token(context, credentials, attachment.id) if save_as_allowed else "",
        save_as_pages_url=str(context.public("save-as", "pages").relative()) if save_as_allowed else "",
        reference_data_url=str(context.public("reference-data").relative()),
        reference_data_csrf=reference_data_token(context, credentials, attachment.id),
        # Insert image / Compare / Mail merge pick attachments only while editing (pickers.py).
        pickers_url=(
            str(context.public("attachments").with_query(attachmentId=attachment.id).relative())
            if picking
            else ""
        ),
        users_url=str(context.public("users").relative()) if people else "",
        notify_url=str(context.public("notify").relative()) if people else "",
        notify_csrf=notify_token(context, credentials, attachment.id) if people else "",
        pickers_token=(
            page_token(context, UserCredentials.from_headers(request.headers), "pick", attachment.id)
            if picking
            else ""
        ),
    )
