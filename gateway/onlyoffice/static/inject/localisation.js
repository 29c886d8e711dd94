/* -- localisation: the link labels and titles in the user's Confluence language ----------- */

/* Labels and titles come from the gateway (gateway/onlyoffice/messages.yaml), in the user's
 * Confluence language, as JSON in the script tag's `data-onlyoffice-messages`; these English
 * ones are only for a copy of the script loaded without it. */
var ENGLISH = {
  "link.edit": "Edit in ONLYOFFICE",
  "link.view": "View in ONLYOFFICE",
  "link.convert": "Convert using ONLYOFFICE",
  "link.download": "Download As",
  "title.edit": "Edit {name} in ONLYOFFICE",
  "title.view": "View {name} in ONLYOFFICE",
  "title.convert": "Convert {name} to {target}",
  "title.download": "Download {name} as another format",
};
var TEXTS = messages();

function messages() {
  var given = null;
  try {
    given = ownScript ? JSON.parse(ownScript.getAttribute("data-onlyoffice-messages") || "null") : null;
  } catch (error) {
    given = null;
  }
  var texts = {};
  Object.keys(ENGLISH).forEach(function (id) {
    var value = given && typeof given === "object" ? given[id] : undefined;
    texts[id] = typeof value === "string" ? value : ENGLISH[id];
  });
  return texts;
}

/* A message with its {placeholders} filled (the result goes into textContent or an attribute). */
function text(id, values) {
  return TEXTS[id].replace(/\{([a-z]+)\}/g, function (whole, name) {
    return Object.prototype.hasOwnProperty.call(values || {}, name) ? String(values[name]) : whole;
  });
}

/* The user's Confluence locale (`ajs-user-locale`, e.g. en_GB): the editor opens in that
 * language, as with the plugin, rather than the browser's. */
function userLocale() {
  var meta = document.querySelector('meta[name="ajs-user-locale"]');
  var value = meta ? meta.getAttribute("content") || "" : "";
  return /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$/.test(value) ? value : null;
}
