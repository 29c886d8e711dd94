/* The simulator editor's comments with mentions, as the real editor drives them (protocol §1.3):
 * typing "@" and some letters in a comment asks the host for people (`onRequestUsers`, c:
 * "mention", with search/from/count), and the host answers with `setUsers({c, users})`, shown here
 * as a list to pick from; posting a comment that mentions people sends `onRequestSendNotify` with
 * {emails, actionId, actionLink, message}. Both only when the host subscribed to the event, as the
 * real editor does. Loaded before editor.js; `window.__oo_mentions` lets a test drive it without
 * typing. Names are set with textContent only. */
(function () {
    "use strict";
    var params = new URLSearchParams(window.location.search);
    var parentOrigin = params.get("parentOrigin") || "*";
    var $ = function (id) { return document.getElementById(id); };
    var PAGE = 25;
    var state = {subscribed: [], search: null, shown: [], total: null, picked: [], comments: 0, lists: []};

    function fire(event, data) {
        window.parent.postMessage(JSON.stringify({event: event, data: data}), parentOrigin);
    }
    function subscribed(event) { return state.subscribed.indexOf(event) !== -1; }

    /* Ask for people as the real editor does after "@": from 0 for a new search, else the next page. */
    function requestUsers(search, more) {
        if (!subscribed("onRequestUsers")) return false;
        if (!more) { state.search = search; state.shown = []; state.total = null; }
        fire("onRequestUsers", {c: "mention", search: state.search, from: state.shown.length, count: PAGE});
        return true;
    }
    function render() {
        var list = $("oo-people");
        while (list.firstChild) list.removeChild(list.firstChild);
        state.shown.forEach(function (user) {
            var item = document.createElement("li");
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = (user.name || "") + (user.email ? " <" + user.email + ">" : "");
            button.setAttribute("data-email", user.email || "");
            button.setAttribute("data-user-id", user.id || "");
            button.addEventListener("click", function () { pick(user); });
            item.appendChild(button);
            list.appendChild(item);
        });
        $("oo-people-more").hidden = state.total === null || state.shown.length >= state.total;
    }
    function setUsers(data) {
        state.lists.push(data);
        if (!data || data.c !== "mention") return;
        var users = Array.isArray(data.users) ? data.users : [];
        state.shown = state.shown.concat(users.filter(function (u) { return u && u.email; }));
        state.total = data.isPaginated && typeof data.total === "number" ? data.total : state.shown.length;
        render();
    }
    /* A picked person: "@Name" in the comment (the real editor shows the name, sends the e-mail). */
    function pick(user) {
        var input = $("oo-comment-text");
        input.value = input.value.replace(/@[^@\s]*$/, "") + "@" + user.name + " ";
        /* Typing goes on after the name, as in the real editor (browsers differ on where a caret
           lands in an input whose value a script replaced while a button had the focus). */
        input.focus();
        input.setSelectionRange(input.value.length, input.value.length);
        if (state.picked.indexOf(user.email) === -1) state.picked.push(user.email);
        state.shown = [];
        state.total = null;
        render();
    }
    /* Post the comment: notify everyone it still mentions. */
    function post(message, emails) {
        var text = message === undefined ? $("oo-comment-text").value : message;
        var mentioned = emails || state.picked;
        state.comments += 1;
        var id = "c" + state.comments;
        if (mentioned.length && subscribed("onRequestSendNotify")) {
            fire("onRequestSendNotify", {emails: mentioned.slice(), actionId: id,
                actionLink: {action: {type: "comment", data: id}}, message: text});
        }
        state.picked = [];
        $("oo-comment-text").value = "";
        $("oo-comment-status").textContent = "Comment posted";
        return id;
    }

    $("oo-comment-text").addEventListener("input", function () {
        var typed = /(?:^|\s)@([^@\s]*)$/.exec($("oo-comment-text").value);
        if (typed) requestUsers(typed[1], false);
    });
    $("oo-people-more").addEventListener("click", function () { requestUsers(state.search, true); });
    $("oo-comment-post").addEventListener("click", function () { post(); });
    window.addEventListener("message", function (msg) {
        if (msg.source !== window.parent || (parentOrigin !== "*" && msg.origin !== parentOrigin)) return;
        var data;
        try { data = typeof msg.data === "string" ? JSON.parse(msg.data) : msg.data; } catch (e) { return; }
        if (!data || typeof data !== "object") return;
        if (data.command === "init") state.subscribed = (data.data && data.data.subscribed) || [];
        else if (data.command === "setUsers") setUsers(data.data);
    }, false);
    window.__oo_mentions = {
        type: function (search) { return requestUsers(search, false); },
        more: function () { return requestUsers(state.search, true); },
        post: post,
        state: state
    };
})();
