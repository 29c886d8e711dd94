/* The conversion page: poll (poll.js) until the Document Server is done, then open the converted
 * document in the editor. Same-origin file, no inline script (CSP). */
(function () {
  "use strict";
  var main = document.getElementById("onlyoffice-convert");
  var bar = document.getElementById("onlyoffice-convert-progress");
  var status = document.getElementById("onlyoffice-convert-status");
  window.onlyofficePoll(
    { attachmentId: main.getAttribute("data-attachment-id"), csrf: main.getAttribute("data-csrf") },
    function (data) {
      bar.value = data.percent || 0;
      status.textContent = window.onlyofficeText("page.converting");
    }
  ).then(function (data) {
    bar.value = 100;
    status.textContent = window.onlyofficeText("convert.done", {name: data.title});
    window.location.href = data.editorUrl;
  }).catch(function (error) {
    status.textContent = window.onlyofficeText("convert.failed", {error: error.message});
  });
})();
