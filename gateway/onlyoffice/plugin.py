"""The ONLYOFFICE plugin: registers its routes and response filter on the proxy core.

Routes live under `<context>/plugins/servlet/onlyoffice/`, the Java plugin's paths, so links and
bookmarks made with the plugin keep working. Start-up builds the shared services once (REST
clients, identity cache, format table) and learns the Document Server's version in the
background, since which formats open how depends on it.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web
from yarl import URL

from gateway.confluence.client import ConfluenceClient, service_authorization
from gateway.docserver.client import DocumentServerClient, DocumentServerError
from gateway.observability import METRICS_KEY, READINESS_KEY
from gateway.onlyoffice.actions.convert import convert_page, convert_step
from gateway.onlyoffice.actions.create import create_document, create_form
from gateway.onlyoffice.actions.download_as import download_as_file, download_as_page, download_as_step
from gateway.onlyoffice.client_input import RouteKind, bounded_query
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext, derive_link_secret
from gateway.onlyoffice.editor.download import download
from gateway.onlyoffice.editor.history import history_data, history_info
from gateway.onlyoffice.editor.mentions import notify, users
from gateway.onlyoffice.editor.page import doceditor
from gateway.onlyoffice.editor.pickers import list_attachments, pick_attachment
from gateway.onlyoffice.editor.reference_data import reference_data
from gateway.onlyoffice.editor.rename import rename
from gateway.onlyoffice.editor.restore import restore
from gateway.onlyoffice.editor.save_as import save_as, save_as_pages
from gateway.onlyoffice.formats import default_format_table, parse_version
from gateway.onlyoffice.identity import IdentityCache
from gateway.onlyoffice.links.access_route import access
from gateway.onlyoffice.links.filter import AttachmentLinksFilter
from gateway.onlyoffice.links.inject_script import INJECT_SCRIPT_NAME, join_inject_script
from gateway.onlyoffice.links.script import static_files
from gateway.onlyoffice.saving.callback import callback
from gateway.onlyoffice.saving.metrics import SaveMetrics
from gateway.onlyoffice.saving.recovery import run_recovery
from gateway.proxy.context import SESSION_KEY
from gateway.proxy.plugin import Handler
from gateway.proxy.plugin import PluginContext as ProxyPluginContext
from gateway.settings import Settings
from gateway.settings.live import LiveSettings
from gateway.state import SharedState, choose_state, create_state
from gateway.tasks import cancel_and_wait

__all__ = ["OnlyOfficePlugin", "build_context"]

log = logging.getLogger(__name__)
_VERSION_REFRESH_SECONDS = 300.0


class OnlyOfficePlugin:
    name = "onlyoffice"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def setup(self, proxy: ProxyPluginContext) -> None:
        inject_script = join_inject_script()  # a part missing from the install stops the start here
        routes: list[tuple[str, str, Handler, RouteKind]] = [
            ("GET", "doceditor", doceditor, "page"),
            ("GET", "download", download, "docserver"),
            ("GET", "access", access, "script"),
            ("GET", "history", history_info, "script"),
            ("GET", "history/data", history_data, "script"),
            ("POST", "history/restore", restore, "script"),
            ("POST", "rename", rename, "script"),
            ("GET", "static/{name}", static_files(inject_script), "page"),
            ("POST", "callback", callback, "docserver"),
            ("GET", "convert", convert_page, "page"),
            ("POST", "convert", convert_step, "script"),
            ("GET", "download-as", download_as_page, "page"),
            ("POST", "download-as", download_as_step, "script"),
            ("GET", "download-as/file", download_as_file, "page"),
            ("GET", "create", create_form, "page"),
            ("POST", "create", create_document, "page"),
            ("POST", "save-as", save_as, "script"),
            ("GET", "save-as/pages", save_as_pages, "script"),
            ("POST", "reference-data", reference_data, "script"),
            ("GET", "attachments", list_attachments, "script"),
            ("POST", "attachments", pick_attachment, "script"),
            ("GET", "users", users, "script"),
            ("POST", "notify", notify, "script"),
        ]
        for method, path, handler, kind in routes:
            proxy.add_route(method, path, bounded_query(handler, kind))
        public = URL(self._settings.public_url)
        script_url = public.path.rstrip("/") + "/plugins/servlet/onlyoffice/static/" + INJECT_SCRIPT_NAME
        self._live = proxy.live
        proxy.add_filter(AttachmentLinksFilter(proxy.live, public.path, script_url))
        proxy.app.on_startup.append(self._start)
        proxy.app.on_cleanup.append(self._stop)

    async def _start(self, app: web.Application) -> None:
        settings = self._settings
        # First: a state file that cannot be opened stops the start before anything else is opened.
        state = create_state(settings.state, workers=settings.listen.worker_count)
        context = build_context(
            settings, self._live, app[SESSION_KEY], state, SaveMetrics(app[METRICS_KEY].registry)
        )
        app[ONLYOFFICE_CONTEXT] = context
        kind = choose_state(settings.state, workers=settings.listen.worker_count).kind
        readiness = app[READINESS_KEY]
        readiness.add_check("state", lambda: _state_check(context, kind))
        readiness.add_check("documentserver", lambda: _docserver_check(context))
        self._tasks = [
            asyncio.create_task(self._learn_server_version(context)),
            asyncio.create_task(run_recovery(context, settings.documentserver.recovery_interval)),
        ]

    async def _stop(self, app: web.Application) -> None:
        for task in self._tasks:
            await cancel_and_wait(task)
        context = app.get(ONLYOFFICE_CONTEXT)
        if context is None:  # the start failed before there was anything to close
            return
        await context.state.close()
        await context.docserver_fetch_session.close()

    async def _learn_server_version(self, context: OnlyOfficeContext) -> None:
        while True:
            try:
                version = await context.docserver.version()
                context.server_version = parse_version(version)
                log.info("Document Server version %s", version)
                await asyncio.sleep(_VERSION_REFRESH_SECONDS)
            except DocumentServerError as error:
                log.warning("Document Server version unknown: %s", error)
                await asyncio.sleep(30.0)


def build_context(
    settings: Settings,
    live: LiveSettings,
    confluence_session: aiohttp.ClientSession,
    state: SharedState,
    metrics: SaveMetrics,
) -> OnlyOfficeContext:
    """The plugin's shared services over an opened state; also what `pending` saves with, so a
    save retried from the command line goes through exactly the gateway's own code."""
    jwt = settings.documentserver.jwt
    jwt_secret = jwt.secret.get_secret_value()
    docserver_internal = URL(settings.documentserver.internal_url or settings.documentserver.public_url)
    docserver_session = aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=settings.documentserver.timeout),
    )
    confluence = ConfluenceClient(
        confluence_session, URL(settings.confluence.url), service_authorization(settings.confluence.auth)
    )
    return OnlyOfficeContext(
        live=live,
        public_url=URL(settings.public_url),
        internal_url=URL(settings.internal_url or settings.public_url),
        confluence=confluence,
        docserver=DocumentServerClient(
            docserver_session,
            docserver_internal,
            jwt_secret,
            settings.documentserver.jwt.header,
            settings.documentserver.timeout,
        ),
        docserver_public_url=URL(settings.documentserver.public_url),
        formats=default_format_table(),
        identities=IdentityCache(confluence),
        jwt_secret=jwt_secret,
        link_secret=derive_link_secret(
            settings.links.secret.get_secret_value() if settings.links.secret else jwt_secret
        ),
        state=state,
        metrics=metrics,
        docserver_fetch_session=docserver_session,
        previous_link_secret=(
            derive_link_secret(settings.links.previous_secret.get_secret_value())
            if settings.links.previous_secret
            else None
        ),
        previous_link_until=settings.links.previous_until.timestamp()
        if settings.links.previous_until
        else 0.0,
        previous_jwt_secret=jwt.previous_secret.get_secret_value() if jwt.previous_secret else None,
        previous_jwt_until=jwt.previous_until.timestamp() if jwt.previous_until else 0.0,
    )


async def _state_check(context: OnlyOfficeContext, kind: str) -> tuple[bool, str]:
    """Shared state for /readyz: without it the gateway still proxies and opens editors."""
    if await context.state.ping():
        return True, f"{kind} answers"
    return False, (
        f"{kind} does not answer: saves wait (the Document Server retries), conversions, new "
        "documents and copies are refused with 503 until it is back; proxying and editors go on"
    )


async def _docserver_check(context: OnlyOfficeContext) -> tuple[bool, str]:
    if await context.docserver.healthy():
        return True, "healthcheck answers true"
    return False, (
        f"healthcheck at {context.docserver.base_url.with_user(None)} failed: editors cannot open or save until it "
        "is back; proxying Confluence goes on"
    )
