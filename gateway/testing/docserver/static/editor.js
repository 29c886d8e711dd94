/* The simulator's editor page (inside the iframe api.js creates). Everything shown is set with
 * textContent, never innerHTML, so titles and user names cannot inject markup. */
(function () {
    "use strict";
    var params = new URLSearchParams(window.location.search);
    var parentOrigin = params.get("parentOrigin") || "*";
    var base = window.location.pathname.slice(0, window.location.pathname.indexOf("/web-apps/"));
    var $ = function (id) { return document.getElementById(id); };
    var state = {connection: null, key: null, subscribed: [], mode: null, socket: null, closed: false, failed: false};

    function toParent(msg) {
        window.parent.postMessage(JSON.stringify(msg), parentOrigin);
    }
    function fire(event, data) {
        toParent({event: event, data: data === undefined ? null : data});
    }
    function subscribed(event) { return state.subscribed.indexOf(event) !== -1; }
    /* The co-editing socket, built from this page's own URL so it follows any path prefix. */
    function socketUrl(key) {
        var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
        return scheme + "//" + window.location.host + base + "/doc/" + encodeURIComponent(key) +
            "/c/?EIO=4&transport=websocket";
    }
    function send(message) {
        if (state.socket && state.socket.readyState === WebSocket.OPEN) {
            state.socket.send(JSON.stringify(message));
            return true;
        }
        return false;
    }
    function stopEditing() {
        $("oo-editing").hidden = true;
        $("oo-save").hidden = true;
    }
    function showError(code, description) {
        var box = $("oo-error");
        box.textContent = description + " (" + code + ")";
        box.hidden = false;
        state.failed = true;
        stopEditing();
        fire("onError", {errorCode: code, errorDescription: description});
    }
    function showLost(code) {
        var box = $("oo-lost");
        box.textContent = "Connection lost (" + code + "). Changes made now are not saved; reload the page.";
        box.hidden = false;
        $("oo-status").textContent = "Connection lost";
        stopEditing();
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
    function opened(data) {
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
    }
    function receive(data) {
        if (data.type === "opened") opened(data);
        else if (data.type === "state") render(data);
        else if (data.type === "error") showError(data.code, data.description);
        else if (data.type === "metaChange") fire("onMetaChange", {title: data.title, favorite: data.favorite});
        else if (data.type === "drop") showWarning("You have been disconnected from editing; you can still view.");
        else if (data.type === "saved") $("oo-status").textContent = data.saved ? "Saved" : "Nothing to save";
        else if (data.type === "closed") { state.closed = true; $("oo-status").textContent = "Closed"; stopEditing(); }
        else if (data.type === "appended") {
            var input = $("oo-input");
            if (input) input.value = "";
            render({text: data.text});
            fire("onDocumentStateChange", true);
            fire("onDocumentStateChange", false);
        }
    }
    function onClose(event) {
        state.socket = null;
        if (state.closed) return;
        state.closed = true;
        if (event.code === 4008) {
            showWarning("The file version has been changed. The page will be reloaded.");
            stopEditing();
        } else if (event.code === 4004 || event.code === 4005 || event.code === 4006) {
            if (!state.failed) showError(-20, "The document security token is not valid (" + event.code + ").");
        } else if (!state.failed) {
            showLost(event.code);
        }
    }
    function open(config) {
        state.key = (config.document && config.document.key) || "unknown";
        fire("onAppReady");
        var socket;
        try {
            socket = new WebSocket(socketUrl(state.key));
        } catch (e) {
            showError(-1, "Unknown error: " + e);
            return;
        }
        state.socket = socket;
        socket.onopen = function () { send({type: "open", config: config}); };
        socket.onmessage = function (event) {
            var data;
            try { data = JSON.parse(event.data); } catch (e) { return; }
            if (data && typeof data === "object") receive(data);
        };
        socket.onclose = onClose;
    }
    function close() {
        if (!state.closed && send({type: "close"})) state.closed = true;
    }

    $("oo-append").addEventListener("click", function () {
        var input = $("oo-input");
        if (!input || !input.value) return;
        if (!send({type: "append", text: input.value})) showLost("not connected");
    });
    $("oo-save").addEventListener("click", function () {
        if (!send({type: "save"})) showLost("not connected");
    });
    $("oo-close").addEventListener("click", function () {
        close();
        state.closed = true;
        $("oo-status").textContent = "Closed";
        stopEditing();
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
