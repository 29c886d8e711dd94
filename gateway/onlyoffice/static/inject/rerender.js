/* -- AJAX re-renders: relabel server links, debounce rescans, fill menus built on open ----- */

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

function observed(records) {
  if (addsListItems(records)) {
    fillMenus();
  }
  schedule();
}
