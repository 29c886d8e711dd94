"""In-memory model of the Confluence objects the gateway touches, with optional persistence.

Users, groups, spaces with space permissions, pages with view/edit restrictions, attachments with
every version's bytes.  With ``data_dir`` the state is written as JSON plus one file per version, so
a restarted simulator answers exactly as before (like a real instance with its database).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "PERMISSIONS",
    "Attachment",
    "AttachmentVersion",
    "Comment",
    "Notification",
    "Page",
    "Space",
    "Store",
    "StoreError",
    "User",
]

#: Space permissions the simulator knows: view, edit pages, add attachments, add comments, administer.
PERMISSIONS = frozenset({"view", "edit", "attach", "comment", "remove", "admin"})
#: Mentions in storage format: `<ac:link><ri:user ri:userkey="..."/></ac:link>`.
_MENTION = re.compile(r"<ac:link>\s*<ri:user\s+ri:userkey=\"([0-9A-Za-z]+)\"\s*/>", re.IGNORECASE)


class StoreError(Exception):
    """A store operation that a caller (usually a test) got wrong."""


def now_ms() -> int:
    """Milliseconds since the epoch, as Confluence's `modificationDate` uses."""
    return int(time.time() * 1000)


@dataclass
class User:
    username: str
    password: str
    display_name: str
    user_key: str
    locale: str = "en_GB"
    email: str = ""
    groups: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)


@dataclass
class Space:
    key: str
    name: str
    id: int
    anonymous_view: bool = False
    #: principal ("user:<name>" / "group:<name>") -> permissions from PERMISSIONS
    permissions: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Page:
    id: int
    space_key: str
    title: str
    body: str = ""
    version: int = 1
    created_by: str = "admin"
    created: int = field(default_factory=now_ms)
    updated: int = field(default_factory=now_ms)
    updated_by: str = "admin"
    parent_id: int | None = None
    attachments_macro: bool = True
    embedded: list[str] = field(default_factory=list)
    #: explicit page restrictions: {"read": {"user": [...], "group": [...]}, "update": {...}}
    restrictions: dict[str, dict[str, list[str]]] = field(default_factory=dict)


@dataclass
class AttachmentVersion:
    number: int
    title: str
    media_type: str
    size: int
    by: str
    when: int
    comment: str = ""
    minor_edit: bool = False
    hidden: bool = False


@dataclass
class Attachment:
    id: int
    page_id: int
    title: str
    versions: list[AttachmentVersion] = field(default_factory=list)
    status: str = "current"
    #: the highest version number this attachment ever had: numbers of deleted versions are not
    #: handed out again (see Store.add_version)
    last_number: int = 0

    @property
    def current(self) -> AttachmentVersion:
        return self.versions[-1]

    def version(self, number: int) -> AttachmentVersion | None:
        return next((v for v in self.versions if v.number == number), None)


@dataclass
class Comment:
    """A page comment (footer comment); `parent_id` when it answers another comment."""

    id: int
    page_id: int
    body: str
    by: str
    when: int = field(default_factory=now_ms)
    parent_id: int | None = None


@dataclass
class Notification:
    """What Confluence would send a user (by mail and in its notification centre): kept, not sent."""

    to: str
    kind: str
    content_id: int
    by: str
    when: int = field(default_factory=now_ms)


