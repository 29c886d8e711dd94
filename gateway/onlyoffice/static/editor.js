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
  if (!window.DocsAPI || !window.DocsAPI.DocEditor) {
    show(message.getAttribute("data-unreachable"));
    return;
  }
  var goback = config.editorConfig && config.editorConfig.customization &&
    config.editorConfig.customization.goback && config.editorConfig.customization.goback.url;
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
  window.docEditor = new window.DocsAPI.DocEditor("onlyoffice-editor", config);
})();
