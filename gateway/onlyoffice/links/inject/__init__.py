"""Server-side injection of ONLYOFFICE links into Confluence HTML.

How the plugin's response filter uses it: `scan = scan_page(body)` once (references, page meta,
what an earlier pass injected), decide per `scan.attachment_ids` with the rules, then
`inject_links(body, links, context_path=..., script_url=..., scan=scan)`. The page is never
re-serialised: links are spliced in at offsets the scan found, so every other byte stays as it was.

Backend, chosen by measurement (bench/bench_inject.py, 237 KiB page, 100 rows, noisy 2-core box):
lol-html (python-lolhtml) scans in ~3.5-6 ms, the pure-Python HTML5-rules tokenizer in ~30-45 ms,
`html.parser` alone (offsets only, no vocabulary) ~35-50 ms. lol-html is the default; because the
binding is alpha with one maintainer, the pure-Python scanner takes over automatically when it is
missing or raises, and the tests hold both to the same scan, so the output is identical.

Where links go: a `span.onlyoffice-links` after each row's `a.filename` and after embedded files,
and `li[data-onlyoffice="menu"] > a` items at the top of each row's actions dropdown when its list
is in the markup (`menu_markup`). The browser script `static/inject.js` (its parts in
`gateway/onlyoffice/static/inject/`, joined at start-up) covers what Confluence renders later
(rendermacro.action re-renders, the file preview and its "More" menu, dropdowns built on open)
with the same markup. The attachments page's upload area
(`div.plugin_attachments_upload_container`) may get the "New document" control (`create_markup`)
when the filter's `create` callback names the page.
"""

from gateway.onlyoffice.links.inject.model import AttachmentLinks, AttachmentReference, PageMeta, PageScan
from gateway.onlyoffice.links.inject.rewrite import (
    CONVERT_PATH,
    CREATE_PATH,
    DOWNLOAD_AS_PATH,
    EDITOR_PATH,
    LABELS,
    ScriptPolicy,
    create_markup,
    inject_links,
    links_markup,
    menu_markup,
    script_markup,
)
from gateway.onlyoffice.links.inject.scan import MARKER_ATTRIBUTE, Backend, find_references, scan_page
from gateway.onlyoffice.links.inject.transform import PageInjector

__all__ = [
    "CONVERT_PATH",
    "CREATE_PATH",
    "DOWNLOAD_AS_PATH",
    "EDITOR_PATH",
    "LABELS",
    "MARKER_ATTRIBUTE",
    "AttachmentLinks",
    "AttachmentReference",
    "Backend",
    "PageInjector",
    "PageMeta",
    "PageScan",
    "ScriptPolicy",
    "create_markup",
    "find_references",
    "inject_links",
    "links_markup",
    "menu_markup",
    "scan_page",
    "script_markup",
]
