"""The status machine of co-editing (reference §2.2): joins, edits, force-saves, leaves, the save timer.

One `Session` per document key is shared by all co-editors. The browser editor and the test hooks
call the same methods here, so a test that acts as an editor exercises the same paths.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from ..documents import DocumentError, append_text, extract_text, make_document
from .bodies import assemble, corrupted_body, save_body
from .cache import CacheFiles
from .callbacks import CallbackSender
from .egress import DownloadError, Egress
from .models import Change, Participant, Session
from .store import CachedDocument, DocStore, ForgottenFile
from .tokens import EditorError, as_object, sign_session, verify_config_token, verify_session

__all__ = [
    "KEY_PATTERN",
    "NoCallbackUrl",
    "NoChanges",
    "OpenResult",
    "SessionManager",
    "UnknownKey",
]

KEY_PATTERN = re.compile(r"^[0-9a-zA-Z\-._=]{1,128}$")


class UnknownKey(Exception):
    """No session and no record for that key (command error 1)."""


class NoCallbackUrl(Exception):
    """No callbackUrl is stored for the key (command error 2)."""


class NoChanges(Exception):
    """Force-save asked with nothing new since the last save (command error 4)."""


@dataclass
class OpenResult:
    participant: Participant
    session: Session
    warning: str | None = None
    outdated: bool = False
    session_token: str | None = None  # what the editor reconnects with (None when JWT is off)


@dataclass
class SessionManager:
    store: DocStore
    cache: CacheFiles
    sender: CallbackSender
    egress: Egress
    save_delay: float
    version: str
    sessions: dict[str, Session] = field(default_factory=dict)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    # -- background work --------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait until every pending callback, retry and save timer has finished (for tests)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*list(self.tasks), return_exceptions=True)

    def notify(self, session: Session) -> None:
        """Wake every connection of `session`: their editors get the new state pushed."""
        for participant in session.participants.values():
            participant.changed.set()

    def _persist(self, session: Session | None = None, *, key: str | None = None) -> None:
        if session is not None:
            self.notify(session)
        if session is not None and session.key in self.sessions:
            self.store.blobs.put(f"session/{session.key}", session.content)
            self.store.sessions[session.key] = session.to_json()
        elif key is not None or session is not None:
            gone = key if key is not None else session.key  # type: ignore[union-attr]
            self.store.sessions.pop(gone, None)
            self.store.blobs.delete(f"session/{gone}")
        self.store.save()

    def restore(self) -> None:
        """After a restart: sessions with unsaved changes are saved as if their editors left."""
        for key, data in list(self.store.sessions.items()):
            content = self.store.blobs.get(f"session/{key}")
            if content is None:
                continue
            session = Session.from_json(data, content)
            self.sessions[key] = session
            if session.has_changes():
                session.save_task = self.spawn(self._save_later(session, session.last_change_user or ""))
            else:
                del self.sessions[key]
                self._persist(key=key)

    # -- open / join ------------------------------------------------------------------------
    async def open_config(
        self,
        config: dict[str, Any],
        *,
        base_url: str,
        browser: bool = False,
        session_token: str | None = None,
    ) -> OpenResult:
        """What DS does when an editor connects with `config`: verify, fetch or reuse, join.
        An editor that reconnects shows its `session_token` instead: the config inside counts."""
        if self.egress.jwt_enabled:
            if session_token is not None:
                config = verify_session(session_token, self.egress.jwt_secret)
            else:
                config = verify_config_token(config, self.egress.jwt_secret)
        document = as_object(config.get("document"))
        editor = as_object(config.get("editorConfig"))
        key = document.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise EditorError(-20, "The document key is not valid.")
        url = document.get("url")
        if not isinstance(url, str) or not url:
            raise EditorError(-4, "Download failed.")
        file_type = str(document.get("fileType") or url.rsplit(".", 1)[-1]).lower()
        title = str(document.get("title") or f"Unnamed.{file_type}")
        permissions = as_object(document.get("permissions"))
        mode = "view" if editor.get("mode") == "view" or permissions.get("edit") is False else "edit"
        user = as_object(editor.get("user"))
        user_id = str(user.get("id") or "")
        user_name = str(user.get("name") or "Anonymous")
        customization = as_object(editor.get("customization"))
        callback_url = editor.get("callbackUrl") if isinstance(editor.get("callbackUrl"), str) else None
        signed = self.egress.jwt_enabled

        warning: str | None = None
        outdated = False
        recent = self.store.is_update_version(key)
        if recent:
            # §8.2: the key was saved (status 2) less than 5 min ago: read-only, "version changed".
            outdated = True
            mode = "view"
            warning = "The file version has been changed. The page will be reloaded."
        async with self._lock(key):
            session = self.sessions.get(key)
            if session is None:
                if recent is None:
                    self.store.drop_document(key)  # window over: DS forgets the key and re-downloads
                session, warning_open = await self._new_session(key, url, file_type, title, signed=signed)
                warning = warning or warning_open
        participant = Participant(
            connection=secrets.token_urlsafe(16),
            key=key,
            user_id=user_id,
            user_name=user_name,
            mode=mode,
            callback_url=callback_url,
            base_url=base_url,
            forcesave_button=bool(customization.get("forcesave")),
            browser=browser,
        )
        self._join(session, participant)
        token = sign_session(config, self.egress.jwt_secret) if self.egress.jwt_enabled else None
        return OpenResult(participant, session, warning, outdated, token)

    async def _new_session(
        self, key: str, url: str, file_type: str, title: str, *, signed: bool
    ) -> tuple[Session, str | None]:
        warning = None
        from_forgotten = False
        forgotten = self.store.get_forgotten(key)
        if forgotten is not None:
            content = forgotten[1]
            file_type = forgotten[0].file_type
            from_forgotten = True
            warning = (
                "The file could not be saved last time; it was opened from the unsaved (forgotten) copy."
            )
        else:
            cached = self.store.get_document(key)
            if cached is not None:
                content = cached[1]
            else:
                try:
                    content = await self.egress.download(url, signed=signed)
                except DownloadError as exc:
                    raise EditorError(-4, f"Download failed. {exc}") from exc
                if not content:
                    content = make_document(file_type, "")
                self.store.put_document(CachedDocument(key, file_type, title, url), content)
        try:
            text = extract_text(file_type, content)
        except DocumentError as exc:
            raise EditorError(-82, f"An error has occurred while opening the file. {exc}") from exc
        session = Session(key, file_type, title, url, content, text, from_forgotten=from_forgotten)
        self.sessions[key] = session
        return session, warning

    async def join(
        self,
        key: str,
        user: dict[str, str] | str,
        mode: str = "edit",
        *,
        callback_url: str | None = None,
        base_url: str | None = None,
        forcesave_button: bool = False,
    ) -> Participant:
        """Test hook: join the open session of `key` as another editor (or viewer), no config needed."""
        session = self.sessions.get(key)
        if session is None:
            raise UnknownKey(key)
        info = {"id": user, "name": user} if isinstance(user, str) else user
        participant = Participant(
            connection=secrets.token_urlsafe(16),
            key=key,
            user_id=str(info.get("id", "")),
            user_name=str(info.get("name", info.get("id", ""))),
            mode=mode,
            callback_url=callback_url if callback_url is not None else session.callback_url,
            base_url=base_url or session.base_url,
            forcesave_button=forcesave_button,
            browser=False,
        )
        self._join(session, participant)
        return participant

    def _lock(self, key: str) -> asyncio.Lock:
        """Concurrent opens of one key download once and share one session."""
        lock = self.locks.get(key)
        if lock is None:
            lock = self.locks[key] = asyncio.Lock()
        return lock

    def _join(self, session: Session, participant: Participant) -> None:
        if participant.editing and session.save_task is not None and not session.saving:
            session.save_task.cancel()  # an editor came back during the save delay
            session.save_task = None
        session.participants[participant.connection] = participant
        if participant.editing:
            session.base_url = participant.base_url
            if participant.callback_url:
                session.callback_url = session.callback_url or participant.callback_url
                self._remember_callback(session.key, participant.callback_url)
                self.spawn(self._status1(session, participant, action=1))
        self._persist(session)

    def _remember_callback(self, key: str, url: str) -> None:
        doc = self.store.documents.get(key)
        if doc is not None and doc.callback_url != url:
            doc.callback_url = url
            self.store.save()

    def participant(self, connection: str) -> tuple[Session, Participant]:
        for session in self.sessions.values():
            found = session.participants.get(connection)
            if found is not None:
                return session, found
        raise UnknownKey(connection)

    # -- editing ----------------------------------------------------------------------------
    def type_text(self, connection: str, text: str) -> Session:
        """Append `text` to the document, as typed by that connection's user."""
        session, participant = self.participant(connection)
        if not participant.editing:
            raise EditorError(-23, "You are trying to perform an action you do not have rights for.")
        if not text:
            return session
        try:
            session.content = append_text(session.file_type, session.content, text)
            session.text = extract_text(session.file_type, session.content)
        except DocumentError as exc:
            raise EditorError(-1, f"The change could not be applied. {exc}") from exc
        session.changes.append(Change(participant.user_id, participant.user_name, time.time(), text))
        session.last_change_user = participant.user_id
        if participant.callback_url:
            session.callback_url = participant.callback_url  # callbackUrl of the last change's author
        self._persist(session)
        return session

    async def force_save(
        self, key: str, *, forcesavetype: int, by: Participant | None = None, userdata: str | None = None
    ) -> None:
        """Status 6: the assembled file so far; the key and the session stay."""
        session = self.sessions.get(key)
        if session is None:
            raise UnknownKey(key)
        if len(session.changes) <= session.forcesaved:
            raise NoChanges(key)
        session.forcesaved = len(session.changes)
        session.lastsave = time.time()
        self._persist(session)
        url = by.callback_url if by is not None and forcesavetype == 1 else session.callback_url
        if not url:
            return
        try:
            builder = save_body(
                session,
                self.cache,
                self.version,
                status=6,
                forcesavetype=forcesavetype,
                presser=by,
                userdata=userdata,
            )
        except DocumentError:
            builder = corrupted_body(session, 7, forcesavetype=forcesavetype, userdata=userdata)
        await self.sender.send(url, builder)

    async def press_save(self, connection: str) -> bool:
        """The editor's Save button: type 1 with customization.forcesave, else a command-style force-save."""
        session, participant = self.participant(connection)
        if not participant.editing:
            return False
        kind = 1 if participant.forcesave_button else 0
        try:
            await self.force_save(session.key, forcesavetype=kind, by=participant)
        except NoChanges:
            return False
        return True

    # -- leaving ----------------------------------------------------------------------------
    def leave(self, connection: str, *, clean: bool = False) -> None:
        """A connection closes (Close button, tab gone, test hook). A `clean` close (the editor said
        goodbye) skips the save delay, as DS does; a dropped connection waits it out (§2.2)."""
        try:
            session, participant = self.participant(connection)
        except UnknownKey:
            return
        del session.participants[connection]
        participant.changed.set()  # its socket, if any, learns that it is gone
        if participant.editing:
            self._editor_left(session, participant, clean=clean)
        elif not session.participants and session.save_task is None and not session.has_changes():
            self._end(session)
        self._persist(session)

    def drop(self, key: str, users: list[str] | None) -> None:
        """Command `drop`: those editors (all, when `users` is None) lose editing; they may still view."""
        session = self.sessions.get(key)
        if session is None:
            raise UnknownKey(key)
        for participant in list(session.editors()):
            if users is None or participant.user_id in users:
                participant.mode = "view"
                participant.messages.append({"type": "drop"})
                self._editor_left(session, participant)
        self._persist(session)

    def _editor_left(self, session: Session, participant: Participant, *, clean: bool = False) -> None:
        if session.editors():
            self.spawn(self._status1(session, participant, action=0))
            return
        if session.has_changes():
            delay = 0.0 if clean else self.save_delay
            session.save_task = self.spawn(self._save_later(session, participant.user_id, delay))
            return
        url = participant.callback_url or session.callback_url
        if url:
            body = {"key": session.key, "status": 4, "actions": [{"type": 0, "userid": participant.user_id}]}
            self.spawn(self.sender.send(url, lambda: dict(body)))
        if not session.participants:
            self._end(session)

    def _end(self, session: Session) -> None:
        if self.sessions.get(session.key) is session:
            del self.sessions[session.key]
        self._persist(key=session.key)

    # -- callbacks --------------------------------------------------------------------------
    async def _status1(self, session: Session, participant: Participant, *, action: int) -> None:
        url = participant.callback_url or session.callback_url
        if not url:
            return
        body = {
            "key": session.key,
            "status": 1,
            "users": session.editor_ids(),
            "actions": [{"type": action, "userid": participant.user_id}],
        }
        await self.sender.send(url, lambda: dict(body))

    async def info(self, key: str, userdata: str | None) -> list[str]:
        """Command `info`: answer the editors, and post status 1 (or 4) to the stored callbackUrl."""
        session = self.sessions.get(key)
        doc = self.store.documents.get(key)
        if session is None and doc is None:
            raise UnknownKey(key)
        url = session.callback_url if session is not None else None
        url = url or (doc.callback_url if doc is not None else None)
        if not url:
            raise NoCallbackUrl(key)
        users = session.editor_ids() if session is not None else []
        if users or (session is not None and session.has_changes()):
            body: dict[str, Any] = {"key": key, "status": 1, "users": users}
        else:
            body = {"key": key, "status": 4}
        if userdata is not None:
            body["userdata"] = userdata
        self.spawn(self.sender.send(url, lambda: dict(body)))
        return users

    async def _save_later(self, session: Session, leaver: str, delay: float | None = None) -> None:
        await asyncio.sleep(self.save_delay if delay is None else delay)
        if session.editors():
            return
        session.saving = True
        try:
            await self._save(session, leaver)
        finally:
            session.saving = False
            session.save_task = None

    async def _save(self, session: Session, leaver: str) -> None:
        notmodified = session.forcesaved > 0 and session.forcesaved == len(session.changes)
        if not notmodified:
            session.lastsave = time.time()
        assembled = True
        try:
            builder = save_body(
                session, self.cache, self.version, status=2, leaver=leaver, notmodified=notmodified
            )
        except DocumentError:
            assembled = False
            builder = corrupted_body(session, 3, leaver=leaver)
        ok = False
        if session.callback_url:
            ok = await self.sender.send(session.callback_url, builder)
        if ok and assembled:
            self.store.delete_forgotten(session.key)
            self.store.mark_update_version(session.key)
        elif not ok:
            file_type, data = session.file_type, session.content
            if assembled:
                file_type, data = assemble(session)
            self.store.put_forgotten(ForgottenFile(session.key, file_type, session.title, time.time()), data)
        session.changes = []
        session.forcesaved = 0
        session.from_forgotten = False
        if session.participants:
            self._persist(session)
        else:
            self._end(session)
