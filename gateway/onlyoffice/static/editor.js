/* The editor page: reads the signed config the gateway rendered and opens DocsAPI.DocEditor.
 * A separate same-origin file (not inline) so the page works under a strict script-src CSP. */
(function () {
  "use strict";
  var message = document.getElementById("onlyoffice-message");
  var text = window.onlyofficeText; // messages.js: the page's texts, in its language
  function show(text) {
    message.textContent = text;
    message.hidden = false;
  }
  var config = JSON.parse(document.getElementById("onlyoffice-config").textContent);
  var urls = document.getElementById("onlyoffice-history");
  var historyUrl = urls && urls.getAttribute("data-history-url");
  var historyDataUrl = urls && urls.getAttribute("data-history-data-url");
  var restoreUrl = urls && urls.getAttribute("data-restore-url");
  var restoreCsrf = urls && urls.getAttribute("data-restore-csrf");
  if (!window.DocsAPI || !window.DocsAPI.DocEditor) {
    show(message.getAttribute("data-unreachable"));
    return;
  }
  var goback = config.editorConfig && config.editorConfig.customization &&
    config.editorConfig.customization.goback && config.editorConfig.customization.goback.url;
  var lang = (config.editorConfig && config.editorConfig.lang) || undefined;

  /* A gateway JSON route with the user's session: GET, or POST of `body` as JSON; rejects with the
   * route's own message. */
  function requestJson(url, body) {
    var options = {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}};
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return window.fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) {
          throw new Error((answer && answer.error) || ("HTTP " + response.status));
        }
        return answer;
      });
    });
  }
  function getJson(url) { return requestJson(url); }
  /* Confluence sends ISO 8601 times; show them in the reader's time zone and language. */
  function localTime(text) {
    var date = new Date(text);
    if (!text || isNaN(date.getTime())) { return text || ""; }
    try { return date.toLocaleString(lang); } catch (e) { return date.toLocaleString(); }
  }
  function reason(error) {
    return (error && error.message) ? error.message : String(error);
  }

  /* ---- Save As and reference data (branch editor-save-as) ----
   * onRequestSaveAs: the gateway's own dialog (file name; the copy goes to this document's page)
   * POSTs the Document Server's link to the save-as route, which stores the copy.
   * onRequestReferenceData: the reference-data route finds the linked file and answers what the
   * signed setReferenceData takes, or {error}. Both POSTs carry the page's CSRF tokens. */
  function wireCopiesAndReferences(events, pickSource) {
    var copies = document.getElementById("onlyoffice-copies");
    if (!copies) { return; }
    var attachmentId = copies.getAttribute("data-attachment-id");
    var saveAsUrl = copies.getAttribute("data-save-as-url");
    var saveAsCsrf = copies.getAttribute("data-save-as-csrf");
    var dialog = document.getElementById("onlyoffice-save-as");
    if (saveAsUrl && saveAsCsrf && dialog && dialog.showModal) {
      var form = dialog.querySelector("form");
      var nameInput = form.elements.name;
      var status = dialog.querySelector(".onlyoffice-dialog-status");
      var saveButton = form.querySelector("button[value=save]");
      var pending = null;
      /* "Or on another page": Confluence's search, as the user, lists pages they may attach to. */
      var pagesUrl = copies.getAttribute("data-save-as-pages-url");
      var search = form.elements.page_search;
      var found = dialog.querySelector(".onlyoffice-save-as-pages");
      var searching = null;
      function ownPage() { form.querySelector("input[name=target][value='']").checked = true; }
      function showPages(pages) {
        found.textContent = "";
        if (!pages.length) { found.appendChild(document.createTextNode(text("save_as.no_pages"))); }
        pages.forEach(function (page) {
          var row = document.createElement("li");
          var label = document.createElement("label");
          var radio = document.createElement("input");
          radio.type = "radio";
          radio.name = "target";
          radio.value = String(page.id);
          label.appendChild(radio);
          label.appendChild(document.createTextNode(page.title + (page.space ? " (" + page.space + ")" : "")));
          row.appendChild(label);
          found.appendChild(row);
        });
      }
      if (pagesUrl && search && found) {
        search.addEventListener("input", function () {
          window.clearTimeout(searching);
          var query = search.value.trim();
          if (!query) { found.textContent = ""; ownPage(); return; }
          searching = window.setTimeout(function () {
            var url = new URL(pagesUrl, window.location.href);
            url.searchParams.set("q", query);
            getJson(url.toString()).then(function (answer) {
              if (search.value.trim() === query) { showPages(answer.pages || []); }
            }).catch(function (error) {
              found.textContent = reason(error);
            });
          }, 250);
        });
      }
      form.querySelector("button[value=cancel]").addEventListener("click", function () { dialog.close(); });
      form.addEventListener("submit", function (submitted) {
        submitted.preventDefault();
        if (!pending) { return; }
        saveButton.disabled = true;
        status.textContent = text("save_as.saving");
        var target = form.querySelector("input[name=target]:checked");
        requestJson(saveAsUrl, {attachmentId: attachmentId, csrf: saveAsCsrf, url: pending.url,
                             fileType: pending.fileType, title: nameInput.value,
                             pageId: target ? target.value : ""})
          .then(function (result) {
            pending = null;
            var saved = text("save_as.saved").split("{name}");
            status.textContent = saved[0];
            var link = document.createElement("a");
            link.textContent = String(result.title || "");
            var target = new URL(String(result.editorUrl || ""), window.location.href);
            if (target.origin === window.location.origin) { link.href = target.toString(); }
            link.target = "_blank";
            link.rel = "noopener";
            status.appendChild(link);
            status.appendChild(document.createTextNode(saved.slice(1).join("")));
          })
          .catch(function (error) {
            status.textContent = text("save_as.failed", {error: reason(error)});
            saveButton.disabled = false;
          });
      });
      events.onRequestSaveAs = function (event) {
        var data = (event && event.data) || {};
        pending = {url: data.url, fileType: data.fileType};
        nameInput.value = data.title || "";
        status.textContent = "";
        if (search && found) { search.value = ""; found.textContent = ""; }
        ownPage();
        saveButton.disabled = false;
        if (!dialog.open) { dialog.showModal(); }
        nameInput.focus();
      };
    }
    var referenceUrl = copies.getAttribute("data-reference-data-url");
    var referenceCsrf = copies.getAttribute("data-reference-data-csrf");
    if (referenceUrl && referenceCsrf) {
      var referenced = function (data) {
        return requestJson(referenceUrl, {attachmentId: attachmentId, csrf: referenceCsrf,
                                          referenceData: data.referenceData, path: data.path, link: data.link});
      };
      events.onRequestReferenceData = function (event) {
        referenced((event && event.data) || {})
          .then(function (answer) { window.docEditor.setReferenceData(answer); })
          .catch(function (error) { window.docEditor.setReferenceData({error: reason(error)}); });
      };
      /* Open source: the linked file in its own editor tab. The tab opens at once (a later
       * window.open would be a blocked pop-up), then goes to the editor of the file the gateway
       * found for the link (by attachment id when it was made here, else by name on this page). */
      events.onRequestOpen = function (event) {
        var data = (event && event.data) || {};
        var tab = window.open("", data.windowName || "_blank");
        referenced(data).then(function (answer) {
          var target = new URL(window.location.href);
          target.search = "";
          target.searchParams.set("attachmentId", String(answer.referenceData.fileKey));
          if (tab) { tab.location.href = target.toString(); }
        }).catch(function (error) {
          if (tab) { tab.close(); }
          show(text("editor.error_detail", {error: reason(error)}));
        });
      };
      /* Change source: the attachment picker lists the page's spreadsheets; the one picked becomes
       * the link's source (the signed setReferenceSource takes what setReferenceData takes). */
      if (pickSource) {
        var instance = config.document && config.document.referenceData &&
          config.document.referenceData.instanceId;
        events.onRequestReferenceSource = function () {
          pickSource("spreadsheet", undefined, function (answer) {
            window.docEditor.setReferenceSource(answer);
          }, function (item) {
            return referenced({referenceData: {fileKey: String(item.id), instanceId: instance}, path: item.title});
          });
        };
      }
    }
    var renameUrl = copies.getAttribute("data-rename-url");
    var renameCsrf = copies.getAttribute("data-rename-csrf");
    if (renameUrl && renameCsrf) {
      /* Rename: the attachment is renamed in Confluence; the Document Server then tells every
       * editor of the document (onMetaChange), this one included. */
      events.onRequestRename = function (event) {
        var title = event ? event.data : null;
        requestJson(renameUrl, {attachmentId: attachmentId, csrf: renameCsrf, title: title})
          .catch(function (error) { show(text("editor.error_detail", {error: reason(error)})); });
      };
    }
  }
  /* ---- end of Save As and reference data ---- */
  /* ---- Attachment picker: Insert image, Compare, Mail merge (gateway pickers.py) ----------------
   * The plugin opens Confluence's attachment dialog here; through the gateway the page has its own.
   * It lists the attachments of the document's page the user may view (GET), then POSTs the pick
   * with the page's CSRF token; the answer is the signed argument of the editor's method. Errors
   * stay in the dialog; Escape or Cancel closes it. */
  function wirePickers(events) {
    var holder = document.getElementById("onlyoffice-pickers");
    var url = holder && holder.getAttribute("data-url");
    var token = holder && holder.getAttribute("data-token");
    if (!url || !token) { return; }
    var base = new URL(url, window.location.href);
    var current = null;

    function element(tag, text) {
      var node = document.createElement(tag);
      if (text) { node.textContent = text; }
      return node;
    }
    /* `resolve(item)`, when given, turns the picked attachment into what `deliver` gets (a promise);
     * by default the pick is POSTed to the pickers route for the editor method's signed argument. */
    function pick(purpose, command, deliver, resolve) {
      if (current) { current.close(); }
      var dialog = element("dialog");
      dialog.className = "onlyoffice-picker";
      dialog.id = "onlyoffice-picker";
      dialog.setAttribute("aria-labelledby", "onlyoffice-picker-title");
      var heading = element("h2", text("picker." + purpose));
      heading.id = "onlyoffice-picker-title";
      var status = element("p", text("picker.loading"));
      status.setAttribute("role", "status");
      var list = element("ul");
      var actions = element("div");
      actions.className = "onlyoffice-picker-actions";
      var cancel = element("button", text("page.cancel"));
      cancel.type = "button";
      cancel.addEventListener("click", function () { dialog.close(); });
      actions.appendChild(cancel);
      [heading, status, list, actions].forEach(function (node) { dialog.appendChild(node); });
      dialog.addEventListener("close", function () {
        if (dialog.parentNode) { dialog.parentNode.removeChild(dialog); }
        if (current === dialog) { current = null; }
      });
      document.body.appendChild(dialog);
      current = dialog;
      dialog.showModal();

      function choose(item, button) {
        status.textContent = text("picker.adding", {name: item.title});
        button.disabled = true;
        (resolve ? resolve(item) : requestJson(base.toString(), {
          attachmentId: base.searchParams.get("attachmentId"), token: token,
          purpose: purpose, pick: item.id, c: command}))
          .then(function (payload) {
            dialog.close();
            deliver(payload);
          })
          .catch(function (error) {
            status.textContent = text("picker.unusable", {name: item.title, error: reason(error)});
            button.disabled = false;
            button.focus();
          });
      }
      var listUrl = new URL(base.toString());
      listUrl.searchParams.set("purpose", purpose);
      getJson(listUrl.toString()).then(function (data) {
        var items = data.attachments || [];
        status.textContent = items.length ? "" : text("picker.empty_" + purpose);
        items.forEach(function (item) {
          var button = element("button", item.title);
          button.type = "button";
          button.setAttribute("data-attachment-id", item.id);
          button.addEventListener("click", function () { choose(item, button); });
          var row = element("li");
          row.appendChild(button);
          list.appendChild(row);
        });
        (list.querySelector("button") || cancel).focus();
      }).catch(function (error) {
        status.textContent = text("picker.unlisted", {error: reason(error)});
      });
    }
    function command(event) {
      return event && event.data && typeof event.data.c === "string" ? event.data.c : undefined;
    }
    function call(method) {
      return function (payload) { window.docEditor[method](payload); };
    }
    /* Both names: Document Server 7.5 renamed Compare and Mail merge's events and methods. */
    events.onRequestInsertImage = function (event) { pick("image", command(event), call("insertImage")); };
    events.onRequestSelectDocument = function (event) {
      pick("document", command(event), call("setRequestedDocument"));
    };
    events.onRequestCompareFile = function () { pick("document", "compare", call("setRevisedFile")); };
    events.onRequestSelectSpreadsheet = function (event) {
      pick("spreadsheet", command(event), call("setRequestedSpreadsheet"));
    };
    events.onRequestMailMergeRecipients = function () {
      pick("spreadsheet", "mailmerge", call("setMailMergeRecipients"));
    };
    return pick;
  }
  /* ---- end of attachment picker ---- */

  /* ---- People: mentions and protected ranges (gateway mentions.py) -----------------------------
   * onRequestUsers: Confluence's people search made as this user, one page at a time (from/count),
   * or the given users' avatars (c: "info"); answered with setUsers({c, users}).
   * onRequestSendNotify: a Confluence page comment that @-mentions the people (Confluence notifies
   * them); POSTed with the page's CSRF token. Failures show in the page's message line. */
  function wirePeople(events) {
    var holder = document.getElementById("onlyoffice-people");
    var usersUrl = holder && holder.getAttribute("data-users-url");
    if (!usersUrl) { return; }
    var attachmentId = holder.getAttribute("data-attachment-id");
    events.onRequestUsers = function (event) {
      var data = (event && event.data) || {};
      var c = typeof data.c === "string" ? data.c : "mention";
      var url = new URL(usersUrl, window.location.href);
      url.searchParams.set("c", c);
      if (c === "info") {
        var ids = Array.isArray(data.id) ? data.id : [];
        if (!ids.length) { window.docEditor.setUsers({c: c, users: []}); return; }
        ids.forEach(function (id) { url.searchParams.append("id", String(id)); });
      } else {
        if (typeof data.search === "string") { url.searchParams.set("search", data.search); }
        if (typeof data.from === "number") { url.searchParams.set("from", String(data.from)); }
        if (typeof data.count === "number") { url.searchParams.set("count", String(data.count)); }
      }
      getJson(url.toString()).then(function (answer) {
        var result = {c: c, users: answer.users || []};
        if (answer.isPaginated) { result.total = answer.total; result.isPaginated = true; }
        window.docEditor.setUsers(result);
      }).catch(function (error) {
        show(text("editor.error_detail", {error: reason(error)}));
        window.docEditor.setUsers({c: c, users: []});
      });
    };
    var notifyUrl = holder.getAttribute("data-notify-url");
    var notifyCsrf = holder.getAttribute("data-notify-csrf");
    if (notifyUrl && notifyCsrf) {
      events.onRequestSendNotify = function (event) {
        var data = (event && event.data) || {};
        requestJson(notifyUrl, {attachmentId: attachmentId, csrf: notifyCsrf, emails: data.emails,
                                message: data.message, actionLink: data.actionLink})
          .catch(function (error) { show(text("editor.error_detail", {error: reason(error)})); });
      };
    }
  }
  /* ---- end of people ---- */

  config.events = {
    onError: function (event) {
      var data = event && event.data ? event.data : {};
      show(data.errorDescription ? text("editor.error_detail", {error: data.errorDescription}) : text("editor.error"));
    },
    onRequestClose: function () {
      if (goback) { window.location.href = goback; }
    },
    onMetaChange: function (event) {
      var title = event && event.data ? event.data.title : null;
      if (title) { document.title = title + " - ONLYOFFICE"; }
    },
    onRequestEditRights: function () {
      var url = new URL(window.location.href);
      url.searchParams.delete("mode");
      window.location.href = url.toString();
    }
  };
  if (historyUrl && historyDataUrl) {
    /* Version History: Confluence's attachment versions, as the gateway lists them. */
    var shownVersion = null; /* the current version as the history panel last showed it */
    config.events.onRequestHistory = function () {
      getJson(historyUrl).then(function (info) {
        (info.history || []).forEach(function (item) { item.created = localTime(item.created); });
        shownVersion = info.currentVersion;
        window.docEditor.refreshHistory(info);
      }).catch(function (error) {
        window.docEditor.refreshHistory({error: reason(error)});
      });
    };
    config.events.onRequestHistoryData = function (event) {
      var version = event ? event.data : null;
      var url = new URL(historyDataUrl, window.location.href);
      url.searchParams.set("version", String(version));
      getJson(url.toString()).then(function (data) {
        window.docEditor.setHistoryData(data);
      }).catch(function (error) {
        window.docEditor.setHistoryData({version: version, error: reason(error)});
      });
    };
    config.events.onRequestHistoryClose = function () {
      window.location.reload();
    };
    if (restoreUrl && restoreCsrf) {
      /* Restore: that version becomes the newest one in Confluence, then the history is shown again
       * (closing it reopens the editor on the restored version). */
      config.events.onRequestRestore = function (event) {
        var version = event && event.data ? event.data.version : null;
        requestJson(restoreUrl, {attachmentId: urls.getAttribute("data-attachment-id"), version: version,
                                 base: shownVersion, csrf: restoreCsrf}).then(function () {
          config.events.onRequestHistory();
        }).catch(function (error) {
          window.docEditor.refreshHistory({error: reason(error)});
        });
      };
    }
  }
  wireCopiesAndReferences(config.events, wirePickers(config.events));
  wirePeople(config.events);
  window.docEditor = new window.DocsAPI.DocEditor("onlyoffice-editor", config);
})();
