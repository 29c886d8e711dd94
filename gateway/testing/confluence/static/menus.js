/*
 * Confluence simulator: AUI dropdown2 behaviour on the simulator's pages.
 *
 * A same-origin file (not inline), so the pages work under Confluence 10's script-src policy and
 * the gateway's script sees menus behave as on a real instance:
 * - a click on a trigger (`[aria-owns]` naming a `.aui-dropdown2`) opens or closes its menu and
 *   sets `aria-expanded`; opening one closes the others; a click elsewhere, a click on an item, or
 *   Escape closes them all (AUI's behaviour);
 * - a menu carrying `data-sim-sections` (JSON `[{"id", "class", "items": [{"id", "class", "href",
 *   "title", "text"}]}]`) models the menus Confluence builds in the browser (the file viewer's
 *   "More" menu; the React/AJAX menus of newer DC builds): its `ul` lists are created each time it
 *   opens and removed when it closes, as a React component mounts and unmounts its menu.
 */
(function () {
  "use strict";

  var LAZY = "data-sim-sections";
  var BUILT = "data-sim-built";
  var ITEM_ATTRIBUTES = ["id", "class", "href", "title"];

  function menuOf(trigger) {
    var menu = document.getElementById(trigger.getAttribute("aria-owns") || "");
    return menu && menu.classList.contains("aui-dropdown2") ? menu : null;
  }

  function build(menu) {
    var sections;
    try {
      sections = JSON.parse(menu.getAttribute(LAZY) || "[]");
    } catch (error) {
      return;
    }
    sections.forEach(function (section) {
      var wrapper = document.createElement("div");
      wrapper.setAttribute("class", "aui-dropdown2-section");
      wrapper.setAttribute(BUILT, "");
      var list = document.createElement("ul");
      if (section.id) {
        list.setAttribute("id", section.id);
      }
      if (section["class"]) {
        list.setAttribute("class", section["class"]);
      }
      (section.items || []).forEach(function (item) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        ITEM_ATTRIBUTES.forEach(function (name) {
          if (item[name]) {
            a.setAttribute(name, item[name]);
          }
        });
        a.textContent = item.text || "";
        li.appendChild(a);
        list.appendChild(li);
      });
      wrapper.appendChild(list);
      menu.appendChild(wrapper);
    });
  }

  function isOpen(menu) {
    return !menu.classList.contains("hidden");
  }

  function close(menu) {
    menu.classList.add("hidden");
    document.querySelectorAll('[aria-owns="' + menu.id + '"]').forEach(function (trigger) {
      trigger.setAttribute("aria-expanded", "false");
    });
    if (menu.hasAttribute(LAZY)) {
      menu.querySelectorAll("[" + BUILT + "]").forEach(function (built) {
        built.remove();
      });
    }
  }

  function closeAll() {
    document.querySelectorAll(".aui-dropdown2:not(.hidden)").forEach(close);
  }

  function open(trigger, menu) {
    closeAll();
    if (menu.hasAttribute(LAZY)) {
      build(menu);
    }
    menu.classList.remove("hidden");
    trigger.setAttribute("aria-expanded", "true");
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var trigger = target ? target.closest("[aria-owns]") : null;
    var menu = trigger ? menuOf(trigger) : null;
    if (menu) {
      event.preventDefault();
      if (isOpen(menu)) {
        close(menu);
      } else {
        open(trigger, menu);
      }
      return;
    }
    // After the click's own default action (following an item's link needs it still attached).
    setTimeout(closeAll, 0);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeAll();
    }
  });
})();
