"""Confluence REST calls the ONLYOFFICE plugin needs (reference/confluence.md sections 1 and 2).

Two kinds of call, kept apart on purpose:
- as the browser user (their Cookie / Authorization forwarded): who they are and what they may see;
  Confluence answers 404 for anything they may not see, so the gateway never shows more than it would;
- as the service account (PAT or Basic): downloads for the Document Server and uploads of saved
  versions. Uploads send `X-Atlassian-Token: no-check` and the gateway's own User-Agent, never a
  browser's User-Agent/Origin/Referer, so Confluence's XSRF browser heuristics do not refuse them.
Nothing Confluence sets on these side calls (Set-Cookie from a remember-me login) reaches a browser.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from collections.abc import AsyncGenerator, AsyncIterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from yarl import URL

from gateway import __version__
from gateway.confluence.models import (
    Attachment,
    AttachmentTooLarge,
    AttachmentVersion,
    ConfluenceError,
    Identity,
    PageInfo,
    People,
    Person,
    is_content_id,
    parse_attachment,
    parse_attachment_version,
    parse_identity,
    parse_page,
    parse_person,
)
from gateway.settings import ConfluenceAuth

__all__ = ["ConfluenceClient", "UserCredentials", "service_authorization"]

USER_AGENT = f"onlyoffice-gateway/{__version__}"
_ATTACHMENT_EXPAND = "version,container,container.space,space,operations"
# Asked alone (the editor, downloads, saves): the page's operations come in the same answer, so
# opening the editor waits for one Confluence call instead of two in a row. A listing does not ask
# for them: it would repeat them in every element, and its page is asked once.
_SINGLE_ATTACHMENT_EXPAND = _ATTACHMENT_EXPAND + ",container.operations"
_LIST_LIMIT = 200  # per listing request; Confluence may cap it lower, `_links.next` covers the rest
_MAX_LIST_REQUESTS = 25  # a page with more attachments than this covers is not worth listing further


@dataclass(frozen=True, slots=True)
class UserCredentials:
    """What identifies a browser user to Confluence: their whole Cookie header and Authorization."""

    cookie: str | None = None
    authorization: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> UserCredentials:
        return cls(cookie=headers.get("Cookie") or None, authorization=headers.get("Authorization") or None)

    @property
    def present(self) -> bool:
        return bool(self.cookie or self.authorization)

    def headers(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if self.cookie:
            found["Cookie"] = self.cookie
        if self.authorization:
            found["Authorization"] = self.authorization
        return found

    def fingerprint(self) -> str:
        """A cache key that does not keep the credentials themselves in memory."""
        raw = f"{self.cookie or ''}\x00{self.authorization or ''}".encode()
        return hashlib.sha256(raw).hexdigest()


def service_authorization(auth: ConfluenceAuth) -> str:
    """The Authorization header of the service account: Bearer PAT, else Basic."""
    if auth.token is not None:
        return f"Bearer {auth.token.get_secret_value()}"
    if auth.username is None or auth.password is None:
        raise ValueError("confluence.auth needs a token or a username and password")
    pair = f"{auth.username}:{auth.password.get_secret_value()}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


@contextlib.contextmanager
def _reaching(what: str) -> Iterator[None]:
    """Turn transport failures (refused, reset, timed out) into a transient ConfluenceError."""
    try:
        yield
    except aiohttp.ClientError as error:
        raise ConfluenceError(f"{what}: Confluence unreachable ({type(error).__name__})") from error
    except TimeoutError as error:
        raise ConfluenceError(f"{what}: Confluence timed out") from error


class ConfluenceClient:
    """REST client bound to one Confluence (its URL includes the context path)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: URL, service_auth: str) -> None:
        self._session = session
        self._base = base_url
        self._service_headers = {
            "Authorization": service_auth,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    @property
    def base_url(self) -> URL:
        return self._base

    def url(self, path: str) -> URL:
        """`path` relative to the base (as in `_links.download`), kept under the base path."""
        relative = path.lstrip("/")
        joined = URL(str(self._base).rstrip("/") + "/" + relative, encoded=True)
        if not joined.path.startswith(self._base.path.rstrip("/") + "/"):
            raise ConfluenceError(f"refusing a path outside Confluence: {path!r}", 400)
        return joined

    async def _get_json(
        self, path: str, headers: Mapping[str, str], params: Mapping[str, str] | None = None
    ) -> Any:
        with _reaching(f"GET {path}"):
            async with self._session.get(
                self.url(path), headers=headers, params=params, allow_redirects=False
            ) as response:
                body = await response.read()
                if response.status != 200:
                    raise ConfluenceError(
                        f"GET {path}: Confluence answered {response.status}", response.status
                    )
        try:
            return orjson.loads(body)  # an attachments listing is ~3 KiB per file: 2x faster than json
        except ValueError as error:
            raise ConfluenceError(f"GET {path}: Confluence sent invalid JSON", 502) from error

    def _user_headers(self, credentials: UserCredentials) -> dict[str, str]:
        return {**credentials.headers(), "Accept": "application/json", "User-Agent": USER_AGENT}

    async def current_user(self, credentials: UserCredentials) -> Identity:
        """Who the browser is; expired or missing sessions are anonymous (200), bad Basic is 401."""
        if not credentials.present:
            return Identity.anonymous_user()
        try:
            data = await self._get_json("rest/api/user/current", self._user_headers(credentials))
        except ConfluenceError as error:
            if error.status == 401:
                return Identity.anonymous_user()
            raise
        return parse_identity(data)

    async def attachment(
        self, attachment_id: str, credentials: UserCredentials | None = None
    ) -> Attachment | None:
        """The attachment as the user (or the service account) sees it; None when hidden or unknown."""
        if not is_content_id(attachment_id):
            return None
        headers = self._service_headers if credentials is None else self._user_headers(credentials)
        try:
            data = await self._get_json(
                f"rest/api/content/{attachment_id}", headers, {"expand": _SINGLE_ATTACHMENT_EXPAND}
            )
        except ConfluenceError as error:
            if error.status in (401, 403, 404):
                return None
            raise
        if data.get("type") != "attachment":
            return None
        return parse_attachment(data)

    async def page_attachments(
        self, page_id: str, credentials: UserCredentials
    ) -> AsyncGenerator[list[Attachment], None]:
        """The page's current attachments as the user sees them, one listing page at a time.

        `GET .../child/attachment` with the same `expand` as `attachment()`, so each element is what
        the single call returns (reference §1.3); `_links.next` is followed (§1.12) until the caller
        stops iterating. A page the user may not see (404/403/401) lists nothing; elements that do
        not parse are skipped (the caller asks for those one by one).
        """
        if not is_content_id(page_id):
            return
        listing = self._listing(
            f"rest/api/content/{page_id}/child/attachment",
            {"expand": _ATTACHMENT_EXPAND, "limit": str(_LIST_LIMIT)},
            credentials,
            what=f"listing attachments of {page_id}",
        )
        try:
            async with contextlib.aclosing(listing) as pages:
                async for data in pages:
                    found: list[Attachment] = []
                    for item in data.get("results") or ():
                        if isinstance(item, dict) and item.get("type") == "attachment":
                            with contextlib.suppress(ConfluenceError):
                                found.append(parse_attachment(item))
                    yield found
        except ConfluenceError as error:
            if error.status not in (401, 403, 404):
                raise

    async def _listing(
        self, path: str, params: Mapping[str, str], credentials: UserCredentials, *, what: str
    ) -> AsyncGenerator[dict[str, Any], None]:
        """The listing pages of one REST collection, as the user sees them: the first request with
        `params`, then `_links.next` (§1.12), for at most _MAX_LIST_REQUESTS requests. Attachment
        and version listings page the same way; what a hidden container's 401/403/404 (a
        ConfluenceError, like any other failure) means is the caller's business."""
        headers = self._user_headers(credentials)
        next_path: str | None = path
        next_params: Mapping[str, str] | None = params
        for _ in range(_MAX_LIST_REQUESTS):
            if next_path is None:
                return
            data = await self._get_json(next_path, headers, next_params)
            if not isinstance(data, dict):
                raise ConfluenceError(f"{what}: unexpected JSON", 502)
            yield data
            next_path, next_params = self._next_link(data), None

    def _next_link(self, data: Mapping[str, Any]) -> str | None:
        """`_links.next` as a path relative to the base (Confluence sends it relative; §1.1, §1.12)."""
        links = data.get("_links")
        link = links.get("next") if isinstance(links, dict) else None
        if not isinstance(link, str) or not link:
            return None
        if "://" in link:
            base = str(self._base).rstrip("/")
            if not link.startswith(base + "/"):
                raise ConfluenceError(f"refusing a next link outside Confluence: {link!r}", 502)
            return link[len(base) :]
        return link

    async def attachment_versions(
        self, attachment_id: str, credentials: UserCredentials
    ) -> list[AttachmentVersion] | None:
        """An attachment's versions as the user sees them, oldest first; None when hidden or unknown.

        `GET /rest/experimental/content/{id}/version` (reference §1.8) lists newest first, one
        listing page at a time; `_links.next` is followed like for attachment listings.
        """
        if not is_content_id(attachment_id):
            return None
        listing = self._listing(
            f"rest/experimental/content/{attachment_id}/version",
            {"limit": str(_LIST_LIMIT), "start": "0"},
            credentials,
            what=f"versions of {attachment_id}",
        )
        found: dict[int, AttachmentVersion] = {}
        try:
            async with contextlib.aclosing(listing) as pages:
                async for data in pages:
                    for item in data.get("results") or ():
                        if isinstance(item, dict):
                            version = parse_attachment_version(item)
                            found[version.number] = version
        except ConfluenceError as error:
            if error.status in (401, 403, 404):
                return None
            raise
        return [found[number] for number in sorted(found)]

    async def page_operations(self, page_id: str, credentials: UserCredentials) -> frozenset[tuple[str, str]]:
        """What the user may do on a page (`expand=operations`): ("update", "page"), ("create", "attachment")..."""
        try:
            data = await self._get_json(
                f"rest/api/content/{page_id}", self._user_headers(credentials), {"expand": "operations"}
            )
        except ConfluenceError as error:
            if error.status in (401, 403, 404):
                return frozenset()
            raise
        return frozenset(
            (str(o.get("operation")), str(o.get("targetType"))) for o in data.get("operations") or ()
        )

    async def page(self, page_id: str, credentials: UserCredentials) -> PageInfo | None:
        """A page or blog post as the user sees it (space, operations); None when hidden or unknown."""
        if not is_content_id(page_id):
            return None
        try:
            data = await self._get_json(
                f"rest/api/content/{page_id}", self._user_headers(credentials), {"expand": "space,operations"}
            )
        except ConfluenceError as error:
            if error.status in (401, 403, 404):
                return None
            raise
        if not isinstance(data, dict) or data.get("type") not in ("page", "blogpost"):
            return None
        return parse_page(data)

    async def search_pages(
        self, text: str, credentials: UserCredentials, *, limit: int = 25
    ) -> list[PageInfo]:
        """Pages whose title contains `text`, as the user may see them, with their space and the
        user's operations: `GET /rest/api/content/search` with CQL (Confluence's own search; DC
        caps `limit` at 200 with expansions). Quotes and backslashes in `text` are escaped."""
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        cql = f'type = page AND title ~ "{escaped}" ORDER BY title'
        data = await self._get_json(
            "rest/api/content/search",
            self._user_headers(credentials),
            {"cql": cql, "expand": "space,operations", "limit": str(limit)},
        )
        found: list[PageInfo] = []
        for item in (data.get("results") or ()) if isinstance(data, dict) else ():
            if isinstance(item, dict) and item.get("type") == "page":
                with contextlib.suppress(ConfluenceError):
                    found.append(parse_page(item))
        return found

    async def search_people(
        self, text: str, credentials: UserCredentials, *, start: int = 0, limit: int = 25
    ) -> People:
        """People whose full name contains `text`, as the user may see them: DC's CQL search
        `GET /rest/api/search?cql=type = user AND user.fullname ~ "text"` (DC has no
        `/rest/api/search/user`); an empty `text` lists everyone. Quotes and backslashes are escaped."""
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        cql = f'type = user AND user.fullname ~ "{escaped}"' if text else "type = user"
        data = await self._get_json(
            "rest/api/search",
            self._user_headers(credentials),
            {"cql": cql, "start": str(start), "limit": str(limit)},
        )
        if not isinstance(data, dict):
            raise ConfluenceError("people search: unexpected JSON", 502)
        found: list[Person] = []
        for item in data.get("results") or ():
            person = (
                parse_person(item["user"])
                if isinstance(item, dict) and isinstance(item.get("user"), dict)
                else None
            )
            if person is not None:
                found.append(person)
        total = data.get("totalSize")
        return People(found, total if isinstance(total, int) and total >= len(found) else start + len(found))

    async def person(
        self, credentials: UserCredentials, *, key: str | None = None, username: str | None = None
    ) -> Person | None:
        """One user by key or username (`GET /rest/api/user`), as the user may see them; None if not."""
        params = {"key": key} if key is not None else {"username": username or ""}
        try:
            data = await self._get_json("rest/api/user", self._user_headers(credentials), params)
        except ConfluenceError as error:
            if error.status in (400, 401, 403, 404):
                return None
            raise
        return parse_person(data) if isinstance(data, dict) else None

    async def create_comment(self, page_id: str, storage: str, credentials: UserCredentials) -> str:
        """A page comment in storage format, as the user (`POST /rest/api/content`, type comment):
        Confluence checks they may comment and notifies whom it mentions. JSON, so no XSRF token is
        needed; `no-check` is sent anyway, and never a browser's User-Agent/Origin (§2.6). The id."""
        body = {
            "type": "comment",
            "container": {"id": page_id, "type": "page"},
            "body": {"storage": {"value": storage, "representation": "storage"}},
        }
        headers = {
            **self._user_headers(credentials),
            "Content-Type": "application/json",
            "X-Atlassian-Token": "no-check",
        }
        with _reaching(f"commenting on page {page_id}"):
            async with self._session.post(
                self.url("rest/api/content"), data=json.dumps(body), headers=headers, allow_redirects=False
            ) as response:
                answer = await response.read()
                if response.status != 200:
                    raise ConfluenceError(
                        f"commenting on page {page_id}: Confluence answered {response.status}: {_message(answer)}",
                        response.status,
                    )
        try:
            created = json.loads(answer)
            return str(created["id"])
        except (ValueError, KeyError, TypeError) as error:
            raise ConfluenceError(f"commenting on page {page_id}: unexpected answer", 502) from error

    async def attachment_titles(self, page_id: str) -> set[str]:
        """Names of the page's current attachments (service account), following pagination."""
        titles: set[str] = set()
        start = 0
        while True:
            data = await self._get_json(
                f"rest/api/content/{page_id}/child/attachment",
                self._service_headers,
                {"start": str(start), "limit": "200"},
            )
            results = data.get("results") or []
            titles.update(str(item.get("title")) for item in results)
            if not results or not (data.get("_links") or {}).get("next"):
                return titles
            start += len(results)

    async def user_groups(self, username: str) -> frozenset[str]:
        """Group names of a user (service account call), for group conditions in rules."""
        data = await self._get_json("rest/api/user/memberof", self._service_headers, {"username": username})
        return frozenset(str(group.get("name")) for group in data.get("results") or ())

    async def delete_version(self, attachment_id: str, number: int) -> None:
        """DELETE /rest/experimental/content/{id}/version/{n} (collapsing intermediate force saves)."""
        url = self.url(f"rest/experimental/content/{attachment_id}/version/{number}")
        headers = {**self._service_headers, "X-Atlassian-Token": "no-check"}
        with _reaching(f"deleting version {number} of attachment {attachment_id}"):
            async with self._session.delete(url, headers=headers, allow_redirects=False) as response:
                await response.read()
                if response.status not in (200, 204):
                    raise ConfluenceError(
                        f"deleting version {number} of attachment {attachment_id}: Confluence answered {response.status}",
                        response.status,
                    )

    async def rename_attachment(
        self, attachment: Attachment, title: str, credentials: UserCredentials
    ) -> Attachment:
        """PUT .../child/attachment/{id} (reference §1.6) as the user: Confluence checks their right
        to edit it; JSON, so no XSRF token. The version number stays: a rename is no new version."""
        path = f"rest/api/content/{attachment.page_id}/child/attachment/{attachment.id}"
        body = {
            "id": attachment.id,
            "type": "attachment",
            "title": title,
            "version": {"number": attachment.version},
            "container": {"id": attachment.page_id, "type": "page"},
        }
        headers = {**self._user_headers(credentials), "Content-Type": "application/json"}
        with _reaching(f"renaming attachment {attachment.id}"):
            async with self._session.put(
                self.url(path), data=json.dumps(body), headers=headers, allow_redirects=False
            ) as response:
                answer = await response.read()
                if response.status != 200:
                    raise ConfluenceError(
                        f"renaming attachment {attachment.id}: Confluence answered {response.status}: "
                        f"{_message(answer)}",
                        response.status,
                    )
        try:
            return parse_attachment(json.loads(answer))
        except (ValueError, TypeError) as error:
            raise ConfluenceError(f"renaming attachment {attachment.id}: unexpected answer", 502) from error

    async def display_name(self, user_key: str) -> str | None:
        """A user's full name by user key (service account), for version comments."""
        try:
            data = await self._get_json("rest/api/user", self._service_headers, {"key": user_key})
        except ConfluenceError:
            return None
        name = data.get("displayName") if isinstance(data, dict) else None
        return str(name) if name else None

    async def version_message(self, attachment_id: str, number: int) -> str | None:
        """The comment of one attachment version (service account); None when there is no such version."""
        try:
            data = await self._get_json(
                f"rest/experimental/content/{attachment_id}/version/{number}", self._service_headers
            )
        except ConfluenceError as error:
            if error.status in (403, 404):
                return None
            raise
        message = data.get("message") if isinstance(data, dict) else None
        return message if isinstance(message, str) else None

    async def open_download(
        self, attachment: Attachment, version: int | None = None
    ) -> aiohttp.ClientResponse:
        """Start streaming an attachment version as the service account; the caller must release it."""
        url = self.url(attachment.download_path)
        if version is not None:
            url = url.update_query(version=str(version))
        with _reaching(f"download of attachment {attachment.id}"):
            response = await self._session.get(url, headers=self._service_headers, allow_redirects=False)
        if response.status != 200:
            response.release()
            raise ConfluenceError(
                f"download of attachment {attachment.id}: Confluence answered {response.status}",
                response.status,
            )
        return response

    async def upload_new_version(
        self,
        attachment: Attachment,
        data: bytes | AsyncIterable[bytes],
        *,
        media_type: str,
        comment: str | None = None,
        minor_edit: bool = False,
    ) -> Attachment:
        """POST .../child/attachment/{id}/data: one new version, keeping the existing file name."""
        path = f"rest/api/content/{attachment.page_id}/child/attachment/{attachment.id}/data"
        return await self._upload(path, attachment.title, data, media_type, comment, minor_edit, single=True)

    async def create_attachment(
        self,
        page_id: str,
        filename: str,
        data: bytes | AsyncIterable[bytes],
        *,
        media_type: str,
        comment: str | None = None,
    ) -> Attachment:
        """POST .../child/attachment: a new attachment (400 from Confluence if the name exists)."""
        path = f"rest/api/content/{page_id}/child/attachment"
        return await self._upload(path, filename, data, media_type, comment, False, single=False)

    async def _upload(
        self,
        path: str,
        filename: str,
        data: bytes | AsyncIterable[bytes],
        media_type: str,
        comment: str | None,
        minor_edit: bool,
        *,
        single: bool,
    ) -> Attachment:
        with aiohttp.MultipartWriter("form-data") as writer:
            part = writer.append(data, {"Content-Type": media_type})
            # Raw UTF-8 file names, as browsers send them; percent-encoding would rename the file.
            part.set_content_disposition("form-data", quote_fields=False, name="file", filename=filename)
            if comment:
                writer.append(comment, {"Content-Type": "text/plain; charset=utf-8"}).set_content_disposition(
                    "form-data", name="comment"
                )
            writer.append("true" if minor_edit else "false").set_content_disposition(
                "form-data", name="minorEdit"
            )
        # Explicit: the proxy's upstream session does not add Content-Type on its own.
        headers = {
            **self._service_headers,
            "X-Atlassian-Token": "no-check",
            "Content-Type": writer.headers["Content-Type"],
        }
        with _reaching(f"upload to {path}"):
            async with self._session.post(
                self.url(path), data=writer, headers=headers, allow_redirects=False
            ) as response:
                body = await response.read()
                if response.status != 200:
                    if (too_large := _too_large(response.status, body)) is not None:
                        raise too_large
                    raise ConfluenceError(
                        f"upload to {path}: Confluence answered {response.status}: {_message(body)}",
                        response.status,
                    )
        try:
            result = json.loads(body)
            if not single:
                result = result["results"][0]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise ConfluenceError(f"upload to {path}: unexpected answer from Confluence", 502) from error
        return parse_attachment(result)


# commons-fileupload's messages, which Confluence's REST multipart layer sends back as a plain
# 404 body (per file: the Attachment Maximum Size; per request: ten times it).
_SIZE_LIMIT = re.compile(
    r"exceeds its maximum permitted size of (\d+) bytes|exceeds the configured maximum \((\d+)\)"
)


def _too_large(status: int, body: bytes) -> AttachmentTooLarge | None:
    """The upload was over Confluence's size limit: a 404 that means "too large", not "not found"
    (a 413 from a proxy in front of Confluence counts too)."""
    text = body[:1000].decode("utf-8", "replace")
    found = _SIZE_LIMIT.search(text) if status in (404, 413) else None
    if found is None and status != 413:
        return None
    # only the per-file message names the Attachment Maximum Size itself
    limit = int(found.group(1)) if found is not None and found.group(1) else None
    shown = f" ({limit} bytes)" if limit is not None else ""
    return AttachmentTooLarge(f"the file is larger than Confluence accepts for an attachment{shown}", limit)


def _message(body: bytes) -> str:
    """Confluence's error `message` (JSON) or the first line of a plain-text answer, kept short."""
    try:
        parsed = json.loads(body)
        message = parsed.get("message") if isinstance(parsed, dict) else None
        if isinstance(message, str):
            return message[:300]
    except ValueError:
        pass
    return body[:200].decode("utf-8", "replace").splitlines()[0] if body.strip() else "(empty)"
