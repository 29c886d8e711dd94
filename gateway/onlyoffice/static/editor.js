/* The editor page: reads the signed config the gateway rendered and opens DocsAPI.DocEditor.
 * A separate same-origin file (not inline) so the page works under a strict script-src CSP. */
(function () {
  "use strict";
  var message = document.getElementById("onlyoffice-message");
  function show(text) {
    message.textContent = text;
    message.hidden = false;
  }
  var config = JSON.parse(document.getElementById("onlyoffice-config").textContent);
  var urls = document.getElementById("onlyoffice-history");
  var historyUrl = urls && urls.getAttribute("data-history-url");
  var historyDataUrl = urls && urls.getAttribute("data-history-data-url");
  if (!window.DocsAPI || !window.DocsAPI.DocEditor) {
    show(message.getAttribute("data-unreachable"));
    return;
  }
  var goback = config.editorConfig && config.editorConfig.customization &&
    config.editorConfig.customization.goback && config.editorConfig.customization.goback.url;
  var lang = (config.editorConfig && config.editorConfig.lang) || undefined;

  /* GET a gateway JSON route with the user's session; rejects with the route's own message. */
  function getJson(url) {
    return window.fetch(url, {credentials: "same-origin", cache: "no-store",
                              headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) {
            throw new Error((body && body.error) || ("HTTP " + response.status));
          }
          return body;
        });
      });
  }
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
  function wireCopiesAndReferences(events) {
    var copies = document.getElementById("onlyoffice-copies");
    if (!copies) { return; }
    var attachmentId = copies.getAttribute("data-attachment-id");
    function postJson(url, body) {
      return window.fetch(url, {method: "POST", credentials: "same-origin", cache: "no-store",
                                headers: {"Accept": "application/json", "Content-Type": "application/json"},
                                body: JSON.stringify(body)})
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (answer) {
            if (!response.ok) {
              throw new Error((answer && answer.error) || ("HTTP " + response.status));
            }
            return answer;
          });
        });
    }
    var saveAsUrl = copies.getAttribute("data-save-as-url");
    var saveAsCsrf = copies.getAttribute("data-save-as-csrf");
    var dialog = document.getElementById("onlyoffice-save-as");
    if (saveAsUrl && saveAsCsrf && dialog && dialog.showModal) {
      var form = dialog.querySelector("form");
      var nameInput = form.elements.name;
      var status = dialog.querySelector(".onlyoffice-dialog-status");
      var saveButton = form.querySelector("button[value=save]");
      var pending = null;
      form.querySelector("button[value=cancel]").addEventListener("click", function () { dialog.close(); });
      form.addEventListener("submit", function (submitted) {
        submitted.preventDefault();
        if (!pending) { return; }
        saveButton.disabled = true;
        status.textContent = "Saving...";
        postJson(saveAsUrl, {attachmentId: attachmentId, csrf: saveAsCsrf, url: pending.url,
                             fileType: pending.fileType, title: nameInput.value})
          .then(function (result) {
            pending = null;
            status.textContent = "Saved as ";
            var link = document.createElement("a");
            link.textContent = String(result.title || "");
            var target = new URL(String(result.editorUrl || ""), window.location.href);
            if (target.origin === window.location.origin) { link.href = target.toString(); }
            link.target = "_blank";
            link.rel = "noopener";
            status.appendChild(link);
          })
          .catch(function (error) {
            status.textContent = "Not saved: " + reason(error);
            saveButton.disabled = false;
          });
      });
      events.onRequestSaveAs = function (event) {
        var data = (event && event.data) || {};
        pending = {url: data.url, fileType: data.fileType};
        nameInput.value = data.title || "";
        status.textContent = "";
        saveButton.disabled = false;
        if (!dialog.open) { dialog.showModal(); }
        nameInput.focus();
      };
    }
    var referenceUrl = copies.getAttribute("data-reference-data-url");
    var referenceCsrf = copies.getAttribute("data-reference-data-csrf");
    if (referenceUrl && referenceCsrf) {
      events.onRequestReferenceData = function (event) {
        var data = (event && event.data) || {};
        postJson(referenceUrl, {attachmentId: attachmentId, csrf: referenceCsrf,
                                referenceData: data.referenceData, path: data.path, link: data.link})
          .then(function (answer) { window.docEditor.setReferenceData(answer); })
          .catch(function (error) { window.docEditor.setReferenceData({error: reason(error)}); });
      };
    }
  }
  /* ---- end of Save As and reference data ---- */

  config.events = {
    onError: function (event) {
      var data = event && event.data ? event.data : {};
      show("The editor reported an error" + (data.errorDescription ? ": " + data.errorDescription : "."));
    },
    onRequestClose: function () {
      if (goback) { window.location.href = goback; }
    },
    onRequestEditRights: function () {
      var url = new URL(window.location.href);
      url.searchParams.delete("mode");
      window.location.href = url.toString();
    }
  };
  if (historyUrl && historyDataUrl) {
    /* Version History: Confluence's attachment versions, as the gateway lists them. */
    config.events.onRequestHistory = function () {
      getJson(historyUrl).then(function (info) {
        (info.history || []).forEach(function (item) { item.created = localTime(item.created); });
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
  }
  wireCopiesAndReferences(config.events);
  window.docEditor = new window.DocsAPI.DocEditor("onlyoffice-editor", config);
})();
