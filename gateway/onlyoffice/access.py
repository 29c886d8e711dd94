"""What a browser user may do with attachments, and which new documents they may create on a page.

Both are Confluence's answer first, then the rules and formats; links, the editor and the actions
all ask here.

Confluence is asked as the user (their cookies), so it decides visibility (404 = not visible)
and rights; the gateway only ever narrows them with its rules. Editing needs what the plugin
requires: a logged-in user who may update the attachment and add attachments to its page.

Creating works the same way: the page must be visible to the user and they must hold "add
attachments" there (the plugin's condition); a kind is offered where the first rule matching the
page's space, the page and a file of that kind (with the user's groups) is enabled and lists
`create`, and where the Document Server can edit the format. The attachments page's control and
the create route ask the same question here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import Attachment, Identity, PageInfo, is_content_id
from gateway.onlyoffice.actions.blank import BLANK_KINDS
from gateway.onlyoffice.context import OnlyOfficeContext
from gateway.onlyoffice.rules import AttachmentFacts, Offer, UserFacts, decide, matching_rule
from gateway.settings import RuleSettings

__all__ = [
    "CreateAccess",
    "UserAccess",
    "access_for",
    "access_for_many",
    "creatable_kinds",
    "create_access_for",
    "create_access_on",
    "groups_of",
    "may_edit",
]

MAX_BATCH = 100
# A listing costs at least one call, like one attachment asked alone: list only for two or more.
_WORTH_LISTING = 2
# Pages listed per batch at most (the viewed page, plus pages other attachments are embedded from).
_MAX_LISTINGS = 3


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


async def groups_of(
    context: OnlyOfficeContext, identity: Identity, rules: Sequence[RuleSettings]
) -> frozenset[str]:
    """The user's Confluence groups, asked only when one of `rules` (the request's) looks at groups."""
    if identity.anonymous or identity.username is None:
        return frozenset()
    if not any(rule.groups for rule in rules):
        return frozenset()  # no rule looks at groups: spare Confluence the call
    return await context.confluence.user_groups(identity.username)


async def access_for(
    context: OnlyOfficeContext, headers: Mapping[str, str], attachment_id: str
) -> UserAccess | None:
    """The user's access to one attachment, or None when Confluence does not show it to them."""
    found = await access_for_many(context, headers, [attachment_id])
    return found.get(attachment_id)


async def access_for_many(
    context: OnlyOfficeContext,
    headers: Mapping[str, str],
    attachment_ids: Iterable[str],
    page_ids: Iterable[str | None] = (),
    known_operations: Mapping[str, Awaitable[frozenset[tuple[str, str]]]] | None = None,
    *,
    rules: Sequence[RuleSettings] | None = None,
) -> dict[str, UserAccess]:
    """Access to several attachments with a small, constant number of Confluence calls.

    `page_ids` are where the attachments probably live (the viewed page first): their listings, as
    the user, answer for every attachment found there; ids found in no listing (embedded from other
    pages, older versions) are asked one by one, as before. Without hints, the first attachment's
    page is listed. Only what Confluence returns to this user is decided on. `known_operations`
    are pages' operations the caller is already asking Confluence for (as this user): not asked
    again, and not cancelled here when they are shared. `rules` are the request's (read once, so a
    reload meanwhile cannot mix two rule sets); by default the rules in force now.

    Who the user is, the viewed page's listing and that page's operations do not depend on each
    other: they are asked at the same time, so a page view waits for one Confluence round trip
    instead of three in a row.
    """
    if rules is None:
        rules = context.settings.rules
    wanted = list(dict.fromkeys(i for i in attachment_ids if is_content_id(i)))[:MAX_BATCH]
    hints = list(dict.fromkeys(p for p in page_ids if p and is_content_id(p)))
    credentials = UserCredentials.from_headers(headers)
    # Not cancelled on failure: the identity cache shares this call with the user's other requests.
    identity_task = asyncio.ensure_future(context.identities.get(credentials))
    identity_task.add_done_callback(_retrieved)
    groups_task = asyncio.ensure_future(_groups_after(context, identity_task, rules))
    coming = {
        page: asyncio.ensure_future(operations) for page, operations in (known_operations or {}).items()
    }
    if wanted and hints and hints[0] not in coming:
        coming[hints[0]] = asyncio.ensure_future(context.confluence.page_operations(hints[0], credentials))
    try:
        found = await _attachments(context, credentials, wanted, hints)
        page_operations: dict[str, frozenset[tuple[str, str]]] = {}
        for fetched in found.values():
            if fetched.page_operations is not None:
                page_operations.setdefault(fetched.page_id, fetched.page_operations)
        pages = sorted({a.page_id for a in found.values()} - page_operations.keys())
        page_operations |= dict(
            zip(
                pages,
                await asyncio.gather(
                    *(coming.get(p) or context.confluence.page_operations(p, credentials) for p in pages)
                ),
                strict=True,
            )
        )
        identity = await identity_task
        groups = await groups_task
    finally:
        groups_task.cancel()
        for operations in coming.values():
            operations.cancel()
    result: dict[str, UserAccess] = {}
    for attachment_id in wanted:
        attachment = found.get(attachment_id)
        if attachment is None:
            continue
        result[attachment_id] = _decide(
            context, rules, identity, groups, attachment, page_operations[attachment.page_id]
        )
    return result


