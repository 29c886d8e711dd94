"""What a browser user may do with attachments: Confluence's answer, then rules and formats.

Confluence is asked as the user (their cookies), so it decides visibility (404 = not visible)
and rights; the gateway only ever narrows them with its rules. Editing needs what the plugin
requires: a logged-in user who may update the attachment and add attachments to its page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import Attachment, Identity, is_content_id
from gateway.onlyoffice.context import OnlyOfficeContext
from gateway.onlyoffice.rules import AttachmentFacts, Offer, UserFacts, decide

__all__ = ["UserAccess", "access_for", "access_for_many", "may_edit"]

MAX_BATCH = 100


@dataclass(frozen=True, slots=True)
class UserAccess:
    identity: Identity
    attachment: Attachment
    user: UserFacts
    offer: Offer


def may_edit(identity: Identity, attachment: Attachment, page_operations: frozenset[tuple[str, str]]) -> bool:
    """Edit rights as the plugin defines them, from the `operations` Confluence computed for the user:
    update the attachment (or its page) and add attachments to the page (a separate space permission).
    """
    if identity.anonymous:
        return False
    can_update = ("update", "attachment") in attachment.operations or ("update", "page") in page_operations
    return can_update and ("create", "attachment") in page_operations


async def _groups(context: OnlyOfficeContext, identity: Identity) -> frozenset[str]:
    if identity.anonymous or identity.username is None:
        return frozenset()
    if not any(rule.groups for rule in context.settings.rules):
        return frozenset()  # no rule looks at groups: spare Confluence the call
    return await context.confluence.user_groups(identity.username)


async def access_for(
    context: OnlyOfficeContext, headers: Mapping[str, str], attachment_id: str
) -> UserAccess | None:
    """The user's access to one attachment, or None when Confluence does not show it to them."""
    found = await access_for_many(context, headers, [attachment_id])
    return found.get(attachment_id)


async def access_for_many(
    context: OnlyOfficeContext, headers: Mapping[str, str], attachment_ids: Iterable[str]
) -> dict[str, UserAccess]:
    """Access to several attachments with one identity lookup and concurrent REST calls."""
    wanted = list(dict.fromkeys(i for i in attachment_ids if is_content_id(i)))[:MAX_BATCH]
    credentials = UserCredentials.from_headers(headers)
    identity = await context.identities.get(credentials)
    groups_task = asyncio.ensure_future(_groups(context, identity))
    attachments = await asyncio.gather(*(context.confluence.attachment(i, credentials) for i in wanted))
    pages = sorted({a.page_id for a in attachments if a is not None})
    page_operations = dict(
        zip(
            pages,
            await asyncio.gather(*(context.confluence.page_operations(p, credentials) for p in pages)),
            strict=True,
        )
    )
    groups = await groups_task
    result: dict[str, UserAccess] = {}
    for attachment_id, attachment in zip(wanted, attachments, strict=True):
        if attachment is None:
            continue
        user = UserFacts(
            anonymous=identity.anonymous,
            groups=groups,
            can_view=True,
            can_edit=may_edit(identity, attachment, page_operations[attachment.page_id]),
        )
        facts = AttachmentFacts(
            filename=attachment.title,
            size=attachment.size,
            page_id=attachment.page_id,
            space_key=attachment.space_key,
            is_latest=attachment.status == "current",
        )
        offer = decide(
            context.settings.rules,
            context.formats,
            facts,
            user,
            server_version=context.server_version,
        )
        result[attachment_id] = UserAccess(identity=identity, attachment=attachment, user=user, offer=offer)
    return result
