/* The Download As page: on submit, poll (poll.js) until the Document Server has converted the file,
 * then navigate to the gateway's download link; its answer is an attachment, so the browser saves it
 * and this page stays. Same-origin file, no inline script (CSP). */
(function () {
  "use strict";
  var main = document.getElementById("onlyoffice-download-as");
  var form = document.getElementById("onlyoffice-download-as-form");
  var name = document.getElementById("onlyoffice-download-as-name");
  var type = document.getElementById("onlyoffice-download-as-type");
  var button = document.getElementById("onlyoffice-download-as-submit");
  var bar = document.getElementById("onlyoffice-download-as-progress");
  var status = document.getElementById("onlyoffice-download-as-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    status.textContent = window.onlyofficeText("page.converting");
    window.onlyofficePoll(
      {
        attachmentId: main.getAttribute("data-attachment-id"),
        token: main.getAttribute("data-token"),
        fileName: name.value,
        targetFileType: type.value
      },
      function (data) {
        bar.value = data.percent || 0;
      }
    ).then(function (data) {
      bar.value = 100;
      status.textContent = window.onlyofficeText("download.downloading", {name: data.fileName});
      window.location.href = data.url;
    }).catch(function (error) {
      bar.hidden = true;
      status.textContent = window.onlyofficeText("download.failed", {error: error.message});
    }).then(function () {
      button.disabled = false;
    });
  });
})();
