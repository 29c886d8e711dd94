"""gateway/loop.py: which event loop `serve` runs on, and what a bad choice says."""

from __future__ import annotations

import asyncio
import sys
import types

import pytest
import uvloop

from gateway.loop import ENV, EventLoopError, loop_factory, run


async def _loop_type() -> type[asyncio.AbstractEventLoop]:
    return type(asyncio.get_running_loop())


def test_auto_takes_uvloop_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    name, _ = loop_factory()
    assert name.startswith("uvloop ")
    assert run(_loop_type()) is uvloop.Loop


def test_asyncio_turns_uvloop_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, " Asyncio ")
    assert loop_factory() == ("asyncio", None)
    assert not issubclass(run(_loop_type()), uvloop.Loop)


def test_bad_choice_is_refused_without_leaving_the_coroutine_unawaited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, "gevent")
    coroutine = _loop_type()
    assert isinstance(coroutine, types.CoroutineType)  # typed as a Coroutine, which has no cr_frame
    with pytest.raises(EventLoopError, match="must be one of auto, uvloop, asyncio"):
        run(coroutine)
    assert coroutine.cr_frame is None  # closed, so no "never awaited" warning


def test_uvloop_demanded_but_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import fails as if not installed
    with pytest.raises(EventLoopError, match=r"pip install '\.\[speed\]'"):
        loop_factory("uvloop")
    assert loop_factory("auto") == ("asyncio", None)
