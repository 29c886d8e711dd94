"""The editor's people: `GET .../onlyoffice/users` and `POST .../onlyoffice/notify`.

`onRequestUsers` (protocol §1.3) asks for the people to offer for a mention (`c: "mention"`), for
protected ranges (`"protect"`) or the avatars of given users (`"info"`, with `id`s). The gateway
answers from Confluence's own people search made as the browser's user (people.py: briefly cached,
paged with `from`/`count`), so nobody is offered whom Confluence would not show that user.

`onRequestSendNotify` (`{emails, message, actionLink}`) comes when a comment with mentions is
posted in the editor. The plugin mails the people itself; through the gateway the mention becomes
a Confluence page comment on the document's page, made as the author, that @-mentions each person
(`<ac:link><ri:user ri:userkey/></ac:link>`) with the message and a link to the document: Confluence
then notifies them its own way, and only where the author may comment (Confluence refuses the
comment otherwise: 403). The POST carries the editor page's CSRF token and a same-origin `Origin`
like the other editor POSTs (editor/posts.py).
"""

from __future__ import annotations

import json
import logging
import re
from html import escape
from typing import Any

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import ConfluenceError, Person
from gateway.onlyoffice.answers import Refusal, confluence_failure_status, json_answer
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.editor.config import action_link
from gateway.onlyoffice.editor.people import mention_id
from gateway.onlyoffice.editor.posts import editor_post
from gateway.onlyoffice.filenames import INVISIBLE
from gateway.onlyoffice.signed_links import page_token

__all__ = ["comment_storage", "notify", "notify_token", "users"]

log = logging.getLogger(__name__)
_KINDS = ("mention", "protect", "info")
_MAX_SEARCH = 100  # characters typed after "@"
_DEFAULT_COUNT = 25
_MAX_COUNT = 50  # per people page asked; Confluence may cap it lower, `total` tells the editor the rest
_MAX_FROM = 10_000
_MAX_IDS = 25
_MAX_EMAILS = 20
_MAX_ID_LENGTH = 254
_MAX_MESSAGE = 4000
_USER_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
# A comment's text may hold line breaks and tabs; no other control characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def notify_token(context: OnlyOfficeContext, credentials: UserCredentials, attachment_id: str) -> str:
    """The editor page's CSRF token for mentions: this user's browser, this document."""
    return page_token(context, credentials, "notify", attachment_id)


def _number(request: web.Request, name: str, default: int, upper: int) -> int:
    raw = request.query.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) > upper:
        raise Refusal(400, f"{name} must be a whole number up to {upper}.")
    return int(raw)


def _user_json(context: OnlyOfficeContext, person: Person) -> dict[str, Any]:
    """One user as `setUsers` takes it: `id` (the user key, as in editorConfig.user), `email`."""
    entry: dict[str, Any] = {"id": person.user_key, "name": person.display_name, "email": mention_id(person)}
    if person.avatar_path:
        entry["image"] = str(context.public_url).rstrip("/") + person.avatar_path
    return entry


async def users(request: web.Request) -> web.Response:
    """GET `users?c=mention&search=al&from=0&count=25` (or `c=info&id=<key>&id=...`)."""
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    kind = request.query.get("c", "mention")
    try:
        if kind not in _KINDS:
            raise Refusal(400, "c must be mention, protect or info.")
        credentials = UserCredentials.from_headers(request.headers)
        if (await context.identities.get(credentials)).anonymous:
            raise Refusal(401, "Log in to Confluence to see people.")
        if kind == "info":
            ids = request.query.getall("id", [])
            if not 0 < len(ids) <= _MAX_IDS or not all(_USER_KEY.fullmatch(i) for i in ids):
                raise Refusal(400, f"Give 1 to {_MAX_IDS} user ids.")
            found = [
                await context.people.by_key(context.confluence, credentials, i) for i in dict.fromkeys(ids)
            ]
            listed = [_user_json(context, p) for p in found if p is not None]
            return json_answer({"c": kind, "users": listed})
        text = request.query.get("search", "").strip()
        if len(text) > _MAX_SEARCH or INVISIBLE.search(text):
            raise Refusal(400, f"Search with up to {_MAX_SEARCH} visible characters.")
        start = _number(request, "from", 0, _MAX_FROM)
        count = _number(request, "count", _DEFAULT_COUNT, 10_000) or _DEFAULT_COUNT
        page = await context.people.search(
            context.confluence, credentials, text, start, min(count, _MAX_COUNT)
        )
    except Refusal as refusal:
        return refusal.answer(c=kind)
    except ConfluenceError as error:
        log.warning("users: Confluence people search failed: %s", error)
        return json_answer(
            {"c": kind, "error": "Confluence did not answer the people search; try again."},
            confluence_failure_status(error),
        )
    return json_answer(
        {
            "c": kind,
            "users": [_user_json(context, p) for p in page.people],
            "total": page.total,
            "isPaginated": True,
        }
    )


