/* -- links: the anchors (as inject/rewrite.py links_markup builds them), the preview button -- */

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
