"""`POST .../onlyoffice/save-as`: the editor's "Save Copy as", stored as a new attachment.

The Document Server's `onRequestSaveAs` gives the editor page a link to the copy in its cache
(`/cache/files/...`), a file type and a title; the page's dialog lets the user pick the name and
POSTs them here (reference onlyoffice-confluence-plugin.md §1.6 `save-as`). The target is the
edited attachment's own page: the plugin's page picker (Confluence's Move page dialog) is not
reproduced. Unlike the plugin, the POST needs the editor page's CSRF token (bound to the user's
credentials and the edited attachment) and a same-origin `Origin` when the browser sends one.
Confluence decides as the user whether they may add attachments there; the link is fetched only
from the configured Document Server (§9: the plugin's old SSRF), and the copy is stored like a
new document: through the service account, numbered against the page's attachments, with a
comment naming the user.
"""

from __future__ import annotations

import logging
import re

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import AttachmentTooLarge, ConfluenceError, is_content_id
from gateway.onlyoffice.access import create_access_for, groups_of
from gateway.onlyoffice.actions.convert import target_name
from gateway.onlyoffice.answers import Refusal, confluence_failure_status, json_answer
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.editor.posts import editor_post
from gateway.onlyoffice.filenames import INVISIBLE, name_problem
from gateway.onlyoffice.rules import AttachmentFacts, UserFacts, matching_rule
from gateway.onlyoffice.saving.fetch import FetchError, pinned_url
from gateway.onlyoffice.signed_links import page_token
from gateway.proxy.mount import resolved_path
from gateway.state import LockTimeout, StateUnavailable

__all__ = ["save_as", "save_as_name", "save_as_pages", "save_as_token"]

log = logging.getLogger(__name__)
# The Document Server's `fileType` is one plain extension; the browser relays it, so it is checked.
_FILE_TYPE = re.compile(r"[a-z0-9]{1,10}")
_MAX_SEARCH = 100  # characters of a page-title search
_SEARCH_RESULTS = 25


def save_as_token(context: OnlyOfficeContext, credentials: UserCredentials, attachment_id: str) -> str:
    """The editor page's CSRF token for Save As: this user's browser, this edited attachment."""
    return page_token(context, credentials, "save-as", attachment_id)


def save_as_name(title: str, extension: str) -> str:
    """The name the user chose, with the copy's extension once (`Report.docx` or `Report` -> `Report.docx`)."""
    stem = title.strip()
    if stem.lower().endswith("." + extension):
        stem = stem[: -len(extension) - 1].rstrip()
    return f"{stem}.{extension}"


def _copy_link(context: OnlyOfficeContext, url: str) -> None:
    """FetchError unless `url` is a Document Server file link: on its address (§9: the plugin's
    old SSRF) and a signed `/cache/files/...` link (protocol §2.5), not another of its paths."""
    pinned = pinned_url(url, context.docserver_public_url, context.docserver.base_url)
    relative = pinned.raw_path[len(context.docserver.base_url.raw_path.rstrip("/")) :]
    if not resolved_path(relative).startswith("/cache/files/"):
        raise FetchError("the file URL is not a Document Server file link", transient=False)


def _target_page(body: dict[str, object], own_page: str) -> str:
    """Where the copy goes: the page the dialog chose (`pageId`), else the document's own page."""
    chosen = body.get("pageId")
    if chosen is None or chosen == "":
        return own_page
    if not isinstance(chosen, str) or not is_content_id(chosen):
        raise Refusal(400, "pageId must be a Confluence content id")
    return chosen


async def save_as_pages(request: web.Request) -> web.Response:
    """GET `.../save-as/pages?q=text`: pages whose title contains `text` where the user may add
    attachments, for the Save Copy dialog's "another page" search (Confluence's own search, as the
    user; the save itself checks the page and the rules again)."""
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    text = request.query.get("q", "").strip()
    try:
        if not 0 < len(text) <= _MAX_SEARCH:
            raise Refusal(400, f"Type 1 to {_MAX_SEARCH} characters of a page title.")
        if INVISIBLE.search(text):
            raise Refusal(400, "The search cannot contain control or text-direction characters.")
        credentials = UserCredentials.from_headers(request.headers)
        if (await context.identities.get(credentials)).anonymous:
            raise Refusal(401, "Log in to Confluence to save a copy.")
        pages = await context.confluence.search_pages(text, credentials, limit=_SEARCH_RESULTS)
    except Refusal as refusal:
        return refusal.answer()
    except ConfluenceError as error:
        log.warning("save-as page search failed: %s", error)
        return json_answer(
            {"error": "Confluence did not answer the search; try again."}, confluence_failure_status(error)
        )
    return json_answer(
        {
            "pages": [
                {"id": page.id, "title": page.title, "space": page.space_key or ""}
                for page in pages
                if ("create", "attachment") in page.operations
            ]
        }
    )


