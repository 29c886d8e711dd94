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
  window.docEditor = new window.DocsAPI.DocEditor("onlyoffice-editor", config);
})();