def _retrieved(task: asyncio.Future[Identity]) -> None:
    """A failure nobody awaited any more (the listing failed first) is not logged as unretrieved."""
    if not task.cancelled():
        task.exception()


async def _groups_after(
    context: OnlyOfficeContext, identity: Awaitable[Identity], rules: Sequence[RuleSettings]
) -> frozenset[str]:
    return await groups_of(context, await asyncio.shield(identity), rules)


async def _attachments(
    context: OnlyOfficeContext,
    credentials: UserCredentials,
    wanted: list[str],
    page_ids: list[str],
) -> dict[str, Attachment]:
    """The wanted attachments as the user sees them (absent: not shown to them), listing first."""
    found: dict[str, Attachment] = {}
    missing = set(wanted)
    hints = list(page_ids)
    if not hints and len(wanted) >= _WORTH_LISTING:
        first = await context.confluence.attachment(wanted[0], credentials)
        missing.discard(wanted[0])
        if first is not None:
            found[wanted[0]] = first
            hints.append(first.page_id)
    for page_id in hints[:_MAX_LISTINGS]:
        if len(missing) < _WORTH_LISTING:
            break
        async with contextlib.aclosing(context.confluence.page_attachments(page_id, credentials)) as pages:
            async for attachments in pages:
                for attachment in attachments:
                    if attachment.id in missing:
                        missing.discard(attachment.id)
                        found[attachment.id] = attachment
                if not missing:
                    break
    rest = [i for i in wanted if i in missing]
    for attachment_id, alone in zip(
        rest,
        await asyncio.gather(*(context.confluence.attachment(i, credentials) for i in rest)),
        strict=True,
    ):
        if alone is not None:
            found[attachment_id] = alone
    return found


def _decide(
    context: OnlyOfficeContext,
    rules: Sequence[RuleSettings],
    identity: Identity,
    groups: frozenset[str],
    attachment: Attachment,
    page_operations: frozenset[tuple[str, str]],
) -> UserAccess:
    user = UserFacts(
        anonymous=identity.anonymous,
        groups=groups,
        can_view=True,
        can_edit=may_edit(identity, attachment, page_operations),
        can_add_attachments=not identity.anonymous and ("create", "attachment") in page_operations,
    )
    facts = AttachmentFacts(
        filename=attachment.title,
        size=attachment.size,
        page_id=attachment.page_id,
        space_key=attachment.space_key,
        is_latest=attachment.status == "current",
    )
    offer = decide(
        rules,
        context.formats,
        facts,
        user,
        server_version=context.server_version,
    )
    return UserAccess(identity=identity, attachment=attachment, user=user, offer=offer)


@dataclass(frozen=True, slots=True)
class CreateAccess:
    identity: Identity
    page: PageInfo
    may_attach: bool  # Confluence's "create attachment" operation on the page, for this user
    kinds: tuple[str, ...]  # extensions the rules allow here, in the plugin's order

    @property
    def allowed(self) -> bool:
        return not self.identity.anonymous and self.may_attach and bool(self.kinds)


def creatable_kinds(
    context: OnlyOfficeContext, page: PageInfo, groups: frozenset[str], rules: Sequence[RuleSettings]
) -> tuple[str, ...]:
    """The blank kinds the rules and the format table allow on this page for a user in `groups`."""
    user = UserFacts(anonymous=False, groups=groups, can_view=True, can_edit=True)
    kinds: list[str] = []
    for extension in BLANK_KINDS:
        found = context.formats.get(extension, context.server_version)
        if found is None or not (found.editable or found.fillable):
            continue
        facts = AttachmentFacts(
            filename=f"new.{extension}", size=0, page_id=page.id, space_key=page.space_key
        )
        rule = matching_rule(rules, facts, user)
        if rule is not None and rule.enabled and "create" in rule.actions:
            kinds.append(extension)
    return tuple(kinds)


async def create_access_for(
    context: OnlyOfficeContext, headers: Mapping[str, str], page_id: str
) -> CreateAccess | None:
    """The user's right to create documents on a page; None when the page is not shown to them."""
    if not is_content_id(page_id):
        return None
    credentials = UserCredentials.from_headers(headers)
    identity = await context.identities.get(credentials)
    page = await context.confluence.page(page_id, credentials)
    return None if page is None else await create_access_on(context, identity, page)


async def create_access_on(
    context: OnlyOfficeContext,
    identity: Identity,
    page: PageInfo,
    *,
    rules: Sequence[RuleSettings] | None = None,
) -> CreateAccess:
    """The same, for a page the caller already asked Confluence about as this user; `rules` the
    request's (default: those in force now), read once for both the groups and the decision."""
    if rules is None:
        rules = context.settings.rules
    may_attach = ("create", "attachment") in page.operations
    if identity.anonymous or not may_attach:
        return CreateAccess(identity=identity, page=page, may_attach=may_attach, kinds=())
    groups = await groups_of(context, identity, rules)
    return CreateAccess(
        identity=identity, page=page, may_attach=True, kinds=creatable_kinds(context, page, groups, rules)
    )
