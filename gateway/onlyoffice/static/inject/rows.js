/* -- rows: the attachments in the page (rows, embedded files, the preview), by Confluence's markup */

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
