"""The response filter that puts ONLYOFFICE links into Confluence pages as they pass the proxy.

Only GET pages whose path the `injection.paths` settings name are buffered and rewritten; every
other response streams untouched. For those pages the decision per attachment is Confluence's
(asked as the page's own user, with their cookies) narrowed by the rules and the format table,
exactly as for the editor and the `/access` route; markup the injector does not recognise is
left byte for byte as it was. On the attachments page (`viewpageattachments.action?pageId=N`) the
upload area also gets the "New document" control when the user may create documents there
(`access.py`: Confluence's create-attachment right, then the rules).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping

from aiohttp import web
from multidict import CIMultiDict

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import ConfluenceError, PageInfo
from gateway.onlyoffice.access import access_for_many, create_access_on
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.links.inject import AttachmentLinks, PageScan
from gateway.onlyoffice.links.inject.transform import PageInjector
from gateway.onlyoffice.rules import switched_off
from gateway.proxy.plugin import RewrittenPaths
from gateway.settings import InjectionSettings, RuleSettings
from gateway.settings.live import LiveSettings

__all__ = ["AttachmentLinksFilter"]

log = logging.getLogger(__name__)
_ATTACHMENTS_PAGE = "/pages/viewpageattachments.action"


class AttachmentLinksFilter:
    name = "onlyoffice-links"
    # The links depend on who asks: a shared cache must not hand Alice's page to Bob.
    vary: tuple[str, ...] = ("Cookie", "Authorization")

    def __init__(self, live: LiveSettings, context_path: str, script_url: str) -> None:
        # Rules and injection settings are read from `live` per response: a reload swaps them.
        self._live = live
        self._context_path = context_path.rstrip("/")
        self._script_url = script_url
        self._compiled: tuple[InjectionSettings, RewrittenPaths | None] | None = None

    @property
    def paths(self) -> RewrittenPaths | None:
        """The pages this filter may rewrite now; also what `nginx-config` routes through the gateway."""
        return self._paths_for(self._live.current.injection)

    def _paths_for(self, injection: InjectionSettings) -> RewrittenPaths | None:
        compiled = self._compiled
        if compiled is not None and compiled[0] is injection:
            return compiled[1]  # compiled once per (re)load, not per response
        paths = (
            RewrittenPaths(self._context_path, injection.paths)
            if injection.enabled and injection.paths
            else None
        )
        self._compiled = (injection, paths)
        return paths

    def _wanted(self, request: web.Request, headers: CIMultiDict[str], paths: RewrittenPaths | None) -> bool:
        if paths is None:
            return False
        if not headers.get("Content-Type", "").lower().startswith("text/html"):
            return False
        return paths.matches(request.path)

    def _create_candidate(self, request: web.Request, scan: PageScan) -> str | None:
        """The page whose "New document" control this page may get: the attachments page of the
        page its URL and `ajs-page-id` both name, with an upload area and without the control yet,
        rendered for a logged-in user (for anyone else there is nothing to ask)."""
        page_id = request.query.get("pageId")
        if (
            request.path != self._context_path + _ATTACHMENTS_PAGE
            or scan.upload_at is None
            or scan.has_create_control
            or page_id is None
            or page_id != scan.meta.page_id
            or not scan.meta.remote_user
        ):
            return None
        return page_id

    def start(self, request: web.Request, status: int, headers: CIMultiDict[str]) -> PageInjector | None:
        settings = self._live.current  # once: this page is decided with one rule set throughout
        injection = settings.injection
        if status != 200 or not self._wanted(request, headers, self._paths_for(injection)):
            return None
        rules: tuple[RuleSettings, ...] = settings.rules

        credentials = UserCredentials.from_headers(request.headers)
        viewed: asyncio.Future[PageInfo | None] | None = None

        def viewed_page(page_id: str) -> asyncio.Future[PageInfo | None]:
            """The create candidate's page as the user sees it: asked once for both decisions."""
            nonlocal viewed
            if viewed is None:
                context = request.config_dict[ONLYOFFICE_CONTEXT]
                viewed = asyncio.ensure_future(context.confluence.page(page_id, credentials))
            return viewed

        async def links(scan: PageScan) -> Mapping[str, AttachmentLinks] | None:
            if switched_off(rules, scan.meta.space_key, scan.meta.page_id):
                return None  # the rules turn the gateway off here: the page stays as it came
            if not scan.attachment_ids:
                return {}
            context = request.config_dict[ONLYOFFICE_CONTEXT]
            candidate = self._create_candidate(request, scan)
            # The Attachments page asks for its page anyway (for "New document"): its operations
            # come from that call, asked beside the listing rather than before it.
            known = {candidate: _operations_of(viewed_page(candidate))} if candidate else None
            try:
                found = await access_for_many(
                    context, request.headers, scan.attachment_ids, _pages(scan), known, rules=rules
                )
            except ConfluenceError as error:
                # The page still works; the browser script asks again through /access.
                log.warning("links: Confluence lookup failed, page sent with the script only: %s", error)
                return {}
            return {i: AttachmentLinks.from_offer(a.offer) for i, a in found.items() if a.offer.anything}

        async def create(scan: PageScan) -> str | None:
            page_id = self._create_candidate(request, scan)
            if page_id is None:
                return None
            context = request.config_dict[ONLYOFFICE_CONTEXT]
            try:
                page = await viewed_page(page_id)
                if page is None:
                    return None
                identity = await context.identities.get(credentials)
                access = await create_access_on(context, identity, page, rules=rules)
            except ConfluenceError as error:
                log.warning("New document: Confluence lookup failed, no control shown: %s", error)
                return None
            return page_id if access.allowed else None

        return PageInjector(
            context_path=self._context_path,
            script_url=self._script_url,
            links=links,
            create=create,
            max_bytes=injection.max_page_bytes,
        )


async def _operations_of(page: asyncio.Future[PageInfo | None]) -> frozenset[tuple[str, str]]:
    """The page's operations for the user, without cancelling the call "New document" shares."""
    found = await asyncio.shield(page)
    return found.operations if found is not None else frozenset()


def _pages(scan: PageScan) -> list[str | None]:
    """Where the page's attachments live: the viewed page, then the pages its references name, most
    named first (the access lookup lists these instead of asking per attachment)."""
    named = Counter(ref.page_id for ref in scan.references if ref.page_id)
    return [scan.meta.page_id, *(page_id for page_id, _ in named.most_common())]