class Store:
    """Everything the simulator knows; one per app (kept under an AppKey, never global)."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        self.users: dict[str, User] = {}
        self.groups: dict[str, list[str]] = {}
        self.spaces: dict[str, Space] = {}
        self.pages: dict[int, Page] = {}
        self.attachments: dict[int, Attachment] = {}
        self.comments: dict[int, Comment] = {}
        self.notifications: list[Notification] = []
        self.remember_me: dict[str, str] = {}  # seraph.confluence token -> username
        self.blobs: dict[tuple[int, int], bytes] = {}
        self.next_id = 65537
        self._lock = threading.Lock()

    # ---- users and groups -------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        password: str,
        display_name: str,
        *,
        locale: str = "en_GB",
        groups: tuple[str, ...] = (),
        token: str | None = None,
        email: str = "",
    ) -> User:
        key = secrets.token_hex(16)
        user = User(username, password, display_name, key, locale, email or f"{username}@example.com")
        self.users[username] = user
        for group in groups:
            self.add_to_group(username, group)
        if token:
            user.tokens.append(token)
        self.save()
        return user

    def add_to_group(self, username: str, group: str) -> None:
        members = self.groups.setdefault(group, [])
        if username not in members:
            members.append(username)
        user = self.users[username]
        if group not in user.groups:
            user.groups.append(group)
        self.save()

    def user_by_key(self, key: str) -> User | None:
        return next((u for u in self.users.values() if u.user_key == key), None)

    def user_by_token(self, token: str) -> User | None:
        return next((u for u in self.users.values() if token in u.tokens), None)

    def check_password(self, username: str, password: str) -> User | None:
        user = self.users.get(username)
        if user is not None and secrets.compare_digest(user.password.encode(), password.encode()):
            return user
        return None

    # ---- spaces and pages ---------------------------------------------------------------------
    def add_space(self, key: str, name: str, *, anonymous_view: bool = False) -> Space:
        space = Space(key, name, self._new_id(), anonymous_view)
        self.spaces[key] = space
        self.save()
        return space

    def grant(self, space_key: str, principal: str, *permissions: str) -> None:
        """Give ``user:<name>`` or ``group:<name>`` space permissions (view/edit/attach/remove/admin)."""
        unknown = set(permissions) - PERMISSIONS
        if unknown or not principal.startswith(("user:", "group:")):
            raise StoreError(f"bad grant {principal} {sorted(unknown)}")
        held = self.spaces[space_key].permissions.setdefault(principal, [])
        held.extend(p for p in permissions if p not in held)
        self.save()

    def revoke(self, space_key: str, principal: str, *permissions: str) -> None:
        held = self.spaces[space_key].permissions.get(principal, [])
        for perm in permissions:
            if perm in held:
                held.remove(perm)
        self.save()

    def add_page(self, space_key: str, title: str, *, body: str = "", by: str = "admin", **kw: Any) -> Page:
        if space_key not in self.spaces:
            raise StoreError(f"no space {space_key}")
        page = Page(self._new_id(), space_key, title, body, created_by=by, updated_by=by, **kw)
        self.pages[page.id] = page
        self.save()
        return page

    def restrict(
        self, page_id: int, operation: str, *, users: tuple[str, ...] = (), groups: tuple[str, ...] = ()
    ) -> None:
        """Add an explicit page restriction (``read`` or ``update``) naming users and/or groups."""
        entry = self.pages[page_id].restrictions.setdefault(operation, {"user": [], "group": []})
        entry["user"].extend(users)
        entry["group"].extend(groups)
        self.save()

    def page_by_title(self, space_key: str, title: str) -> Page | None:
        return next((p for p in self.pages.values() if p.space_key == space_key and p.title == title), None)

    # ---- attachments ----------------------------------------------------------------------------
    def attachments_of(self, page_id: int) -> list[Attachment]:
        return sorted(
            (a for a in self.attachments.values() if a.page_id == page_id and a.status == "current"),
            key=lambda a: a.id,
        )

    def attachment_by_name(self, page_id: int, title: str) -> Attachment | None:
        return next((a for a in self.attachments_of(page_id) if a.title == title), None)

    def add_attachment(
        self,
        page_id: int,
        title: str,
        data: bytes,
        media_type: str,
        *,
        by: str,
        comment: str = "",
        minor_edit: bool = False,
        hidden: bool = False,
    ) -> Attachment:
        """Create a new attachment (version 1); same-named files are the caller's business."""
        att = self.new_attachment(page_id, title)
        self.add_version(
            att, data, media_type, by=by, comment=comment, minor_edit=minor_edit, hidden=hidden, title=title
        )
        return att

    def new_attachment(self, page_id: int, title: str) -> Attachment:
        """An attachment without versions yet: `add_version` gives it version 1."""
        with self._lock:
            att = Attachment(self._new_id(), page_id, title)
            self.attachments[att.id] = att
        return att

    def add_version(
        self,
        att: Attachment,
        data: bytes,
        media_type: str,
        *,
        by: str,
        comment: str = "",
        minor_edit: bool = False,
        hidden: bool = False,
        title: str | None = None,
    ) -> AttachmentVersion:
        """Store new bytes as the next version; a different ``title`` renames the attachment.

        The next number follows the highest one ever used, not the highest one left: after the
        latest version is deleted, the next upload does not take its number, so a `?version=N`
        link or a client's remembered number never names different bytes than it did.
        [I: the reference (§1.8) lists the delete operation, not the numbering after it; this is
        the model the issue states. Confluence Cloud is said to renumber *page* versions after a
        delete (third-party page); no source was found for DC attachments either way.]"""
        with self._lock:
            number = max(att.last_number, att.versions[-1].number if att.versions else 0) + 1
            att.last_number = number
            if title:
                att.title = title
            version = AttachmentVersion(
                number, att.title, media_type, len(data), by, now_ms(), comment, minor_edit, hidden
            )
            att.versions.append(version)
            self.blobs[(att.id, number)] = data
        self._write_blob(att.id, number, data)
        self.save()
        return version

    def delete_version(self, att: Attachment, number: int) -> bool:
        """Remove one version (the only one: the attachment goes to the trash). The others keep
        their numbers; a deleted latest version makes the one before it current again."""
        version = att.version(number)
        if version is None:
            return False
        if len(att.versions) == 1:
            att.status = "trashed"
        else:
            att.versions.remove(version)
            att.title = att.current.title
        self.save()
        return True

    def data(self, att: Attachment, number: int | None = None) -> bytes:
        number = att.current.number if number is None else number
        blob = self.blobs.get((att.id, number))
        if blob is None and self.data_dir is not None:
            path = self.data_dir / "files" / str(att.id) / str(number)
            if path.exists():
                blob = path.read_bytes()
                self.blobs[(att.id, number)] = blob
        if blob is None:
            raise StoreError(f"no data for attachment {att.id} v{number}")
        return blob

    # ---- comments -----------------------------------------------------------------------------
    def comments_of(self, page_id: int) -> list[Comment]:
        return sorted((c for c in self.comments.values() if c.page_id == page_id), key=lambda c: c.id)

    def add_comment(self, page_id: int, body: str, *, by: str, parent_id: int | None = None) -> Comment:
        """A new comment; everyone it @-mentions who may view the page is notified, as Confluence
        does (the author is not notified of their own mention)."""
        with self._lock:
            comment = Comment(self._new_id(), page_id, body, by, parent_id=parent_id)
            self.comments[comment.id] = comment
        page = self.pages[page_id]
        for key in dict.fromkeys(_MENTION.findall(body)):
            user = self.user_by_key(key)
            if user is not None and user.username != by and self.can(user, page, "view"):
                self.notifications.append(Notification(user.username, "mention", comment.id, by))
        self.save()
        return comment

    # ---- permissions ----------------------------------------------------------------------------
    def space_permissions(self, user: User | None, space: Space) -> set[str]:
        if user is None:
            return {"view"} if space.anonymous_view else set()
        held: set[str] = set(space.permissions.get(f"user:{user.username}", []))
        for group in user.groups:
            held.update(space.permissions.get(f"group:{group}", []))
        if "admin" in held:
            held.update(PERMISSIONS)
        if held and "view" not in held:
            held.clear()  # every other space permission needs "view" in Confluence
        return held

    def _restricted_out(self, user: User | None, page: Page, operation: str) -> bool:
        entry = page.restrictions.get(operation)
        if not entry or (not entry.get("user") and not entry.get("group")):
            return False
        if user is None:
            return True
        return user.username not in entry.get("user", []) and not set(user.groups) & set(
            entry.get("group", [])
        )

    def can(self, user: User | None, page: Page, permission: str) -> bool:
        """Effective permission on a page: space permission minus explicit page restrictions."""
        space = self.spaces[page.space_key]
        if permission not in self.space_permissions(user, space):
            return False
        if self._restricted_out(user, page, "read"):
            return False
        # Page edit restrictions limit editing, not reading or commenting.
        return permission in ("view", "comment") or not self._restricted_out(user, page, "update")

    # ---- persistence ----------------------------------------------------------------------------
    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _write_blob(self, att_id: int, number: int, data: bytes) -> None:
        if self.data_dir is None:
            return
        path = self.data_dir / "files" / str(att_id) / str(number)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def save(self) -> None:
        if self.data_dir is None:
            return
        state = {
            "next_id": self.next_id,
            "users": [asdict(u) for u in self.users.values()],
            "groups": self.groups,
            "spaces": [asdict(s) for s in self.spaces.values()],
            "pages": [asdict(p) for p in self.pages.values()],
            "attachments": [asdict(a) for a in self.attachments.values()],
            "comments": [asdict(c) for c in self.comments.values()],
            "notifications": [asdict(n) for n in self.notifications],
            "remember_me": self.remember_me,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.data_dir / "state.json.tmp"
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.data_dir / "state.json")

    def load(self) -> bool:
        """Read saved state; False when there is none (a fresh data_dir gets seeded)."""
        if self.data_dir is None or not (self.data_dir / "state.json").exists():
            return False
        state = json.loads((self.data_dir / "state.json").read_text())
        self.next_id = state["next_id"]
        self.users = {u["username"]: User(**u) for u in state["users"]}
        self.groups = state["groups"]
        self.spaces = {s["key"]: Space(**s) for s in state["spaces"]}
        self.pages = {p["id"]: Page(**p) for p in state["pages"]}
        self.attachments = {}
        for a in state["attachments"]:
            versions = [AttachmentVersion(**v) for v in a.pop("versions")]
            self.attachments[a["id"]] = Attachment(**a, versions=versions)
        self.comments = {c["id"]: Comment(**c) for c in state.get("comments", [])}
        self.notifications = [Notification(**n) for n in state.get("notifications", [])]
        self.remember_me = state.get("remember_me", {})
        return True
