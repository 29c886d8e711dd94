"""A faithful Confluence DC simulator (reference/confluence.md §7) for tests and the demo.

`create_confluence_app()` builds the aiohttp app; `app[STORE]` is the live data (users, spaces,
pages, attachments with versions, permissions) and `app[FAULTS]` the failure switches,
`app[REST_CALLS]` counts the REST requests received.
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
