"""A faithful Confluence DC simulator (reference/confluence.md §7) for tests and the demo.

`create_confluence_app()` builds the aiohttp app; `app[STORE]` is the live data (users, spaces,
pages, attachments with versions, permissions), `app[FAULTS]` the failure switches and
`app[REST_CALLS]` counts the REST requests received. Menus (AUI dropdown2) open and close through
the same-origin `static/menus.js`; set `app[CONFIG].lazy_menus = True` to have row dropdowns and the
page tools menu built only when opened, as React/AJAX menus of newer DC builds are (the preview's
"More" menu always is).
"""

from gateway.testing.confluence.app import create_confluence_app, run_confluence
from gateway.testing.confluence.auth import open_session
from gateway.testing.confluence.common import (
    CONFIG,
    FAULTS,
    REST_CALLS,
    SESSIONS,
    STORE,
    Faults,
    RestCalls,
    SimConfig,
)
from gateway.testing.confluence.seed import DEMO_USERS, DemoUser
from gateway.testing.confluence.store import Attachment, AttachmentVersion, Page, Space, Store, User

__all__ = [
    "CONFIG",
    "DEMO_USERS",
    "FAULTS",
    "REST_CALLS",
    "SESSIONS",
    "STORE",
    "Attachment",
    "AttachmentVersion",
    "DemoUser",
    "Faults",
    "Page",
    "RestCalls",
    "SimConfig",
    "Space",
    "Store",
    "User",
    "create_confluence_app",
    "open_session",
    "run_confluence",
]
