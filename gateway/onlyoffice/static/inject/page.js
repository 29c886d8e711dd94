/* -- what the page says: Confluence's context path, the page id, attachment ids and names -- */

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

/* The page being viewed (`ajs-page-id`): a hint that lets the gateway list its attachments in
 * one Confluence call instead of one call per attachment. */
function pageId() {
  var meta = document.querySelector('meta[name="ajs-page-id"]');
  var value = meta ? meta.getAttribute("content") || "" : "";
  return /^[0-9]{1,19}$/.test(value) ? value : null;
}
