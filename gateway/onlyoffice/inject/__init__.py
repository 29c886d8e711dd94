"""Server-side injection of ONLYOFFICE links into Confluence HTML (see `scan` and `rewrite`).

The plugin's response filter calls `scan_page` (or `find_references`) to learn which attachments a
page shows, decides per attachment with the rules, then calls `inject_links` with the same scan.
"""

from gateway.onlyoffice.inject.model import AttachmentLinks, AttachmentReference, PageMeta, PageScan
from gateway.onlyoffice.inject.rewrite import (
    CONVERT_PATH,
    EDITOR_PATH,
    LABELS,
    ScriptPolicy,
    inject_links,
    links_markup,
    script_markup,
)
from gateway.onlyoffice.inject.scan import MARKER_ATTRIBUTE, find_references, scan_page

__all__ = [
    "CONVERT_PATH",
    "EDITOR_PATH",
    "LABELS",
    "MARKER_ATTRIBUTE",
    "AttachmentLinks",
    "AttachmentReference",
    "PageMeta",
    "PageScan",
    "ScriptPolicy",
    "find_references",
    "inject_links",
    "links_markup",
    "scan_page",
    "script_markup",
]
