"""What the gateway reads from Confluence's REST JSON (reference/confluence.md sections 1.2-1.9)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Attachment",
    "AttachmentTooLarge",
    "AttachmentVersion",
    "ConfluenceError",
    "Identity",
    "PageInfo",
    "People",
    "Person",
    "is_content_id",
    "parse_attachment",
    "parse_attachment_version",
    "parse_identity",
    "parse_page",
    "parse_person",
]

_MAX_CONTENT_ID = 2**63 - 1  # Confluence ids are Java longs


def is_content_id(value: str) -> bool:
    """A Confluence content id as it may go into a REST path: ASCII digits within a Java long.

    `str.isdigit` is not enough: it accepts other scripts' digits ("١٢٣") and superscripts, which
    Confluence rejects (400) or, worse, a lenient parser reads as another number.
    """
    return 0 < len(value) <= 19 and value.isascii() and value.isdigit() and int(value) <= _MAX_CONTENT_ID


class ConfluenceError(Exception):
    """Confluence answered something the gateway cannot use; `status` is its HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status

    @property
    def transient(self) -> bool:
        """Worth retrying later: no answer, rate limited, or a server-side failure."""
        return self.status == 0 or self.status == 429 or self.status >= 500


class AttachmentTooLarge(ConfluenceError):
    """Confluence refused an upload over its Attachment Maximum Size: retrying cannot help until an
    administrator raises that setting. `limit` is the maximum in bytes when Confluence named it."""

    def __init__(self, message: str, limit: int | None) -> None:
        super().__init__(message, 413)
        self.limit = limit

    @property
    def advice(self) -> str:
        """What to tell the user: the limit as Confluence's admin screen states it (MB), and who can
        change it, since a retry would fail the same way."""
        if self.limit is None:
            shown = ""
        elif self.limit >= 1024 * 1024:
            shown = f" (at most {self.limit / (1024 * 1024):.4g} MB)"
        else:
            shown = f" (at most {self.limit} bytes)"
        return (
            f"The file is larger than Confluence allows for an attachment{shown}. "
            "A Confluence administrator can raise the Attachment Maximum Size."
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """The user behind a browser's cookies or Authorization header."""

    anonymous: bool
    username: str | None
    user_key: str | None
    display_name: str
    avatar_path: str | None = None

    @classmethod
    def anonymous_user(cls) -> Identity:
        return cls(anonymous=True, username=None, user_key=None, display_name="Anonymous")


@dataclass(frozen=True, slots=True)
class Attachment:
    id: str
    title: str
    version: int
    media_type: str
    size: int | None
    page_id: str
    page_title: str
    space_key: str | None
    download_path: str  # relative to the base URL, as in `_links.download`
    operations: frozenset[tuple[str, str]] = frozenset()  # (operation, targetType), when expanded
    status: str = "current"  # "historical" for an older version's own content id
    # The user's operations on the page (`container.operations`), None when Confluence did not expand
    # them: then the page is asked separately. How the rights arrived is not part of the attachment.
    page_operations: frozenset[tuple[str, str]] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class PageInfo:
    """A page or blog post as the user sees it: where it lives and what they may do there."""

    id: str
    title: str
    space_key: str | None
    operations: frozenset[tuple[str, str]] = frozenset()  # (operation, targetType)


def _operations(data: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    return frozenset(
        (str(item.get("operation")), str(item.get("targetType"))) for item in data.get("operations") or ()
    )


def _digits(value: Any) -> str:
    text = str(value)
    return text[3:] if text.startswith("att") else text


def parse_attachment(data: Mapping[str, Any]) -> Attachment:
    """An attachment Content object, expanded with version and container (space optional)."""
    try:
        container = data.get("container") or {}
        space = container.get("space") or data.get("space") or {}
        extensions = data.get("extensions") or {}
        metadata = data.get("metadata") or {}
        operations = _operations(data)
        size = extensions.get("fileSize")
        return Attachment(
            id=_digits(data["id"]),
            title=str(data["title"]),
            version=int(data["version"]["number"]),
            media_type=str(
                extensions.get("mediaType") or metadata.get("mediaType") or "application/octet-stream"
            ),
            size=int(size) if size is not None else None,
            page_id=_digits(container["id"]),
            page_title=str(container.get("title", "")),
            space_key=space.get("key"),
            download_path=str(data["_links"]["download"]),
            operations=operations,
            status=str(data.get("status") or "current"),
            page_operations=_operations(container) if "operations" in container else None,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ConfluenceError(f"unexpected attachment JSON from Confluence: {error!r}", 502) from error


def parse_identity(data: Mapping[str, Any]) -> Identity:
    if data.get("type") != "known":
        return Identity.anonymous_user()
    picture = data.get("profilePicture") or {}
    return Identity(
        anonymous=False,
        username=data.get("username"),
        user_key=data.get("userKey"),
        display_name=str(data.get("displayName") or data.get("username") or ""),
        avatar_path=picture.get("path") if not picture.get("isDefault") else None,
    )


@dataclass(frozen=True, slots=True)
class AttachmentVersion:
    """One entry of an attachment's version history (`/rest/experimental/content/{id}/version`)."""

    number: int
    when: str  # ISO 8601 as Confluence sends it
    author: Identity
    message: str = ""


def parse_attachment_version(data: Mapping[str, Any]) -> AttachmentVersion:
    try:
        by = data.get("by")
        return AttachmentVersion(
            number=int(data["number"]),
            when=str(data.get("when") or ""),
            author=parse_identity(by) if isinstance(by, Mapping) else Identity.anonymous_user(),
            message=str(data.get("message") or ""),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ConfluenceError(f"unexpected version JSON from Confluence: {error!r}", 502) from error


def parse_page(data: Mapping[str, Any]) -> PageInfo:
    """A page Content object expanded with space and operations."""
    try:
        space = data.get("space") or {}
        return PageInfo(
            id=str(data["id"]),
            title=str(data["title"]),
            space_key=space.get("key"),
            operations=_operations(data),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ConfluenceError(f"unexpected page JSON from Confluence: {error!r}", 502) from error


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a user may see in Confluence (a people search result or a user lookup).

    `email` only where Confluence exposes it: DC's Person JSON has none, so callers that need an
    address-like identifier (the editor's mentions) fall back to the username.
    """

    username: str
    user_key: str
    display_name: str
    avatar_path: str | None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class People:
    """One page of a people search: the people on it and how many matched in all."""

    people: list[Person]
    total: int


def parse_person(data: Mapping[str, Any]) -> Person | None:
    """A known user's Person JSON, or None (anonymous, or no username/userKey to act on)."""
    if data.get("type", "known") != "known":
        return None
    username, user_key = data.get("username"), data.get("userKey")
    if not isinstance(username, str) or not username or not isinstance(user_key, str) or not user_key:
        return None
    picture = data.get("profilePicture")
    path = picture.get("path") if isinstance(picture, dict) else None
    email = data.get("email")
    return Person(
        username=username,
        user_key=user_key,
        display_name=str(data.get("displayName") or username),
        avatar_path=path if isinstance(path, str) and path.startswith("/") else None,
        email=email if isinstance(email, str) and "@" in email else None,
    )
