/* The page's texts, in its language: the gateway renders them (gateway/onlyoffice/messages.yaml)
 * as JSON in `script#onlyoffice-messages`; `onlyofficeText(id, {name: ...})` fills the
 * {placeholders}. The result is plain text, for textContent only. Same-origin file (CSP). */
(function () {
  "use strict";
  var texts = {};
  var holder = document.getElementById("onlyoffice-messages");
  try {
    texts = holder ? JSON.parse(holder.textContent) || {} : {};
  } catch (error) {
    texts = {};
  }
  window.onlyofficeText = function (id, values) {
    var template = Object.prototype.hasOwnProperty.call(texts, id) ? String(texts[id]) : id;
    return template.replace(/\{([a-z]+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  };
})();
