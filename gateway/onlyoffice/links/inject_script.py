"""The browser script `static/inject.js`, joined from its parts in `static/inject/` at start-up.

The script is kept in small files by concern, but the browser gets one same-origin file (one
request, one cacheable URL, allowed by Confluence 10's script CSP) and there is no Node toolchain:
so the parts are concatenated here, in the fixed order of `PARTS`, inside one function whose
scope they share. Each part is preceded by a `// --- file: <name> ---` line, so a line in the
browser's console can be traced back to its file. A part that is missing, or a `.js` file in the
folder that `PARTS` does not list, stops the start with an `InjectScriptError` rather than serving
a script that breaks in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable

__all__ = ["INJECT_SCRIPT_NAME", "PARTS", "InjectScriptError", "join_inject_script"]

INJECT_SCRIPT_NAME = "inject.js"
# Order matters only for what runs at load: the guard and the shared `var`s first, bootstrap last.
PARTS: tuple[str, ...] = (
    "start.js",
    "localisation.js",
    "page.js",
    "rows.js",
    "links.js",
    "menus.js",
    "decisions.js",
    "rerender.js",
    "bootstrap.js",
)
_HEAD = (
    "/* ONLYOFFICE links for Confluence pages seen through the gateway. Joined at start-up from\n"
    " * gateway/onlyoffice/static/inject/ (see start.js there for what the script does). */\n"
    "(function () {\n"
    '  "use strict";\n'
)
_TAIL = "})();\n"


class InjectScriptError(RuntimeError):
    """The script's parts on disk do not match `PARTS`: an incomplete or altered installation."""


def _parts_folder() -> Traversable:
    return resources.files("gateway.onlyoffice").joinpath("static", "inject")


def join_inject_script(folder: Traversable | None = None, parts: Sequence[str] = PARTS) -> bytes:
    """The served script: every part of `folder`, in `parts`' order, inside one IIFE.

    Called once when the plugin is set up, so a broken installation fails the start, not a page.
    """
    folder = _parts_folder() if folder is None else folder
    if not folder.is_dir():
        raise InjectScriptError(f"inject.js: the folder of its parts is missing: {folder}")
    if len(set(parts)) != len(parts):
        raise InjectScriptError(f"inject.js: a part is listed twice: {', '.join(parts)}")
    present = {entry.name for entry in folder.iterdir() if entry.name.endswith(".js")}
    missing = [name for name in parts if name not in present]
    if missing:
        raise InjectScriptError(
            f"inject.js: part(s) {', '.join(missing)} missing from {folder} (reinstall the package)"
        )
    unlisted = sorted(present - set(parts))
    if unlisted:
        raise InjectScriptError(
            f"inject.js: {', '.join(unlisted)} in {folder} not listed in "
            "gateway.onlyoffice.links.inject_script.PARTS (list it, or remove it)"
        )
    pieces = [_HEAD]
    for name in parts:
        source = folder.joinpath(name).read_text(encoding="utf-8")
        pieces.append(f"\n// --- file: {name} ---\n")
        pieces.append(source if source.endswith("\n") else source + "\n")
    pieces.append(_TAIL)
    return "".join(pieces).encode("utf-8")
