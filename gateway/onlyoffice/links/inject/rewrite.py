"""Insert the ONLYOFFICE links and the browser script into a page, touching nothing else.

The page is never re-serialised: the scan gives offsets, and the output is the original document
with a few strings spliced in. So every byte Confluence sent stays as it was, and a page with nothing
to insert comes back as the very same object.

The markup is the plugin's (reference onlyoffice-confluence-plugin.md section 2): one `<a>` per
action with the classes `onlyoffice-doceditor` / `onlyoffice-docviewer` / `onlyoffice-docconvert` /
`onlyoffice-download-as`,
grouped in a `span.onlyoffice-links[data-onlyoffice]` that marks the attachment as done (a second
pass, or the browser script, leaves it alone). A row whose actions dropdown is in the markup also
gets the same anchors as `li[data-onlyoffice="menu"] > a` items at the top of the dropdown's list. `static/inject.js` builds the same markup.
The attachments page's upload area may also get the "New document" control (`create_markup`, the
plugin's `onlyoffice-filecreate` button), a link to the gateway's create form for that page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html import escape
from typing import Literal, TypeVar
from urllib.parse import quote

from gateway.onlyoffice.i18n import DEFAULT_LANGUAGE, language_for, messages
from gateway.onlyoffice.links.inject.model import AttachmentLinks, AttachmentReference, PageScan
from gateway.onlyoffice.links.inject.scan import MARKER_ATTRIBUTE, scan_page

__all__ = [
    "CONVERT_PATH",
    "CREATE_PATH",
    "DOWNLOAD_AS_PATH",
    "EDITOR_PATH",
    "LABELS",
    "SCRIPT_MESSAGES",
    "ScriptPolicy",
    "create_markup",
    "inject_links",
    "links_markup",
    "menu_markup",
    "script_markup",
    "user_locale",
]

_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}")

EDITOR_PATH = "/plugins/servlet/onlyoffice/doceditor"
CONVERT_PATH = "/plugins/servlet/onlyoffice/convert"
CREATE_PATH = "/plugins/servlet/onlyoffice/create"
DOWNLOAD_AS_PATH = "/plugins/servlet/onlyoffice/download-as"
# Message ids (messages.yaml) of each action's label and title; the title names the file.
LABELS = {"edit": "link.edit", "view": "link.view", "convert": "link.convert", "download": "link.download"}
_TITLES = {
    "edit": "title.edit",
    "view": "title.view",
    "convert": "title.convert",
    "download": "title.download",
}
# What static/inject.js is given to build the same links in the page's language.
SCRIPT_MESSAGES = (*LABELS.values(), *_TITLES.values())
_CLASSES = {
    "edit": "onlyoffice-doceditor",
    "view": "onlyoffice-docviewer",
    "convert": "onlyoffice-docconvert",
    "download": "onlyoffice-download-as",
}

# Where the <script> goes. "relevant" (the default): pages that show attachment references or an
# attachments table, i.e. everything the script works on: the table Confluence re-renders by AJAX
# (even when it starts empty), embedded files, and the preview opened from them. Pages that show no
# attachment at all stay byte-identical (a Confluence upgrade or an odd page cannot be broken by
# us). "always": every page with </head> or </body> (e.g. if previews opened by URL on pages without
# attachments matter). "never": links only.
ScriptPolicy = Literal["relevant", "always", "never"]

Doc = TypeVar("Doc", bytes, str)


def user_locale(meta_locale: str | None) -> str | None:
    """The page's `ajs-user-locale` when well formed: editor links carry it as `lang`."""
    if meta_locale and _LOCALE.fullmatch(meta_locale):
        return meta_locale
    return None


def _ascii(text: str) -> str:
    """Escaped, and character references keep the inserted markup ASCII, whatever the page's charset."""
    return escape(text, quote=True).encode("ascii", "xmlcharrefreplace").decode("ascii")


def _link(
    action: str,
    path: str,
    ref: AttachmentReference,
    language: str,
    lang: str | None = None,
    target: str | None = None,
) -> str:
    attachment_id = ref.attachment_id
    query = f"?attachmentId={attachment_id}" + (f"&amp;lang={quote(lang, safe='')}" if lang else "")
    parts = [
        f'<a class="{_CLASSES[action]}" href="{escape(path)}{query}"',
        ' target="_blank" rel="noopener"',
        f' data-attachment-id="{attachment_id}" data-onlyoffice-action="{action}"',
    ]
    if target is not None:
        parts.append(f' data-onlyoffice-target="{_ascii(target)}"')
    if ref.filename:
        name = ref.filename
        title = messages().text(language, _TITLES[action], name=name, target=(target or "").upper())
        parts.append(f' title="{_ascii(title)}"')
    parts.append(f">{_ascii(messages().text(language, LABELS[action]))}</a>")
    return "".join(parts)


def _anchors(
    context_path: str, ref: AttachmentReference, links: AttachmentLinks, lang: str | None
) -> list[str]:
    """One `<a>` per offered action (edit or view, convert, then Download As): the plugin's weights.

    Labels and titles are in the language of `lang` (the user's Confluence locale), else English;
    every link carries `lang`, so the gateway's pages it opens speak that language too. The convert
    link names its target in `data-onlyoffice-target` (the title is translated, not parsed).
    """
    if not links.anything or not ref.attachment_id.isdigit():
        return []
    language = language_for(lang) or DEFAULT_LANGUAGE
    base = quote(context_path.rstrip("/"), safe="/")
    anchors: list[str] = []
    if links.mode is not None:
        anchors.append(_link(links.mode, base + EDITOR_PATH, ref, language, lang))
    if links.convert is not None:
        anchors.append(_link("convert", base + CONVERT_PATH, ref, language, lang, links.convert))
    if links.download:
        anchors.append(_link("download", base + DOWNLOAD_AS_PATH, ref, language, lang))
    return anchors


