/* -- decisions: what each attachment gets, from the server's links or from /access -------- */

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
