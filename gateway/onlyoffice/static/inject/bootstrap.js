/* -- bootstrap: one scan (find, ask, insert), the observer that repeats it, the first run -- */

function apply(refs, preview) {
  refs.forEach(function (ref) {
    var decision = decisionFor(ref);
    if (!decision) {
      return;
    }
    if (ref.menu) {
      insertMenuItems(ref.menu, ref, decision);
    } else {
      insertLinks(ref, decision);
    }
  });
  if (preview && decisions.has(preview.id)) {
    var shown = decisions.get(preview.id) || NOTHING;
    insertPreviewButton(preview, shown);
    insertPreviewMenuItems(preview, shown);
  }
}

function run() {
  timer = null;
  relabelServerLinks();
  learnFromServerLinks();
  var refs = [];
  rowReferences(refs);
  embeddedReferences(refs);
  var preview = previewReference();
  var wanted = refs.filter(function (ref) {
    return decisionFor(ref) === undefined;
  }).map(function (ref) {
    return ref.id;
  });
  if (preview) {
    wanted.push(preview.id);
  }
  var unknown = Array.from(new Set(wanted)).filter(function (id) {
    return !decisions.has(id) && !inFlight.has(id);
  });
  apply(refs, preview);
  if (unknown.length) {
    ask(unknown).then(function (answered) {
      if (answered) {
        schedule(); // show the answers, and look again: the DOM may have changed while asking
      }
    });
  }
}

window.onlyofficeGatewayInject = { rescan: schedule };
new MutationObserver(observed).observe(document.documentElement, {
  childList: true,
  subtree: true,
  attributes: true,
  attributeFilter: ["href", "data-attachment-id", "data-linked-resource-id"],
});
run();