def links_markup(
    context_path: str, ref: AttachmentReference, links: AttachmentLinks, lang: str | None = None
) -> str:
    """The span inserted for one reference; empty when there is nothing to offer."""
    anchors = _anchors(context_path, ref, links, lang)
    if not anchors:
        return ""
    return (
        f' <span class="onlyoffice-links" {MARKER_ATTRIBUTE}="links"'
        f' data-attachment-id="{ref.attachment_id}">' + " ".join(anchors) + "</span>"
    )


def menu_markup(
    context_path: str, ref: AttachmentReference, links: AttachmentLinks, lang: str | None = None
) -> str:
    """Items for a row's actions dropdown: `li > a` like Confluence's own `aui-dropdown2` items.

    Each `li` carries the marker, so neither a second pass nor the browser script adds them again.
    """
    return "".join(
        f'<li class="onlyoffice-menu-item" {MARKER_ATTRIBUTE}="menu"'
        f' data-attachment-id="{ref.attachment_id}">{anchor}</li>'
        for anchor in _anchors(context_path, ref, links, lang)
    )


def create_markup(context_path: str, page_id: str, lang: str | None = None) -> str:
    """The "New document" control: a link to the create form of the page (digits only, else nothing)."""
    if not page_id.isascii() or not page_id.isdigit():
        return ""
    language = language_for(lang) or DEFAULT_LANGUAGE
    href = escape(quote(context_path.rstrip("/"), safe="/") + CREATE_PATH, quote=True)
    query = f"?pageId={page_id}" + (f"&amp;lang={quote(lang, safe='')}" if lang else "")
    return (
        f'<span class="onlyoffice-create" {MARKER_ATTRIBUTE}="create">'
        f'<a class="aui-button onlyoffice-filecreate" href="{href}{query}"'
        f' data-page-id="{page_id}" title="{_ascii(messages().text(language, "title.create"))}">'
        f"{_ascii(messages().text(language, 'link.create'))}</a></span>"
    )


def script_markup(script_url: str, lang: str | None = None) -> str:
    """The one external, same-origin script tag (no inline code: fine under a script-src CSP).

    `data-onlyoffice-messages` gives the script its labels and titles in the page's language, as
    JSON: the script file itself is the same for everyone (cacheable), the page is per user anyway.
    """
    language = language_for(lang) or DEFAULT_LANGUAGE
    texts = json.dumps(messages().bundle(language, SCRIPT_MESSAGES), ensure_ascii=False, sort_keys=True)
    return (
        f'<script src="{escape(script_url, quote=True)}" defer {MARKER_ATTRIBUTE}="script"'
        f' {MARKER_ATTRIBUTE}-messages="{_ascii(texts)}"></script>'
    )


def inject_links(
    document: Doc,
    links: Mapping[str, AttachmentLinks],
    *,
    context_path: str,
    script_url: str | None,
    script: ScriptPolicy = "relevant",
    scan: PageScan | None = None,
    create_page: str | None = None,
) -> Doc:
    """Return `document` with links after every decided reference and the script in `<head>`.

    `links` maps attachment ids to decisions; ids without one get nothing. `context_path` is
    Confluence's public context path ("" or "/confluence"). Pass the `scan` the filter already made
    of this very document to skip a second pass. Attachments that already carry links (an earlier
    pass) and a script already present are left alone, so injecting twice changes nothing.
    `create_page` (a page id) puts the "New document" control at the top of the page's upload
    area, once: not when the page has no upload area or already carries the control.
    """
    if scan is None or scan.length != len(document):
        scan = scan_page(document)
    inserts: list[tuple[int, str]] = []
    lang = user_locale(scan.meta.user_locale)
    for ref in scan.references:
        if (ref.insert_at is None and ref.menu_at is None) or ref.attachment_id in scan.injected_ids:
            continue
        decision = links.get(ref.attachment_id)
        if decision is None:
            continue
        if ref.insert_at is not None:
            markup = links_markup(context_path, ref, decision, lang)
            if markup:
                inserts.append((ref.insert_at, markup))
        if ref.menu_at is not None:
            markup = menu_markup(context_path, ref, decision, lang)
            if markup:
                inserts.append((ref.menu_at, markup))
    if create_page and scan.upload_at is not None and not scan.has_create_control:
        markup = create_markup(context_path, create_page, lang)
        if markup:
            inserts.append((scan.upload_at, markup))
    if (
        script_url
        and script != "never"
        and not scan.has_script
        and scan.script_at is not None
        and (script == "always" or scan.relevant)
    ):
        inserts.append((scan.script_at, script_markup(script_url, lang)))
    if not inserts:
        return document
    return _splice(document, inserts)


def _splice(document: Doc, inserts: list[tuple[int, str]]) -> Doc:
    inserts.sort(key=lambda item: item[0])  # stable: same offset keeps document order
    if isinstance(document, bytes):
        out_bytes: list[bytes] = []
        position = 0
        for offset, text in inserts:
            out_bytes.append(document[position:offset])
            out_bytes.append(text.encode("utf-8"))
            position = offset
        out_bytes.append(document[position:])
        return b"".join(out_bytes)
    out: list[str] = []
    position = 0
    for offset, text in inserts:
        out.append(document[position:offset])
        out.append(text)
        position = offset
    out.append(document[position:])
    return "".join(out)
