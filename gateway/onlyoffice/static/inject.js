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
 * Plain ES2017, no framework, no build step. CSP-friendly: loaded as a same-origin file, no inline
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
 */
(function () {
  "use strict";

  if (window.onlyofficeGatewayInject) {
    return; // loaded twice (e.g. injected by the server and by an extension): one instance only
  }

  var EDITOR_PATH = "/plugins/servlet/onlyoffice/doceditor";
  var CONVERT_PATH = "/plugins/servlet/onlyoffice/convert";
  var DOWNLOAD_AS_PATH = "/plugins/servlet/onlyoffice/download-as";
  var ACCESS_PATH = "/plugins/servlet/onlyoffice/access";
  /* Labels and titles come from the gateway (gateway/onlyoffice/messages.yaml), in the user's
   * Confluence language, as JSON in the script tag's `data-onlyoffice-messages`; these English
   * ones are only for a copy of the script loaded without it. */
  var ENGLISH = {
    "link.edit": "Edit in ONLYOFFICE",
    "link.view": "View in ONLYOFFICE",
    "link.convert": "Convert using ONLYOFFICE",
    "link.download": "Download As",
    "title.edit": "Edit {name} in ONLYOFFICE",
    "title.view": "View {name} in ONLYOFFICE",
    "title.convert": "Convert {name} to {target}",
    "title.download": "Download {name} as another format",
  };
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
  var TEXTS = messages();
  var decisions = new Map(); // id -> {mode, convert, download} | null
  var fromServer = new Map(); // id -> {mode, convert, download}, read from server-inserted links (row menus only)
  var inFlight = new Set();
  var timer = null;

  /* Only a same-origin path ("" or "/confluence"): never a scheme or "//host" in our links. */
  function safePath(value) {
    var path = value.replace(/\/+$/, "");
    return path === "" || /^\/[A-Za-z0-9._~%!$&'()*+,;=:@\/-]*$/.test(path) && path.charAt(1) !== "/" ? path : null;
  }

  function contextPath() {
    var meta = document.querySelector('meta[name="ajs-context-path"]') || document.getElementById("confluence-context-path");
    var fromMeta = meta && meta.getAttribute("content") !== null ? safePath(meta.getAttribute("content")) : null;
    if (fromMeta !== null) {
      return fromMeta;
    }
    if (ownScript && ownScript.src) {
      var path = new URL(ownScript.src, location.href).pathname;
      var at = path.indexOf("/plugins/servlet/onlyoffice/");
      if (at >= 0) {
        return path.slice(0, at);
      }
    }
    return "";
  }

  function messages() {
    var given = null;
    try {
      given = ownScript ? JSON.parse(ownScript.getAttribute("data-onlyoffice-messages") || "null") : null;
    } catch (error) {
      given = null;
    }
    var texts = {};
    Object.keys(ENGLISH).forEach(function (id) {
      var value = given && typeof given === "object" ? given[id] : undefined;
      texts[id] = typeof value === "string" ? value : ENGLISH[id];
    });
    return texts;
  }

  /* A message with its {placeholders} filled (the result goes into textContent or an attribute). */
  function text(id, values) {
    return TEXTS[id].replace(/\{([a-z]+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values || {}, name) ? String(values[name]) : whole;
    });
  }

  function digits(value) {
    return value && DIGITS.test(value) ? value : null;
  }

  function filenameFromHref(href) {
    if (!href) {
      return null;
    }
    try {
      var path = new URL(href, location.href).pathname;
      if (path.indexOf("/download/attachments/") < 0) {
        return null;
      }
      return decodeURIComponent(path.slice(path.lastIndexOf("/") + 1)) || null;
    } catch (error) {
      return null;
    }
  }

  /* -- finding references (the server's vocabulary) ------------------------------------------ */

  function isMarked(node) {
    return node !== null && node.nodeType === 1 && node.hasAttribute(MARKER);
  }

  /* The first `ul` of an AUI dropdown2 menu: the element `trigger` owns (AUI may have moved it
   * out of the row), else the one in `fallback`. Null when there is none (yet). */
  function menuList(trigger, fallback) {
    var menu = null;
    var owned = trigger ? trigger.getAttribute("aria-owns") || trigger.getAttribute("aria-controls") : null;
    if (owned) {
      menu = document.getElementById(owned);
    }
    if (!menu && fallback) {
      menu = fallback();
    }
    if (!menu || !menu.classList.contains("aui-dropdown2")) {
      return null;
    }
    return menu.querySelector("ul");
  }

  function rowReferences(found) {
    document.querySelectorAll("tr.attachment-row").forEach(function (row) {
      var id = digits(row.getAttribute("data-attachment-id"));
      var rowId = row.getAttribute("id") || "";
      if (!id && rowId.indexOf("attachment-") === 0) {
        id = digits(rowId.slice("attachment-".length));
      }
      if (!id) {
        return;
      }
      var link = row.querySelector("a.filename");
      var name = row.getAttribute("data-attachment-filename") ||
        (link ? filenameFromHref(link.getAttribute("href")) || link.getAttribute("title") : null);
      if (link && !row.querySelector("[" + MARKER + '="links"]')) {
        found.push({ id: id, filename: name, after: link });
      }
      var list = menuList(
        row.querySelector(".attachment-dropdown-actions .aui-dropdown2-trigger"),
        function () {
          return row.querySelector(".attachment-dropdown-actions .aui-dropdown2");
        }
      );
      if (list && !list.querySelector("[" + MARKER + "]")) {
        found.push({ id: id, filename: name, menu: list });
      }
    });
  }

  function embeddedReferences(found) {
    var selector = [
      "span.confluence-embedded-file-wrapper[data-linked-resource-id]",
      "a.confluence-embedded-file[data-linked-resource-id]",
      "img.confluence-embedded-image[data-linked-resource-id]",
    ].join(",");
    var seen = new Set();
    document.querySelectorAll(selector).forEach(function (element) {
      var type = element.getAttribute("data-linked-resource-type");
      var id = digits(element.getAttribute("data-linked-resource-id"));
      if (!id || (type !== null && type !== "attachment")) {
        return;
      }
      var wrapper = element.closest("span.confluence-embedded-file-wrapper");
      var outer = wrapper && wrapper.parentElement ? wrapper.parentElement.closest("span.confluence-embedded-file-wrapper") : null;
      var anchor = outer || wrapper || element;
      if (seen.has(anchor) || isMarked(anchor.nextElementSibling)) {
        return;
      }
      seen.add(anchor);
      found.push({ id: id, filename: element.getAttribute("data-linked-resource-default-alias"), after: anchor });
    });
  }

  /* The previewed file: `?preview=/<pageId>/<attachmentId>/<name>` when Confluence put it in the
   * URL, else the page's own references whose download link matches the preview's. */
  function previewReference() {
    var header = document.getElementById("cp-header");
    var download = document.getElementById("cp-control-panel-download");
    if (!header || !download) {
      return null;
    }
    var id = null;
    var name = null;
    var preview = new URLSearchParams(location.search).get("preview") || "";
    var parts = preview.split("/");
    if (parts.length >= 4 && digits(parts[2])) {
      id = parts[2];
      name = parts.slice(3).join("/");
      try {
        name = decodeURIComponent(name);
      } catch (error) {
        /* a literal "%" in the name: keep it as it is */
      }
    }
    var href = download.getAttribute("href");
    var wanted = href ? new URL(href, location.href).pathname : null;
    if (wanted) {
      document.querySelectorAll("tr.attachment-row a.filename, a.confluence-embedded-file, img.confluence-embedded-image").forEach(function (element) {
        var source = element.getAttribute("href") || element.getAttribute("data-image-src") || element.getAttribute("src");
        if (!source) {
          return;
        }
        if (new URL(source, location.href).pathname === wanted) {
          var row = element.closest("tr.attachment-row");
          var candidate = row ? digits(row.getAttribute("data-attachment-id")) : digits(element.getAttribute("data-linked-resource-id"));
          if (candidate) {
            id = candidate;
            name = filenameFromHref(source);
          }
        }
      });
    }
    var more = menuList(document.getElementById("cp-control-panel-more"), function () {
      return document.getElementById("cp-more-menu");
    });
    return id ? { id: id, filename: name, download: download, menu: more } : null;
  }

  /* -- markup (same as gateway/onlyoffice/inject/rewrite.py links_markup) ----------------------- */

  /* The user's Confluence locale (`ajs-user-locale`, e.g. en_GB): the editor opens in that
   * language, as with the plugin, rather than the browser's. */
  function userLocale() {
    var meta = document.querySelector('meta[name="ajs-user-locale"]');
    var value = meta ? meta.getAttribute("content") || "" : "";
    return /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$/.test(value) ? value : null;
  }

  /* The page being viewed (`ajs-page-id`): a hint that lets the gateway list its attachments in
   * one Confluence call instead of one call per attachment. */
  function pageId() {
    var meta = document.querySelector('meta[name="ajs-page-id"]');
    var value = meta ? meta.getAttribute("content") || "" : "";
    return /^[0-9]{1,19}$/.test(value) ? value : null;
  }

  /* One link; its title names the file (and a conversion's target). Every link carries the
   * Confluence locale as `lang`: the gateway's page it opens speaks the user's language. */
  function anchor(action, path, ref, target) {
    var a = document.createElement("a");
    var id = ref.id;
    var locale = userLocale();
    a.setAttribute("class", CLASSES[action]);
    a.setAttribute("href", contextPath() + path + "?attachmentId=" + id +
      (locale ? "&lang=" + encodeURIComponent(locale) : ""));
    a.setAttribute("target", "_blank");
    a.setAttribute("rel", "noopener");
    a.setAttribute("data-attachment-id", id);
    a.setAttribute("data-onlyoffice-action", action);
    if (target) {
      a.setAttribute("data-onlyoffice-target", target);
    }
    if (ref.filename) {
      a.setAttribute("title", text("title." + action, { name: ref.filename, target: (target || "").toUpperCase() }));
    }
    a.textContent = text("link." + action);
    return a;
  }

  /* Edit or View first, then Convert, then Download As: the plugin's web-item order. */
  function anchors(ref, decision) {
    var found = [];
    if (decision.mode === "edit" || decision.mode === "view") {
      found.push(anchor(decision.mode, EDITOR_PATH, ref));
    }
    if (decision.convert) {
      found.push(anchor("convert", CONVERT_PATH, ref, decision.convert));
    }
    if (decision.download) {
      found.push(anchor("download", DOWNLOAD_AS_PATH, ref));
    }
    return found;
  }

  function linksElement(ref, decision) {
    var span = document.createElement("span");
    span.setAttribute("class", "onlyoffice-links");
    span.setAttribute(MARKER, "links");
    span.setAttribute("data-attachment-id", ref.id);
    anchors(ref, decision).forEach(function (a) {
      if (span.firstChild) {
        span.appendChild(document.createTextNode(" "));
      }
      span.appendChild(a);
    });
    return span;
  }

  /* `li > a` items at the top of a dropdown's list (same as rewrite.py menu_markup). */
  function insertMenuItems(list, ref, decision) {
    var first = list.firstChild;
    anchors(ref, decision).forEach(function (a) {
      var li = document.createElement("li");
      li.setAttribute("class", "onlyoffice-menu-item");
      li.setAttribute(MARKER, "menu");
      li.setAttribute("data-attachment-id", ref.id);
      li.appendChild(a);
      list.insertBefore(li, first);
    });
  }

  /* The preview's "More" menu holds items for the previewed file only. */
  function insertPreviewMenuItems(ref, decision) {
    var list = ref.menu;
    if (!list) {
      return;
    }
    var current = false;
    list.querySelectorAll("[" + MARKER + "]").forEach(function (item) {
      if (item.getAttribute("data-attachment-id") === ref.id) {
        current = true;
      } else {
        item.remove(); // the preview moved to another file
      }
    });
    if (!current) {
      insertMenuItems(list, ref, decision);
    }
  }

  function insertLinks(ref, decision) {
    var parent = ref.after.parentNode;
    if (!parent || isMarked(ref.after.nextElementSibling)) {
      return;
    }
    var next = ref.after.nextSibling;
    parent.insertBefore(document.createTextNode(" "), next);
    parent.insertBefore(linksElement(ref, decision), next);
  }

  function insertPreviewButton(ref, decision) {
    var existing = document.getElementById("cp-control-panel-onlyoffice");
    if (existing) {
      if (existing.getAttribute("data-attachment-id") === ref.id) {
        return;
      }
      existing.remove(); // the preview moved to another file
    }
    if (decision.mode !== "edit" && decision.mode !== "view") {
      return;
    }
    var button = anchor(decision.mode, EDITOR_PATH, ref);
    button.id = "cp-control-panel-onlyoffice";
    button.setAttribute(MARKER, "preview");
    button.style.color = "inherit";
    button.style.marginRight = "10px";
    ref.download.parentNode.insertBefore(button, ref.download);
  }

  /* -- decisions ---------------------------------------------------------------------------------- */

  /* What the server decided, read back from the links it inserted (`span[data-onlyoffice=links]`):
   * a row's menu built later shows the same actions without asking (other places keep asking, as
   * before: the preview button wants the current answer). Only our own vocabulary is read;
   * a convert target must be legible in the convert link's `data-onlyoffice-target` ("docx"),
   * else the attachment is asked about as usual. */
  function learnFromServerLinks() {
    document.querySelectorAll("span[" + MARKER + '="links"][data-attachment-id]').forEach(function (span) {
      var id = digits(span.getAttribute("data-attachment-id"));
      if (!id || fromServer.has(id)) {
        return;
      }
      var mode = null;
      var convert = null;
      var download = false;
      var readable = true;
      span.querySelectorAll("a[data-onlyoffice-action]").forEach(function (a) {
        var action = a.getAttribute("data-onlyoffice-action");
        if (action === "edit" || action === "view") {
          mode = action;
        } else if (action === "download") {
          download = true;
        } else if (action === "convert") {
          var target = a.getAttribute("data-onlyoffice-target") || "";
          if (/^[a-z0-9]{1,10}$/.test(target)) {
            convert = target;
          } else {
            readable = false;
          }
        }
      });
      var decision = readable ? validDecision({ mode: mode, convert: convert, download: download }) : null;
      if (decision) {
        fromServer.set(id, decision);
      }
    });
  }

  /* Server links in the page's language. A table Confluence re-renders (rendermacro.action) is a
   * fragment without `ajs-user-locale`, so the gateway labels its links in English and without
   * `lang`: they get this page's labels, titles and `lang` here. */
  function relabelServerLinks() {
    var locale = userLocale();
    document.querySelectorAll("[" + MARKER + "] > a[data-onlyoffice-action]").forEach(function (a) {
      var action = a.getAttribute("data-onlyoffice-action");
      if (!CLASSES.hasOwnProperty(action) || a.textContent === text("link." + action)) {
        return;
      }
      a.textContent = text("link." + action);
      var row = a.closest("tr.attachment-row");
      var link = row ? row.querySelector("a.filename") : null;
      var name = row ? row.getAttribute("data-attachment-filename") ||
        (link ? filenameFromHref(link.getAttribute("href")) || link.getAttribute("title") : null) : null;
      if (name) {
        var target = (a.getAttribute("data-onlyoffice-target") || "").toUpperCase();
        a.setAttribute("title", text("title." + action, { name: name, target: target }));
      }
      var href = a.getAttribute("href") || "";
      if (locale && href.indexOf("&lang=") < 0) {
        a.setAttribute("href", href + "&lang=" + encodeURIComponent(locale));
      }
    });
  }

  /* The answer for one place: the browser's own (from /access) first, else for a row's menu the
   * server's. Undefined while unknown. */
  function decisionFor(ref) {
    if (decisions.has(ref.id)) {
      return decisions.get(ref.id);
    }
    return ref.menu && fromServer.has(ref.id) ? fromServer.get(ref.id) : undefined;
  }

  function validDecision(value) {
    if (!value || typeof value !== "object") {
      return null;
    }
    var mode = value.mode === "edit" || value.mode === "view" ? value.mode : null;
    var convert = typeof value.convert === "string" && /^[a-z0-9]{1,10}$/.test(value.convert) ? value.convert : null;
    var download = value.download === true;
    return mode || convert || download ? { mode: mode, convert: convert, download: download } : null;
  }

  function ask(ids) {
    ids.forEach(function (id) {
      inFlight.add(id);
    });
    var query = ids.map(function (id) {
      return "attachmentId=" + encodeURIComponent(id);
    });
    var page = pageId();
    if (page) {
      query.push("pageId=" + page);
    }
    return fetch(contextPath() + ACCESS_PATH + "?" + query.join("&"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("access " + response.status);
        }
        return response.json();
      })
      .then(function (body) {
        if (!body || typeof body !== "object" || Array.isArray(body)) {
          throw new Error("access answer is not an object");
        }
        ids.forEach(function (id) {
          decisions.set(id, validDecision(Object.prototype.hasOwnProperty.call(body, id) ? body[id] : null));
        });
        return true;
      })
      .catch(function () {
        return false; // nothing is shown; the next DOM change asks again
      })
      .then(function (answered) {
        ids.forEach(function (id) {
          inFlight.delete(id);
        });
        return answered;
      });
  }

  function apply(refs, preview) {
    refs.forEach(function (ref) {
      var decision = decisionFor(ref);
      if (!decision) {
        return;
      }
      if (ref.menu) {
        insertMenuItems(ref.menu, ref, decision);
      } else {
        insertLinks(ref, decision);
      }
    });
    if (preview && decisions.has(preview.id)) {
      var shown = decisions.get(preview.id) || NOTHING;
      insertPreviewButton(preview, shown);
      insertPreviewMenuItems(preview, shown);
    }
  }

  function run() {
    timer = null;
    relabelServerLinks();
    learnFromServerLinks();
    var refs = [];
    rowReferences(refs);
    embeddedReferences(refs);
    var preview = previewReference();
    var wanted = refs.filter(function (ref) {
      return decisionFor(ref) === undefined;
    }).map(function (ref) {
      return ref.id;
    });
    if (preview) {
      wanted.push(preview.id);
    }
    var unknown = Array.from(new Set(wanted)).filter(function (id) {
      return !decisions.has(id) && !inFlight.has(id);
    });
    apply(refs, preview);
    if (unknown.length) {
      ask(unknown).then(function (answered) {
        if (answered) {
          schedule(); // show the answers, and look again: the DOM may have changed while asking
        }
      });
    }
  }

  function schedule() {
    if (timer === null) {
      timer = setTimeout(run, DEBOUNCE_MS);
    }
  }

  /* Did a mutation add a list or list items (a menu being built)? Cheap: added nodes only. */
  function addsListItems(records) {
    return records.some(function (record) {
      return Array.prototype.some.call(record.addedNodes, function (node) {
        return node.nodeType === 1 && (node.matches("ul, li") || node.querySelector("ul") !== null);
      });
    });
  }

  /* Menus built on open get their items from known answers at once, in the observer's microtask:
   * before the browser paints the open menu, so the menu does not jump when the items arrive. */
  function fillMenus() {
    var refs = [];
    rowReferences(refs);
    refs.forEach(function (ref) {
      var decision = ref.menu ? decisionFor(ref) : null;
      if (decision) {
        insertMenuItems(ref.menu, ref, decision);
      }
    });
    var preview = previewReference();
    if (preview && preview.menu && decisions.has(preview.id)) {
      insertPreviewMenuItems(preview, decisions.get(preview.id) || NOTHING);
    }
  }

  function observed(records) {
    if (addsListItems(records)) {
      fillMenus();
    }
    schedule();
  }

  window.onlyofficeGatewayInject = { rescan: schedule };
  new MutationObserver(observed).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["href", "data-attachment-id", "data-linked-resource-id"],
  });
  run();
})();
