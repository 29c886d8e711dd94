/* The conversion page: POST to the same URL every second until the Document Server is done,
 * then open the converted document in the editor. Same-origin file, no inline script (CSP). */
(function () {
  "use strict";
  var main = document.getElementById("onlyoffice-convert");
  var bar = document.getElementById("onlyoffice-convert-progress");
  var status = document.getElementById("onlyoffice-convert-status");
  var body = JSON.stringify({ attachmentId: main.getAttribute("data-attachment-id"), csrf: main.getAttribute("data-csrf") });
  var failures = 0;
  function step() {
    fetch(window.location.pathname, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: body
    }).then(function (response) {
      var parsed = response.json();
      // A proxy in front may answer an error page that is not JSON: keep the status, drop the body.
      if (!response.ok) { parsed = parsed.catch(function () { return {}; }); }
      return parsed.then(function (data) { return { ok: response.ok, status: response.status, data: data }; });
    }).then(function (result) {
      var data = result.data || {};
      if (!result.ok) {
        var failure = new Error(data.error || "conversion failed");
        // 4xx: the file or the request is the problem (password, damaged file, no permission); asking again changes nothing.
        failure.final = result.status >= 400 && result.status < 500;
        throw failure;
      }
      if (data.done) {
        bar.value = 100;
        status.textContent = "Done: " + data.title;
        window.location.href = data.editorUrl;
        return;
      }
      bar.value = data.percent || 0;
      status.textContent = "Converting…";
      window.setTimeout(step, 1000);
    }).catch(function (error) {
      failures += 1;
      if (error.final || failures >= 3) {
        status.textContent = "The document could not be converted: " + error.message;
        return;
      }
      window.setTimeout(step, 2000);
    });
  }
  step();
})();
