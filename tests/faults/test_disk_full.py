"""The disk holding the SQLite state (the workers' shared state on one host) runs full during a
save, and space comes back.

A small tmpfs is mounted for the state file when this process may mount (root, as in CI);
elsewhere the workers' file-size limit (RLIMIT_FSIZE, lowered on the running processes) plays the
full disk: writes that would grow a file fail with EFBIG, as with ENOSPC.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.faults.faults_helpers import FaultStack, fault_stack, wait_for


class FullDisk:
    """Fills the state's filesystem (or caps the workers' file sizes) and frees it again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.mounted = False
        self.filler = folder / "filler"
        self.capped: list[psutil.Process] = []

    def mount(self) -> None:
        self.folder.mkdir()
        if os.geteuid() == 0:
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(self.folder)],
                capture_output=True,
            )
            self.mounted = done.returncode == 0

    def fill(self, stack: FaultStack) -> None:
        if self.mounted:
            with self.filler.open("wb") as out:
                try:
                    while True:
                        out.write(b"\0" * 65536)
                        out.flush()
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
            return
        for worker in stack.gateway.workers():  # soft limit only: it can be raised again
            _, hard = worker.rlimit(psutil.RLIMIT_FSIZE)
            worker.rlimit(psutil.RLIMIT_FSIZE, (1, hard))
            self.capped.append(worker)

    def free(self) -> None:
        if self.mounted:
            self.filler.unlink(missing_ok=True)
        for worker in self.capped:
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.rlimit(psutil.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        self.capped.clear()

    def unmount(self) -> None:
        self.free()
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.folder)], check=False)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[FullDisk]:
    disk = FullDisk(tmp_path / "statefs")
    disk.mount()
    yield disk
    disk.unmount()


async def test_state_disk_full_during_a_save_then_space_back(tmp_path: Path, full_disk: FullDisk) -> None:
    """What the user sees: closing the editor works; while the disk is full the gateway answers the
    Document Server "try again" (503, it retries and then keeps the file), and once there is space
    again the edit is saved as one new version."""
    state = {"path": str(full_disk.folder / "state.sqlite3")}
    async with fault_stack(tmp_path, state=state) as stack:
        att = await stack.attachment()
        _, alice = await stack.open_editor(att["id"])
        stack.docserver.type_text(alice, "Saved once the disk has room")
        full_disk.fill(stack)
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        attempts = stack.callbacks(status=2)
        assert attempts and not any(a.success for a in attempts), [
            (a.http_status, a.response_text) for a in attempts
        ]
        assert all(a.http_status == 503 for a in attempts), [
            (a.http_status, a.response_text) for a in attempts
        ]
        assert stack.docserver.forgotten and await stack.versions() == 1
        full_disk.free()
        await wait_for(lambda: stack.version_is(2), timeout=30, what="the save once space is back")
        await wait_for(lambda: not stack.docserver.forgotten, what="deleteForgotten")
        assert await stack.versions() == 2
        assert "Saved once the disk has room" in await stack.text()
        if full_disk.mounted:  # with RLIMIT_FSIZE the log file cannot grow either
            assert "database or disk is full" in stack.gateway.log()
        assert "Traceback" not in stack.gateway.log()
