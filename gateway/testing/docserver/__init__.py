"""The ONLYOFFICE Document Server simulator (`onlyoffice-gateway simulate docserver`).

Built from shared/reference/documentserver-protocol.md: api.js and a small editor, co-editing
sessions with the real callback statuses, retries and forgotten files, signed cache links, the
conversion and command services, `/downloadfile` (downloadfile.py), and DS's JWT rules.

For tests, `app[DOCSERVER]` is the `DocServer`: `sessions`, `callback_log` (every attempt with its
answer), `forgotten`, and hooks that act as an editor through the same code as the browser UI:
`await open(config, base_url=...)`, `await join(key, user, mode)`, `type_text(p, text)`,
`await force_save(p)`, `leave(p)`, `await drain()` (wait for pending callbacks and timers).
The editor page's element ids: #oo-title #oo-users #oo-mode #oo-text #oo-input #oo-append
#oo-save #oo-close #oo-error #oo-lost (connection lost) #oo-warning #oo-status.
The editor's channel is socket.io (engine.io v4) on a WebSocket at
`/doc/<key>/c/?EIO=4&transport=websocket` (channel.py, engineio.py); `socket_client.connect_editor`
plays the editor's side of it for tests without a browser.
"""

from .app import DOCSERVER, DocServer, create_docserver_app, run_docserver
from .callbacks import CallbackAttempt
from .models import Participant, Session
from .tokens import EditorError

__all__ = [
    "DOCSERVER",
    "CallbackAttempt",
    "DocServer",
    "EditorError",
    "Participant",
    "Session",
    "create_docserver_app",
    "run_docserver",
]
