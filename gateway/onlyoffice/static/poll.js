/* Polling a conversion, for the Convert and Download As pages: POST the same JSON to the page's own
 * URL every second until the answer says `done`. Resolves with that answer; rejects with an Error
 * whose message is the gateway's (`error`), at once for a 4xx (the file or the request is the
 * problem: asking again changes nothing), after three failures in a row otherwise.
 * Same-origin file, no inline script (CSP). */
(function () {
  "use strict";
  window.onlyofficePoll = function (body, onProgress) {
    var payload = JSON.stringify(body);
    var failures = 0;
    return new Promise(function (resolve, reject) {
      function step() {
        fetch(window.location.pathname, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Accept": "application/json" },
          body: payload
        }).then(function (response) {
          var parsed = response.json();
          // A proxy in front may answer an error page that is not JSON: keep the status, drop the body.
          if (!response.ok) { parsed = parsed.catch(function () { return {}; }); }
          return parsed.then(function (data) { return { ok: response.ok, status: response.status, data: data || {} }; });
        }).then(function (result) {
          if (!result.ok) {
            var failure = new Error(result.data.error || window.onlyofficeText("page.request_failed", {status: result.status}));
            failure.final = result.status >= 400 && result.status < 500;
            throw failure;
          }
          failures = 0;
          if (result.data.done) {
            resolve(result.data);
            return;
          }
          onProgress(result.data);
          window.setTimeout(step, 1000);
        }).catch(function (error) {
          failures += 1;
          if (error.final || failures >= 3) {
            reject(error);
            return;
          }
          window.setTimeout(step, 2000);
        });
      }
      step();
    });
  };
})();
