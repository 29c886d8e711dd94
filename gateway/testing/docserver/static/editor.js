/* The simulator's editor page (inside the iframe api.js creates). Everything shown is set with
 * textContent, never innerHTML, so titles and user names cannot inject markup. */
(function () {
    "use strict";
    var params = new URLSearchParams(window.location.search);
    var parentOrigin = params.get("parentOrigin") || "*";
    var base = window.location.pathname.slice(0, window.location.pathname.indexOf("/web-apps/"));
    var $ = function (id) { return document.getElementById(id); };
    var state = {connection: null, key: null, subscribed: [], mode: null, timer: null, closed: false};

    function toParent(msg) {
        window.parent.postMessage(JSON.stringify(msg), parentOrigin);
    }
    function fire(event, data) {
        toParent({event: event, data: data === undefined ? null : data});
    }
    function subscribed(event) { return state.subscribed.indexOf(event) !== -1; }
    function url(action) { return base + "/doc/" + encodeURIComponent(state.key) + "/c/" + action; }
    function call(action, body) {
        return fetch(url(action), {
            method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify(Object.assign({connection: state.connection}, body || {}))
        }).then(function (r) { return r.json(); });
    }
    function showError(code, description) {
        var box = $("oo-error");
        box.textContent = description + " (" + code + ")";
        box.hidden = false;
        $("oo-editing").hidden = true;
        $("oo-save").hidden = true;
        fire("onError", {errorCode: code, errorDescription: description});
    }
    function showWarning(text) {
        var box = $("oo-warning");
        box.textContent = text;
        box.hidden = !text;
    }
    function renderUsers(users) {
        var list = $("oo-users");
        while (list.firstChild) list.removeChild(list.firstChild);
        (users || []).forEach(function (u) {
            var li = document.createElement("li");
            li.textContent = (u.name || u.id || "Anonymous") + (u.mode === "view" ? " (viewing)" : "");
            li.setAttribute("data-user-id", u.id || "");
            list.appendChild(li);
        });
    }
    function renderMode(mode) {
        state.mode = mode;
        $("oo-mode").textContent = mode;
        $("oo-editing").hidden = mode !== "edit";
        $("oo-save").hidden = mode !== "edit";
        if (mode !== "edit") {
            var input = $("oo-input");
            if (input) input.parentNode.removeChild(input);
        }
    }
    function render(data) {
        if (data.title !== undefined) { $("oo-title").textContent = data.title; document.title = data.title; }
        if (data.mode !== undefined && data.mode !== state.mode) renderMode(data.mode);
        if (data.text !== undefined) $("oo-text").textContent = data.text;
        if (data.users !== undefined) renderUsers(data.users);
    }
    function poll() {
        if (state.closed || !state.connection) return;
        fetch(url("state") + "?connection=" + encodeURIComponent(state.connection))
            .then(function (r) { return r.json(); })
            .then(function (data) {
                if (data.closed) { state.closed = true; return; }
                render(data);
                (data.messages || []).forEach(function (m) {
                    if (m.type === "metaChange") fire("onMetaChange", {title: m.title, favorite: m.favorite});
                    if (m.type === "drop") showWarning("You have been disconnected from editing; you can still view.");
                });
            })
            .catch(function () {})
            .then(function () { if (!state.closed) state.timer = setTimeout(poll, 1000); });
    }
    function open(config) {
        state.key = (config.document && config.document.key) || "unknown";
        fire("onAppReady");
        fetch(url("open"), {method: "POST", headers: {"Content-Type": "application/json"},
                            body: JSON.stringify({config: config})})
            .then(function (r) { return r.json(); })
            .then(function (data) {
                if (data.error) { showError(data.error.code, data.error.description); return; }
                state.connection = data.connection;
                state.key = data.key;
                render(data);
                renderMode(data.mode);
                if (data.warning) showWarning(data.warning);
                if (data.outdated) {
                    if (subscribed("onRequestRefreshFile")) fire("onRequestRefreshFile");
                    else fire("onOutdatedVersion");
                }
                fire("onDocumentReady");
                state.timer = setTimeout(poll, 1000);
            })
            .catch(function (e) { showError(-1, "Unknown error: " + e); });
    }
    function close() {
        if (state.connection && !state.closed) {
            state.closed = true;
            navigator.sendBeacon(url("close"), JSON.stringify({connection: state.connection}));
        }
    }

    $("oo-append").addEventListener("click", function () {
        var input = $("oo-input");
        if (!input || !input.value) return;
        var text = input.value;
        call("append", {text: text}).then(function (data) {
            if (data.error) { showError(data.error.code, data.error.description); return; }
            input.value = "";
            render({text: data.text});
            fire("onDocumentStateChange", true);
            fire("onDocumentStateChange", false);
        });
    });
    $("oo-save").addEventListener("click", function () {
        call("save").then(function (data) {
            $("oo-status").textContent = data.saved ? "Saved" : "Nothing to save";
        });
    });
    $("oo-close").addEventListener("click", function () {
        if (state.connection && !state.closed) {
            state.closed = true;
            call("close").catch(function () {});
        }
        $("oo-status").textContent = "Closed";
        $("oo-editing").hidden = true;
        $("oo-save").hidden = true;
        if (subscribed("onRequestClose")) fire("onRequestClose");
    });
    window.addEventListener("pagehide", close);
    window.addEventListener("message", function (msg) {
        if (msg.source !== window.parent || (parentOrigin !== "*" && msg.origin !== parentOrigin)) return;
        var data;
        try { data = typeof msg.data === "string" ? JSON.parse(msg.data) : msg.data; } catch (e) { return; }
        if (!data || typeof data !== "object") return;
        if (data.command === "init") {
            state.subscribed = (data.data && data.data.subscribed) || [];
            open((data.data && data.data.config) || {});
        } else if (data.command === "requestClose") {
            if (subscribed("onRequestClose")) fire("onRequestClose");
        } else if (data.command === "showMessage") {
            showWarning(String(data.data || ""));
        }
    }, false);
    toParent({type: "internal:ready"});
})();
