/* -- menus: `li > a` items in rows' dropdowns and the preview's "More" menu --------------- */

/* `li > a` items at the top of a dropdown's list (same as rewrite.py menu_markup). */
function insertMenuItems(list, ref, decision) {
  var first = list.firstChild;
  anchors(ref, decision).forEach(function (a) {
    var li = document.createElement("li");
    li.setAttribute("class", "onlyoffice-menu-item");
    li.setAttribute(MARKER, "menu");
    li.setAttribute("data-attachment-id", ref.id);
    li.appendChild(a);
    list.insertBefore(li, first);
  });
}

/* The preview's "More" menu holds items for the previewed file only. */
function insertPreviewMenuItems(ref, decision) {
  var list = ref.menu;
  if (!list) {
    return;
  }
  var current = false;
  list.querySelectorAll("[" + MARKER + "]").forEach(function (item) {
    if (item.getAttribute("data-attachment-id") === ref.id) {
      current = true;
    } else {
      item.remove(); // the preview moved to another file
    }
  });
  if (!current) {
    insertMenuItems(list, ref, decision);
  }
}

/* Menus built on open get their items from known answers at once, in the observer's microtask:
 * before the browser paints the open menu, so the menu does not jump when the items arrive. */
function fillMenus() {
  var refs = [];
  rowReferences(refs);
  refs.forEach(function (ref) {
    var decision = ref.menu ? decisionFor(ref) : null;
    if (decision) {
      insertMenuItems(ref.menu, ref, decision);
    }
  });
  var preview = previewReference();
  if (preview && preview.menu && decisions.has(preview.id)) {
    insertPreviewMenuItems(preview, decisions.get(preview.id) || NOTHING);
  }
}
