"""Which ONLYOFFICE actions a user is offered on an attachment: rules, formats and permissions.

Three things must all agree before a link appears: the admin's rules (first match wins), the
format table (can ONLYOFFICE do it with this extension), and the user's Confluence permissions
(the gateway never offers more than Confluence allows). Exactly one of Edit or View is offered,
as the plugin does; Convert needs the right to add attachments, since it creates one. Download As
(convert to any target of the format's list, straight to the browser) needs only the right to view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gateway.onlyoffice.formats import Format, FormatTable, Version, extension_of
from gateway.settings import RuleSettings

__all__ = [
    "DEFAULT_MAX_SIZE",
    "AttachmentFacts",
    "Offer",
    "UserFacts",
    "decide",
    "matching_rule",
    "switched_off",
]

# The Document Server downloads at most 100 MiB by default (FileConverter maxDownloadBytes), and
# the plugin hides its links above that size too.
DEFAULT_MAX_SIZE = 100 * 1024 * 1024

_ALL_ACTIONS: RuleSettings = RuleSettings()


@dataclass(frozen=True, slots=True)
class AttachmentFacts:
    """What the gateway knows of an attachment when deciding (from Confluence's REST or HTML)."""

    filename: str
    size: int | None
    page_id: str
    space_key: str | None
    is_latest: bool = True


@dataclass(frozen=True, slots=True)
class UserFacts:
    """The browser user, as Confluence sees them: identity, groups, and rights on the attachment."""

    anonymous: bool
    groups: frozenset[str]
    can_view: bool
    can_edit: bool  # edit permission on the page AND add-attachment permission in the space
    can_add_attachments: bool = False  # add-attachment permission on the page (Save As, New document)


@dataclass(frozen=True, slots=True)
class Offer:
    """What to show: `mode` is "edit", "view" or None; `convert_to` the Convert target or None;
    `download_to` the Download As targets (empty: no Download As)."""

    mode: Literal["edit", "view"] | None
    convert_to: str | None
    fill_forms: bool
    format: Format | None
    download_to: tuple[str, ...] = ()

    @property
    def anything(self) -> bool:
        return self.mode is not None or self.convert_to is not None or bool(self.download_to)


NOTHING = Offer(mode=None, convert_to=None, fill_forms=False, format=None)


def matching_rule(
    rules: Sequence[RuleSettings], attachment: AttachmentFacts, user: UserFacts
) -> RuleSettings | None:
    """The first rule whose conditions all hold; with no rules configured, everything is allowed."""
    if not rules:
        return _ALL_ACTIONS
    extension = extension_of(attachment.filename)
    for rule in rules:
        if rule.spaces and attachment.space_key not in rule.spaces:
            continue
        if rule.pages and attachment.page_id not in rule.pages:
            continue
        if rule.extensions and extension not in rule.extensions:
            continue
        if rule.groups and not (user.groups & set(rule.groups)):
            continue
        return rule
    return None


def switched_off(rules: Sequence[RuleSettings], space_key: str | None, page_id: str | None) -> bool:
    """Whether the rules leave nothing to offer anywhere on this page, whatever file or user.

    Such pages pass the proxy byte for byte (no links, no script), as if the gateway were not
    there. Only the space and page conditions are known here: a rule that also depends on the file
    or the user's groups could still offer something, unless it turns the gateway off.
    """
    if not rules or space_key is None:
        return False
    for rule in rules:
        if rule.spaces and space_key not in rule.spaces:
            continue
        if rule.pages and (page_id is None or page_id not in rule.pages):
            continue
        if rule.extensions or rule.groups:
            if rule.enabled:
                return False
            continue
        return not rule.enabled
    return True


def decide(
    rules: Sequence[RuleSettings],
    formats: FormatTable,
    attachment: AttachmentFacts,
    user: UserFacts,
    *,
    server_version: Version | None = None,
) -> Offer:
    """Combine rules, format and permissions into the one offer shown for this attachment."""
    if not user.can_view:
        return NOTHING
    found = formats.get(extension_of(attachment.filename), server_version)
    if found is None:
        return NOTHING
    # From here on the format is known: nothing offered is "not allowed here", not "unsupported".
    refused = Offer(mode=None, convert_to=None, fill_forms=False, format=found)
    rule = matching_rule(rules, attachment, user)
    if rule is None or not rule.enabled:
        return refused
    limit = rule.max_size if rule.max_size is not None else DEFAULT_MAX_SIZE
    if attachment.size is not None and attachment.size > limit:
        return refused
    may_change = user.can_edit and not user.anonymous and attachment.is_latest
    editable = (
        found.editable or found.fillable or (found.lossy_editable and found.extension in rule.lossy_edit)
    )
    mode: Literal["edit", "view"] | None = None
    if "edit" in rule.actions and may_change and editable:
        mode = "edit"
    elif "view" in rule.actions and found.viewable:
        mode = "view"
    convert_to = found.default_target if ("convert" in rule.actions and may_change) else None
    return Offer(
        mode=mode,
        convert_to=convert_to,
        fill_forms=mode == "edit" and found.fillable,
        format=found,
        download_to=found.convert_targets if "download" in rule.actions else (),
    )
