"""The DocsAPI.DocEditor config for one user opening one attachment (protocol section 1.2, 3.3).

A pure function of what the handler learnt, so it can be tested alone. The whole config is signed
(everything but `token` and `events`), which covers the fields the Document Server requires in the
token since 7.1 (key, url, permissions, callbackUrl, mode) and keeps permissions deep-equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from gateway.confluence.models import Attachment, Identity
from gateway.docserver.jwt import sign_config
from gateway.onlyoffice.client_input import BadBody, JsonLimits, parse_json_object
from gateway.onlyoffice.formats import Format

__all__ = ["EditorRequest", "action_link", "build_editor_config", "language_tag", "pick_language"]

_MAX_ACTION_DATA = 8 * 1024
_ACTION_DATA_LIMITS = JsonLimits(max_bytes=_MAX_ACTION_DATA, max_depth=32, max_number_digits=64)

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_MOBILE = re.compile(r"android|iphone|ipad|ipod|mobile|blackberry|opera mini|iemobile", re.IGNORECASE)


def language_tag(locale: str | None) -> str | None:
    """Confluence locale (`en_GB`) or BCP 47 (`pt-PT`) -> the editor's `lang`; None if malformed."""
    if not locale or not _LANGUAGE.match(locale.strip()):
        return None
    return locale.strip().replace("_", "-")


def pick_language(explicit: str | None, accept_language: str | None, default: str = "en") -> str:
    """The user's Confluence locale when known, else the browser's first language, else English."""
    tag = language_tag(explicit)
    if tag:
        return tag
    for item in (accept_language or "").split(","):
        tag = language_tag(item.split(";")[0])
        if tag and tag != "*":
            return tag
    return default


def action_link(raw: str | None) -> dict[str, Any] | None:
    """`actionData` (a JSON object the editor made for "link to this place") or None if unusable."""
    if not raw or len(raw) > _MAX_ACTION_DATA:
        return None
    try:  # the checks every client JSON gets: a link like `[[[[...` must not be a RecursionError
        return parse_json_object(raw.encode("utf-8", "surrogatepass"), _ACTION_DATA_LIMITS)
    except BadBody:
        return None


@dataclass(frozen=True, slots=True)
class EditorRequest:
    attachment: Attachment
    format: Format
    identity: Identity
    mode: Literal["edit", "view"]
    fill_forms: bool
    key: str
    document_url: str
    callback_url: str | None
    instance: str  # the public URL: identifies this Confluence in referenceData
    goback_url: str
    lang: str
    avatar_url: str | None
    user_agent: str = ""
    forcesave: bool = True
    action_link: dict[str, Any] | None = None  # `actionData` of a bookmark link, passed through as is
    forms_only: bool = False  # `mode=fillForms`: fill the form, do not edit it


def build_editor_config(request: EditorRequest, secret: str) -> dict[str, Any]:
    """The config as `new DocsAPI.DocEditor(id, config)` takes it, with its `token`."""
    editing = request.mode == "edit"
    permissions: dict[str, Any] = {
        "edit": editing and not (request.forms_only and request.fill_forms),
        "fillForms": request.fill_forms,
        "comment": editing,
        "review": editing,
        "download": True,
        "print": True,
    }
    editor: dict[str, Any] = {
        "mode": request.mode,
        "lang": request.lang,
        "customization": {
            "goback": {"url": request.goback_url, "blank": False},
            "forcesave": request.forcesave and editing,
        },
    }
    if editing and request.callback_url:
        editor["callbackUrl"] = request.callback_url
    if request.action_link is not None:
        editor["actionLink"] = request.action_link
    if not request.identity.anonymous and request.identity.user_key:
        user: dict[str, Any] = {"id": request.identity.user_key, "name": request.identity.display_name}
        if request.avatar_url:
            user["image"] = request.avatar_url
        editor["user"] = user
    config: dict[str, Any] = {
        "type": "mobile" if _MOBILE.search(request.user_agent) else "desktop",
        "documentType": request.format.document_type,
        "width": "100%",
        "height": "100%",
        "document": {
            "fileType": request.format.extension,
            "key": request.key,
            "title": request.attachment.title,
            "url": request.document_url,
            "permissions": permissions,
            "referenceData": {"fileKey": request.attachment.id, "instanceId": request.instance},
        },
        "editorConfig": editor,
    }
    config["token"] = sign_config(config, secret)
    return config
