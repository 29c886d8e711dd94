"""Everything the plugin's handlers share, built once at start-up and kept under one app key."""

from __future__ import annotations

import hashlib
import hmac
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import aiohttp
import jinja2
from aiohttp import web
from yarl import URL

from gateway.confluence.client import ConfluenceClient
from gateway.docserver.client import DocumentServerClient
from gateway.onlyoffice.editor.people import PeopleDirectory
from gateway.onlyoffice.formats import FormatTable, Version
from gateway.onlyoffice.identity import IdentityCache
from gateway.onlyoffice.saving.fetch import FetchedFile, fetch_from_docserver
from gateway.onlyoffice.saving.metrics import SaveMetrics
from gateway.settings import Settings
from gateway.settings.live import LiveSettings
from gateway.state import SharedState

__all__ = [
    "ONLYOFFICE_CONTEXT",
    "SERVLET_PATH",
    "OnlyOfficeContext",
    "derive_link_secret",
    "template_environment",
]

SERVLET_PATH = "plugins/servlet/onlyoffice"


def derive_link_secret(secret: str) -> str:
    """The link-signing key, derived from `links.secret` or else the Document Server secret.

    Every replica derives the same key without extra configuration, and domain separation keeps
    link tokens and Document Server tokens from ever verifying as each other (also when an admin
    gives both settings the same value).
    """
    return hmac.new(secret.encode(), b"onlyoffice-gateway/link-tokens/v1", hashlib.sha256).hexdigest()


def template_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("gateway.onlyoffice", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
    )


@dataclass
class OnlyOfficeContext:
    # The settings in force now (a reload swaps rules, injection...): read `settings` once per
    # request and pass what it holds down, so one request decides with one rule set.
    live: LiveSettings
    public_url: URL  # browser-facing, with the Confluence context path
    internal_url: URL  # how the Document Server reaches the gateway, same context path
    confluence: ConfluenceClient
    docserver: DocumentServerClient
    docserver_public_url: URL
    formats: FormatTable
    identities: IdentityCache
    jwt_secret: str
    link_secret: str  # signs every new link and page token
    state: SharedState
    metrics: SaveMetrics
    docserver_fetch_session: aiohttp.ClientSession  # no cookies, no redirects: for /cache/files links
    templates: jinja2.Environment = field(default_factory=template_environment)
    people: PeopleDirectory = field(default_factory=PeopleDirectory)  # the editor's mentions
    server_version: Version | None = None  # learnt from the command service; None until known
    # The secrets before a rotation, still accepted until (epoch s): for links handed out earlier,
    # and for what the Document Server signs (callbacks, its downloads) before it switched.
    previous_link_secret: str | None = None
    previous_link_until: float = 0.0
    previous_jwt_secret: str | None = None
    previous_jwt_until: float = 0.0

    @property
    def accepted_jwt_secrets(self) -> tuple[str, ...]:
        """What a Document Server token may be signed with now (the gateway signs with `jwt_secret`)."""
        if self.previous_jwt_secret is not None and time.time() < self.previous_jwt_until:
            return (self.jwt_secret, self.previous_jwt_secret)
        return (self.jwt_secret,)

    @property
    def accepted_link_secrets(self) -> tuple[str, ...]:
        """What a link or page token may be signed with now: the current secret, and the previous
        one until its end (links the Document Server keeps live for days)."""
        if self.previous_link_secret is not None and time.time() < self.previous_link_until:
            return (self.link_secret, self.previous_link_secret)
        return (self.link_secret,)

    @property
    def settings(self) -> Settings:
        return self.live.current

    def public(self, *parts: str) -> URL:
        """An absolute browser URL under the gateway's prefix."""
        return URL(str(self.public_url).rstrip("/") + "/" + "/".join([SERVLET_PATH, *parts]))

    def attachments_page(self, page_id: str) -> str:
        """The browser's way back: Confluence's Attachments page of `page_id`, through the gateway."""
        return f"{str(self.public_url).rstrip('/')}/pages/viewpageattachments.action?pageId={page_id}"

    def internal(self, *parts: str) -> URL:
        """An absolute URL under the gateway's prefix as the Document Server reaches it."""
        return URL(str(self.internal_url).rstrip("/") + "/" + "/".join([SERVLET_PATH, *parts]))

    def fetch_docserver_file(self, url: str) -> AbstractAsyncContextManager[FetchedFile]:
        """A file at one of the Document Server's result links (a save, a conversion): fetched only
        from its configured origin or path, at the internal address, no redirects, size cap."""
        settings = self.settings
        return fetch_from_docserver(
            self.docserver_fetch_session,
            url,
            public=self.docserver_public_url,
            internal=self.docserver.base_url,
            max_bytes=settings.proxy.max_upload_bytes,
            timeout=settings.documentserver.timeout,
        )

    @property
    def api_js_url(self) -> URL:
        return URL(str(self.docserver_public_url).rstrip("/") + "/web-apps/apps/api/documents/api.js")


ONLYOFFICE_CONTEXT = web.AppKey("onlyoffice_context", OnlyOfficeContext)
