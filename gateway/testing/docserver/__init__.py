"""The ONLYOFFICE Document Server simulator (`onlyoffice-gateway simulate docserver`).

Built from shared/reference/documentserver-protocol.md: api.js and a small editor, co-editing
sessions with the real callback statuses, retries and forgotten files, signed cache links, the
conversion and command services, and DS's JWT rules.
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
