/* ONLYOFFICE Document Server simulator: DocsAPI.DocEditor, validating configs like the real api.js.
 * Where the real script alert()s, this one throws (and records the message in window.__docsapi_errors)
 * so tests see the failure. Method calls are recorded in window.__docsapi_calls.
 */
(function (window, document) {
    "use strict";

    var VERSION = "__DS_VERSION__";
    var script = document.currentScript;
    var scriptUrl = new URL(script ? script.src : "/web-apps/apps/api/documents/api.js", window.location.href);
    var marker = "/web-apps/apps/api/documents/api.js";
    var basePath = scriptUrl.pathname.slice(0, scriptUrl.pathname.lastIndexOf(marker));
    var serverOrigin = scriptUrl.origin;

    window.__docsapi_calls = window.__docsapi_calls || [];
    window.__docsapi_errors = window.__docsapi_errors || [];
    window.__docsapi_events = window.__docsapi_events || [];
    window.__docsapi_editors = window.__docsapi_editors || [];

    var DOCUMENT_TYPES = {
        word: "docx", cell: "xlsx", slide: "pptx", pdf: "pdf", diagram: "vsdx",
        text: "docx", spreadsheet: "xlsx", presentation: "pptx"
    };
    var LEGACY_TYPES = {text: "word", spreadsheet: "cell", presentation: "slide"};
    var FILE_TYPE = new RegExp("^(?:(pdf|djvu|xps|oxps)|" +
        "(doc|docx|doct|odt|gdoc|txt|rtf|mht|htm|html|mhtml|epub|docm|dot|dotm|dotx|fodt|ott|fb2|xml|oform|docxf|hwp|hwpx|md)|" +
        "(xls|xlsx|xlst|ods|gsheet|csv|xlsm|xlt|xltm|xltx|fods|ots|xlsb|numbers)|" +
        "(pps|ppsx|ppt|pptx|pptt|odp|gslides|pot|potm|potx|ppsm|pptm|fodp|otp|key|odg)|" +
        "(vsdx|vssx|vstx|vsdm|vssm|vstm))$");
    var KEY_CHARS = /^[0-9a-zA-Z\-._=]{1,128}$/;
    var METHODS = [
        "showMessage", "processSaveResult", "processRightsChange", "denyEditingRights", "refreshHistory",
        "setHistoryData", "setEmailAddresses", "setActionLink", "processMailMerge", "downloadAs",
        "serviceCommand", "attachMouseEvents", "detachMouseEvents", "setUsers", "insertImage",
        "setMailMergeRecipients", "setRevisedFile", "setFavorite", "requestClose", "grabFocus", "blurFocus",
        "setReferenceData", "setRequestedDocument", "setRequestedSpreadsheet", "setReferenceSource",
        "refreshFile", "setSharingSettings", "startFilling", "requestRoles"
    ];

    // Methods whose argument must carry a `token` signed over it (protocol section 3.3); the real
    // server refuses them without one. An `{error}` answer (setHistoryData) carries no file to sign.
    var SIGNED = ["insertImage", "setHistoryData", "setReferenceData", "setRequestedDocument",
        "setRequestedSpreadsheet", "setRevisedFile", "setMailMergeRecipients", "refreshFile"];
    var JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

    function unsigned(name, arg) {
        if (SIGNED.indexOf(name) === -1 || !arg || typeof arg !== "object" || arg.error !== undefined) return false;
        return typeof arg.token !== "string" || !JWT_SHAPE.test(arg.token);
    }

    function fail(message) {
        window.__docsapi_errors.push(message);
        throw new Error(message);
    }

    function appFor(config) {
        var type = config.document.fileType;
        if (type === "pdf") {
            if (config.document.isForm === true) return "documenteditor";
            if (config.document.isForm === false) return "pdfeditor";
            return "common";
        }
        var m = FILE_TYPE.exec(type || "");
        if (/^(djvu|xps|oxps)$/.test(type || "")) return "pdfeditor";
        if (/^(docxf|oform)$/.test(type || "")) return "documenteditor";
        var byDoc = {word: "documenteditor", cell: "spreadsheeteditor", slide: "presentationeditor",
                     pdf: "pdfeditor", diagram: "visioeditor"};
        if (config.documentType && byDoc[config.documentType]) return byDoc[config.documentType];
        if (m) {
            if (m[2]) return "documenteditor";
            if (m[3]) return "spreadsheeteditor";
            if (m[4]) return "presentationeditor";
            if (m[5]) return "visioeditor";
            return "pdfeditor";
        }
        return "documenteditor";
    }

    function checkConfig(config) {
        if (!config || typeof config !== "object" || !config.document || typeof config.document !== "object") {
            fail("One or more required parameter for the config object is not set");
        }
        var doc = config.document;
        var hasFileType = typeof doc.fileType === "string" && doc.fileType !== "";
        var hasDocType = typeof config.documentType === "string" && config.documentType !== "";
        if (!doc.url || (!hasFileType && !hasDocType)) {
            fail("One or more required parameter for the config object is not set");
        }
        if (hasDocType) {
            var docType = config.documentType.toLowerCase();
            if (!Object.prototype.hasOwnProperty.call(DOCUMENT_TYPES, docType)) {
                fail("The \"documentType\" parameter for the config object is invalid. Please correct it.");
            }
            if (LEGACY_TYPES[docType]) {
                console.warn("The \"documentType\" parameter for the config object must take one of the " +
                    "values word/cell/slide/pdf/diagram.");
                config.documentType = LEGACY_TYPES[docType];
            }
            if (!hasFileType) doc.fileType = DOCUMENT_TYPES[docType];
        }
        doc.fileType = String(doc.fileType).toLowerCase();
        if (!FILE_TYPE.test(doc.fileType)) {
            fail("The \"document.fileType\" parameter for the config object is invalid. Please correct it.");
        }
        if (!doc.title) doc.title = "Unnamed." + doc.fileType;
        if (doc.key === undefined || doc.key === null || doc.key === "") {
            var rnd = "";
            for (var i = 0; i < 20; i++) rnd += Math.floor(Math.random() * 16).toString(16);
            doc.key = rnd;
        } else if (typeof doc.key !== "string") {
            fail("The \"document.key\" parameter for the config object is invalid. Please correct it.");
        } else if (!KEY_CHARS.test(doc.key)) {
            fail("The \"document.key\" parameter for the config object is invalid. Please correct it.");
        }
        var user = config.editorConfig && config.editorConfig.user;
        if (user && typeof user.id === "number") {
            user.id = String(user.id);
            console.warn("The \"id\" parameter for the editorConfig.user object must be a string.");
        }
        if (config.token) doc.token = config.token;
        return true;
    }

    function DocEditor(placeholderId, config) {
        if (!(this instanceof DocEditor)) return new DocEditor(placeholderId, config);
        var self = this;
        config = config || {};
        var events = config.events || {};
        checkConfig(config);
        var placeholder = document.getElementById(placeholderId);
        if (!placeholder) fail("The placeholder element \"" + placeholderId + "\" is not found.");

        var sent = {};
        Object.keys(config).forEach(function (name) {
            if (name !== "events") sent[name] = config[name];
        });
        var subscribed = Object.keys(events).filter(function (name) { return typeof events[name] === "function"; });

        var app = appFor(config);
        var kind = config.type === "mobile" ? "mobile" : (config.type === "embedded" ? "embed" : "main");
        var src = serverOrigin + basePath + "/web-apps/apps/" + app + "/" + kind + "/index.html" +
            "?_dc=" + encodeURIComponent(VERSION) + "&frameEditorId=" + encodeURIComponent(placeholderId) +
            "&parentOrigin=" + encodeURIComponent(window.location.origin);
        var iframe = document.createElement("iframe");
        iframe.name = "frameEditor";
        iframe.id = placeholderId;
        iframe.src = src;
        iframe.setAttribute("allowfullscreen", "");
        iframe.setAttribute("allow", "autoplay; camera; microphone; display-capture; clipboard-write");
        iframe.style.width = config.width || "100%";
        iframe.style.height = config.height || "100%";
        iframe.style.border = "0";
        placeholder.parentNode.replaceChild(iframe, placeholder);

        function post(command, data) {
            if (iframe.contentWindow) {
                iframe.contentWindow.postMessage(JSON.stringify({command: command, data: data}), serverOrigin);
            }
        }

        function fire(name, data) {
            window.__docsapi_events.push({event: name, data: data === undefined ? null : data});
            var handler = events[name];
            if (typeof handler === "function") handler({target: self, data: data});
        }

        function onMessage(msg) {
            if (msg.source !== iframe.contentWindow || msg.origin !== serverOrigin) return;
            var data;
            try { data = typeof msg.data === "string" ? JSON.parse(msg.data) : msg.data; } catch (e) { return; }
            if (!data || typeof data !== "object") return;
            if (data.type === "internal:ready") {
                post("init", {config: sent, subscribed: subscribed});
            } else if (typeof data.event === "string") {
                fire(data.event, data.data);
            }
        }
        window.addEventListener("message", onMessage, false);

        METHODS.forEach(function (name) {
            self[name] = function () {
                var args = Array.prototype.slice.call(arguments);
                window.__docsapi_calls.push({method: name, args: args});
                if (unsigned(name, args[0])) {
                    window.__docsapi_errors.push("The \"" + name + "\" argument has no signed token; the Document Server refuses it.");
                    return;
                }
                post(name, args.length > 1 ? args : args[0]);
            };
        });
        this.destroyEditor = function () {
            window.__docsapi_calls.push({method: "destroyEditor", args: []});
            window.removeEventListener("message", onMessage, false);
            if (iframe.parentNode) {
                var div = document.createElement("div");
                div.id = placeholderId;
                iframe.parentNode.replaceChild(div, iframe);
            }
        };
        this.__fireEvent = fire;
        this.__iframe = iframe;
        window.__docsapi_editors.push(this);
    }

    DocEditor.version = function () { return VERSION; };
    DocEditor.warmUp = function () {};
    window.__docsapi_fire = function (name, data) {
        var editors = window.__docsapi_editors;
        if (editors.length) editors[editors.length - 1].__fireEvent(name, data);
    };

    window.DocsAPI = window.DocsAPI || {};
    window.DocsAPI.DocEditor = DocEditor;
})(window, document);
