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
    /* A small socket.io 4 client over the WebSocket transport (engine.io v4): the server opens with
     * 0{sid,pingInterval,pingTimeout,…}, we connect the namespace with "40", it answers 40{sid};
     * it pings ("2"), we pong ("3"); our messages are `message` events: 42["message",{…}].
     * A transport that goes away without the server's DISCONNECT ("41") is reconnected with
     * socket.io's backoff (the real editor: 15 attempts, 500 ms doubling to 10 s, jitter 0.5, or
     * what the server's auth answer says in settings.reconnection), opening the same key again. */
    var io = {
        ws: null, connected: false, serverDisconnect: false, pingTimer: null, pingWindow: 45000,
        attempts: 0, reconnectionAttempts: 15, reconnectionDelay: 500, reconnectionDelayMax: 10000,
        randomizationFactor: 0.5, reconnecting: false, queue: [], config: null, session: null, opened: false,
        ready: false
    };
    function emit(message) {
        if (io.ws && io.connected && io.ws.readyState === WebSocket.OPEN) {
            io.ws.send("42" + JSON.stringify(["message", message]));
            return true;
        }
        return false;
    }
    /* A message from the UI: sent now, or kept until the socket is back while reconnecting. */
    function send(message) {
        if (io.opened && emit(message)) return true;
        if (io.reconnecting) { io.queue.push(message); return true; }
        return false;
    }
    function resetPingTimer() {
        clearTimeout(io.pingTimer);
        io.pingTimer = setTimeout(function () {
            // No ping within pingInterval + pingTimeout: the server is gone ("ping timeout").
            if (io.ws) io.ws.close();
        }, io.pingWindow);
    }
    function backoff() {
        var ms = io.reconnectionDelay * Math.pow(2, io.attempts++);
        if (io.randomizationFactor) {
            var rand = Math.random();
            var deviation = Math.floor(rand * io.randomizationFactor * ms);
            ms = (Math.floor(rand * 10) & 1) === 0 ? ms - deviation : ms + deviation;
        }
        return Math.min(ms, io.reconnectionDelayMax) | 0;
    }
    function onPacket(text) {
        var kind = text.charAt(0);
        if (kind === "0") {
            var handshake = JSON.parse(text.slice(1));
            io.pingWindow = handshake.pingInterval + handshake.pingTimeout;
            resetPingTimer();
            io.ws.send("40");
        } else if (kind === "2") {
            resetPingTimer();
            io.ws.send("3");
        } else if (kind === "1") {
            io.ws.close();
        } else if (text.slice(0, 2) === "40") {
            io.connected = true;
            // A reconnect shows the session token the server gave at the first open (its config
            // token may have expired since); JSON leaves `session` out while there is none.
            emit({type: "open", config: io.config, session: io.session || undefined});
        } else if (text.slice(0, 2) === "41") {
            io.serverDisconnect = true;
        } else if (text.slice(0, 2) === "44") {
            io.serverDisconnect = true;
            showError(-1, "Connection refused: " + text.slice(2));
        } else if (text.slice(0, 2) === "42") {
            var packet = JSON.parse(text.slice(2));
            if (packet[0] === "message" && packet[1] && typeof packet[1] === "object") receive(packet[1]);
        }
    }
    function connect() {
        if (state.closed) return;  // closed by the user while a reconnect was pending
        var socket;
        try {
            socket = new WebSocket(socketUrl(state.key));
        } catch (e) {
            showError(-1, "Unknown error: " + e);
            return;
        }
        io.ws = state.socket = socket;
        io.connected = false;
        io.opened = false;
        io.serverDisconnect = false;
        socket.onmessage = function (event) {
            if (typeof event.data !== "string") return;
            try { onPacket(event.data); } catch (e) { socket.close(); }
        };
        socket.onclose = onClose;
    }
    function reconnect(code) {
        if (io.attempts >= io.reconnectionAttempts) {  // socket.io's "reconnect_failed"
            io.reconnecting = false;
            io.queue = [];
            state.closed = true;
            showLost(code);
            return;
        }
        io.reconnecting = true;
        $("oo-status").textContent = "Reconnecting…";
        setTimeout(connect, backoff());
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
        var reconnection = data.settings && data.settings.reconnection;
        if (reconnection) {
            io.reconnectionAttempts = reconnection.attempts;
            io.reconnectionDelay = io.reconnectionDelayMax = reconnection.delay;
        }
        io.opened = true;
        io.attempts = 0;
        if (data.jwt) io.session = data.jwt;
        render(data);
        renderMode(data.mode);
        if (data.warning) showWarning(data.warning);
        if (data.outdated) {
            if (subscribed("onRequestRefreshFile")) fire("onRequestRefreshFile");
            else fire("onOutdatedVersion");
        }
        if (io.reconnecting) {
            io.reconnecting = false;
            $("oo-status").textContent = "Reconnected";
            var queued = io.queue;
            io.queue = [];
            queued.forEach(function (message) { emit(message); });
        }
        if (!io.ready) {
            io.ready = true;
            fire("onDocumentReady");
        }
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
        clearTimeout(io.pingTimer);
        io.ws = state.socket = null;
        io.connected = io.opened = false;
        if (state.closed) return;
        var explicit = io.serverDisconnect || (event.code >= 4004 && event.code <= 4008);
        if (!explicit && !state.failed) {
            reconnect(event.code);
            return;
        }
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
        io.config = config;
        fire("onAppReady");
        connect();
    }
    function close() {
        if (!state.closed && io.opened && emit({type: "close"})) state.closed = true;
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
