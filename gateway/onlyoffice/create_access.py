"""Who may create which new documents on a page: Confluence's answer, then rules and formats.

As for links, Confluence decides (asked as the user: the page must be visible to them and they
must hold "add attachments" there, the plugin's condition) and the rules only narrow it: a kind is
offered where the first rule matching the page's space, the page and a file of that kind (with
the user's groups) is enabled and lists `create`, and where the Document Server can edit the
format. The attachments page's control and the create route ask the same question here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import Identity, PageInfo, is_content_id
from gateway.onlyoffice.access import groups_of
from gateway.onlyoffice.blank import BLANK_KINDS
from gateway.onlyoffice.context import OnlyOfficeContext
from gateway.onlyoffice.rules import AttachmentFacts, UserFacts, matching_rule
from gateway.settings import RuleSettings

__all__ = ["CreateAccess", "creatable_kinds", "create_access_for", "create_access_on"]


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