def comment_storage(people: list[Person], message: str, link: str, title: str) -> str:
    """The comment in Confluence storage format: the mentions, the message, the document's link."""
    mentions = " ".join(f'<ac:link><ri:user ri:userkey="{escape(p.user_key)}" /></ac:link>' for p in people)
    lines = "<br />".join(escape(line) for line in message.splitlines())
    text = f"{mentions} {lines}" if lines else mentions
    return f'<p>{text}</p><p>In <a href="{escape(link)}">{escape(title)}</a> (ONLYOFFICE)</p>'


def _mentioned(body: dict[str, Any]) -> list[str]:
    emails = body.get("emails")
    if not isinstance(emails, list) or not 0 < len(emails) <= _MAX_EMAILS:
        raise Refusal(400, f"Mention 1 to {_MAX_EMAILS} people.")
    found: list[str] = []
    for item in emails:
        if not isinstance(item, str) or not 0 < len(item.strip()) <= _MAX_ID_LENGTH or INVISIBLE.search(item):
            raise Refusal(400, "The editor sent a mention that is not a person's address.")
        found.append(item.strip())
    return list(dict.fromkeys(found))


def _message(body: dict[str, Any]) -> str:
    message = body.get("message", "")
    if not isinstance(message, str) or len(message) > _MAX_MESSAGE or _CONTROL.search(message):
        raise Refusal(400, f"The message must be text of up to {_MAX_MESSAGE} characters.")
    return message.strip()


def _document_link(context: OnlyOfficeContext, attachment_id: str, body: dict[str, Any]) -> str:
    """The editor at this document, at the commented place when the editor sent a usable link."""
    target = context.public("doceditor").with_query(attachmentId=attachment_id)
    raw = body.get("actionLink")
    if isinstance(raw, dict):
        encoded = json.dumps(raw, separators=(",", ":"))
        if action_link(encoded) is not None:
            target = target.update_query(actionData=encoded)
    return str(target)


async def notify(request: web.Request) -> web.Response:
    """POST `notify` `{attachmentId, csrf, emails, message, actionLink}`: one page comment."""
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    attachment_id = ""
    try:
        body, attachment_id, identity = await editor_post(
            context, request, "notify", anonymous="Log in to Confluence to mention someone."
        )
        wanted, message = _mentioned(body), _message(body)
        credentials = UserCredentials.from_headers(request.headers)
        attachment = await context.confluence.attachment(attachment_id, credentials)
        if attachment is None:
            raise Refusal(404, "This document does not exist, or you may not see it.")
        people: list[Person] = []
        for mentioned in wanted:
            person = await context.people.resolve(context.confluence, credentials, mentioned)
            if person is None:
                raise Refusal(400, f"Confluence shows you nobody as {mentioned!r}.")
            people.append(person)
        storage = comment_storage(
            people, message, _document_link(context, attachment_id, body), attachment.title
        )
        comment_id = await context.confluence.create_comment(attachment.page_id, storage, credentials)
    except Refusal as refusal:
        return refusal.answer()
    except ConfluenceError as error:
        if error.status in (401, 403):
            return json_answer({"error": "You may not comment on this page, so nobody was notified."}, 403)
        if error.status == 404:
            return json_answer(
                {"error": "The page of this document does not exist, or you may not see it."}, 404
            )
        log.warning("notify: Confluence did not take the comment for attachment %s: %s", attachment_id, error)
        return json_answer(
            {"error": "Confluence did not take the comment; try again."}, confluence_failure_status(error)
        )
    log.info(
        "comment %s by %s on page %s mentions %d people",
        comment_id,
        identity.username,
        attachment.page_id,
        len(people),
    )
    return json_answer({"commentId": comment_id, "notified": [p.display_name for p in people]})
