"""Where the gateway's time goes during one scenario: py-spy sampling all its processes.

`./dev bench --profile DIR` records the first round's gateway runs (collapsed stacks in DIR) and
prints, per scenario, the functions that were on CPU most (self time) and the gateway's modules
that were on the stack most (inclusive): the summary bench/RESULTS.md quotes for a missed target.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import TracebackType

ROOT = str(Path(__file__).resolve().parents[1]) + "/"
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


def py_spy() -> str:
    """py-spy from the venv (the `bench` extra), else from PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise RuntimeError("py-spy is missing: pip install -e '.[bench]'")
    return found


class Profile:
    """Samples process `pid` and its children while the block runs; raw stacks go to `output`."""

    def __init__(self, pid: int, output: Path) -> None:
        self._command = [
            py_spy(), "record", "--pid", str(pid), "--subprocesses", "--nonblocking",
            "--rate", "250", "--format", "raw", "--output", str(output),
        ]  # fmt: skip
        self.output = output
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profile:
        self._process = subprocess.Popen(self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)


def summarise(raw: Path, top: int = 8) -> str:
    """Top functions by self samples and the gateway's modules by inclusive samples, in %."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    with contextlib.suppress(FileNotFoundError):
        for line in raw.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_name(frame) for frame in stack.split(";")[1:]]  # the first is the process
            if not frames:
                continue
            total += count
            own[frames[-1][0]] += count
            for module in {file for _, file in frames if _interesting(file)}:
                inclusive[module] += count
    if total == 0:
        return f"{raw.name}: no samples"
    lines = [f"{raw.stem}: {total} samples"]
    lines += [f"  self {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    lines += [f"  incl {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines)


def _name(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip(), ""
    file = match["file"]
    short = file.split("site-packages/")[-1].removeprefix(ROOT)
    return f"{match['function']} ({short})", short


# On every stack (the process's entry and aiohttp's dispatch): inclusive time there says nothing.
_ENTRY = ("gateway/__main__.py", "gateway/cli.py", "gateway/server.py", "gateway/app.py")


def _interesting(file: str) -> bool:
    return file.startswith(("gateway/", "json/", "lolhtml")) and file not in _ENTRY
