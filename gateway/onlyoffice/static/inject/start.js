/*
 * ONLYOFFICE links for Confluence pages seen through the gateway.
 *
 * The gateway inserts links into the HTML Confluence renders (gateway/onlyoffice/inject). This
 * script covers what Confluence changes afterwards in the browser: the attachments table that
 * `rendermacro.action` re-renders after an upload, embedded files added later, and the file
 * preview (`#cp-header`), whose toolbar gets an `a#cp-control-panel-onlyoffice` button. It builds
 * the same markup as the server (gateway/onlyoffice/inject/rewrite.py) and skips every place that
 * already carries a `[data-onlyoffice]` marker, so server and script never duplicate a link.
 *
 * Menus: each attachment row's actions dropdown (`.attachment-dropdown-actions`, an `aui-dropdown2`
 * found in the row or through its trigger's `aria-owns`, since AUI may move it) and the preview's
 * "More" menu (`#cp-more-menu`) get `li[data-onlyoffice="menu"] > a` items at the top of their
 * first `ul`, as the plugin's `system.attachment` web-items (weights 9-11, Download As 35) appear. Menus that AUI
 * or React create (or re-create) only when opened are filled when their `ul` appears, from the
 * answers already known: opening a menu never asks `/access` again. A row's menu built on open
 * next to the links the server put in that row reuses the server's answer (its anchors say
 * edit/view/convert/download), so it needs no request at all. Menus the script does not
 * recognise (e.g. the page tools menu `#action-menu`, or `aui-dropdown-menu` web components) are
 * left alone.
 *
 * Plain ES2017, no framework, no Node build step. CSP-friendly: loaded as a same-origin file, no inline
 * handlers, no eval, no innerHTML; text and attributes are set with textContent/setAttribute only.
 *
 * Access endpoint contract (served by the gateway's plugin routes):
 *   GET <ctx>/plugins/servlet/onlyoffice/access?attachmentId=1&attachmentId=2...[&pageId=N]
 *   (pageId, from ajs-page-id, is only a hint: the gateway lists that page's attachments at once)
 *   sent with the user's own cookies (credentials: "same-origin"), header Accept: application/json.
 *   200 -> {"<id>": {"mode": "edit" | "view" | null, "convert": "<target ext>" | null,
 *                    "download": true | false}, ...}
 *   An id that is missing, null, or has mode and convert null and download false gets no link. Any other status or a
 *   body that is not such an object shows nothing (and is asked again on the next DOM change).
 * One request per burst of DOM changes, for all ids not yet known; answers are kept for the page's
 * lifetime, so a re-rendered table does not ask again.
 *
 * Source: the parts in this folder, joined once at start-up by gateway/onlyoffice/links/inject_script.py
 * (its PARTS fix the order) into the one script served at static/inject.js, all inside one
 * function, so they share its scope and "use strict". start (this part: the guard, constants,
 * the page's state), localisation, page, rows (finding attachments), links, menus, decisions
 * (/access), rerender (AJAX re-renders), bootstrap (the scan loop and observer, started last).
 * Parts only declare functions and `var`s; what runs at load is this guard, the `var`s in order,
 * and bootstrap's last lines.
 */

if (window.onlyofficeGatewayInject) {
  return; // loaded twice (e.g. injected by the server and by an extension): one instance only
}

var EDITOR_PATH = "/plugins/servlet/onlyoffice/doceditor";
var CONVERT_PATH = "/plugins/servlet/onlyoffice/convert";
var DOWNLOAD_AS_PATH = "/plugins/servlet/onlyoffice/download-as";
var ACCESS_PATH = "/plugins/servlet/onlyoffice/access";

var CLASSES = {
  edit: "onlyoffice-doceditor",
  view: "onlyoffice-docviewer",
  convert: "onlyoffice-docconvert",
  download: "onlyoffice-download-as",
};
var NOTHING = { mode: null, convert: null, download: false };
var MARKER = "data-onlyoffice";
var DIGITS = /^[0-9]{1,19}$/;
var DEBOUNCE_MS = 50;

var ownScript = document.currentScript;
var decisions = new Map(); // id -> {mode, convert, download} | null
var fromServer = new Map(); // id -> {mode, convert, download}, read from server-inserted links (row menus only)
var inFlight = new Set();
var timer = null;