def _text(body: dict[str, object], name: str) -> str:
    value = body.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _check_rules(
    context: OnlyOfficeContext, request: web.Request, page_id: str, name: str
) -> tuple[str, str]:
    """The user's display name and the media type of the copy, or the refusal (403/404/400)."""
    access = await create_access_for(context, request.headers, page_id)
    if access is None:
        raise Refusal(404, "The page of this document does not exist, or you may not see it.")
    if access.identity.anonymous or not access.may_attach:
        raise Refusal(403, "You may not add attachments to this page.")
    extension = name.rsplit(".", 1)[-1]
    found = context.formats.get(extension, context.server_version)
    if found is None:
        raise Refusal(400, f"ONLYOFFICE does not keep copies of type .{extension} here.")
    rules = context.settings.rules  # once: the groups asked and the decision use the same rules
    user = UserFacts(
        anonymous=False, groups=await groups_of(context, access.identity, rules), can_view=True, can_edit=True
    )
    facts = AttachmentFacts(filename=name, size=None, page_id=page_id, space_key=access.page.space_key)
    rule = matching_rule(rules, facts, user)
    if rule is None or not rule.enabled or "create" not in rule.actions:
        raise Refusal(403, "Creating documents of this type is not enabled on this page.")
    return access.identity.display_name, found.mime


async def save_as(request: web.Request) -> web.Response:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    attachment_id = ""
    try:
        body, attachment_id, _ = await editor_post(
            context, request, "save-as", anonymous="Log in to Confluence to save a copy."
        )
        url, extension, title = _text(body, "url"), _text(body, "fileType").lower(), _text(body, "title")
        if not url or not extension:
            raise Refusal(404, "The editor sent no file to save.")
        if not _FILE_TYPE.fullmatch(extension):
            raise Refusal(400, "The editor sent an unknown file type.")
        # The title alone (an empty one has its own message), then the whole stored name.
        problem = name_problem(title) or name_problem(save_as_name(title, extension))
        if problem is not None:
            raise Refusal(400, problem)
        credentials = UserCredentials.from_headers(request.headers)
        source = await context.confluence.attachment(attachment_id, credentials)
        if source is None:
            raise Refusal(404, "This document does not exist, or you may not see it.")
        name = save_as_name(title, extension)
        target = _target_page(body, source.page_id)
        user_name, media_type = await _check_rules(context, request, target, name)
        try:
            _copy_link(context, url)
        except FetchError as error:
            log.warning("save-as refused for attachment %s: %s", attachment_id, error)
            raise Refusal(400, "The file link is not the Document Server's.") from error
        # One creation per page at a time (shared with New document), so names stay unique.
        async with context.state.lock(f"create:{target}", ttl=600.0, wait=60.0):
            name = target_name(name, extension, await context.confluence.attachment_titles(target))
            async with context.fetch_docserver_file(url) as fetched:
                created = await context.confluence.create_attachment(
                    target,
                    name,
                    fetched.chunks(),
                    media_type=media_type,
                    comment=f"Saved as a copy of {source.title} in ONLYOFFICE by {user_name}",
                )
    except Refusal as refusal:
        return refusal.answer()
    except AttachmentTooLarge as error:
        # Trying again cannot help: say so, and who can change it.
        log.warning("save-as of attachment %s refused by Confluence: %s", attachment_id, error)
        return json_answer({"error": error.advice}, 413)
    except ConfluenceError as error:
        log.warning("save-as: Confluence failed: %s", error)
        status = confluence_failure_status(error)
        return json_answer({"error": "Confluence did not store the copy; try again."}, status)
    except (FetchError, LockTimeout, StateUnavailable) as error:
        log.warning("save-as of attachment %s failed: %s", attachment_id, error)
        return json_answer({"error": "The copy could not be fetched or stored; try again."}, 502)
    log.info("saved a copy of attachment %s as attachment %s", attachment_id, created.id)
    return json_answer(
        {
            "attachmentId": created.id,
            "title": created.title,
            "pageId": created.page_id,
            "editorUrl": str(context.public("doceditor").with_query(attachmentId=created.id)),
        }
    )
