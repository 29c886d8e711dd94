"""inject.js joined from its parts: order, markers, every part used, a broken install fails the start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

import gateway.onlyoffice.links.inject_script as inject_script
from gateway.app import create_app
from gateway.onlyoffice.links.inject_script import PARTS, InjectScriptError, join_inject_script
from gateway.onlyoffice.plugin import OnlyOfficePlugin
from gateway.settings import Settings
from gateway.settings.loader import load_settings_from_mapping

FOLDER = Path(inject_script.__file__).parents[1] / "static" / "inject"
MARKER = re.compile(r"^// --- file: (\S+) ---$", re.M)


def _settings() -> Settings:
    return load_settings_from_mapping(
        {
            "public_url": "https://wiki.example.com/confluence",
            "confluence": {"url": "http://confluence:8090/confluence", "auth": {"token": "t"}},
            "documentserver": {"public_url": "https://docs.example.com/", "jwt": {"secret": "s" * 32}},
        }
    )


def _copy_parts(target: Path, names: tuple[str, ...] = PARTS) -> Path:
    target.mkdir()
    for name in names:
        (target / name).write_bytes((FOLDER / name).read_bytes())
    return target


def test_every_part_once_in_order_each_after_its_marker_inside_one_iife() -> None:
    script = join_inject_script().decode("utf-8")
    assert MARKER.findall(script) == list(PARTS)
    assert sorted(path.name for path in FOLDER.glob("*.js")) == sorted(PARTS)
    at = 0
    for name in PARTS:
        marked = f"// --- file: {name} ---\n" + (FOLDER / name).read_text(encoding="utf-8")
        found = script.find(marked, at)
        assert found >= at, name
        at = found + len(marked)
    head, tail = script[: script.find("// --- file:")], script[at:]
    assert head.endswith('(function () {\n  "use strict";\n\n')
    assert head.count("(function") == 1
    assert tail == "})();\n"


def test_parts_are_small_fragments_the_join_wraps() -> None:
    """No part opens its own IIFE or strict mode: they share the one the join writes."""
    for name in PARTS:
        source = (FOLDER / name).read_text(encoding="utf-8")
        assert len(source.splitlines()) <= 250, f"{name}: split it by concern"
        assert not re.search(r"^\s*[\"']use strict", source, re.M), name
        assert "(function () {\n" not in source.split("\n", 1)[0], name
        assert not MARKER.search(source), name


def test_a_missing_part_is_named(tmp_path: Path) -> None:
    folder = _copy_parts(tmp_path / "inject", tuple(n for n in PARTS if n != "menus.js"))
    with pytest.raises(InjectScriptError, match=r"part\(s\) menus\.js missing from .*reinstall"):
        join_inject_script(folder)


def test_a_part_not_listed_is_refused(tmp_path: Path) -> None:
    folder = _copy_parts(tmp_path / "inject")
    (folder / "extra.js").write_text("var stray = 1;\n")
    (folder / "notes.txt").write_text("not a part\n")  # only .js files are parts
    with pytest.raises(InjectScriptError, match=r"extra\.js .* not listed in .*PARTS"):
        join_inject_script(folder)


def test_a_part_listed_twice_and_a_missing_folder_are_refused(tmp_path: Path) -> None:
    folder = _copy_parts(tmp_path / "inject")
    with pytest.raises(InjectScriptError, match="listed twice"):
        join_inject_script(folder, (*PARTS, PARTS[0]))
    with pytest.raises(InjectScriptError, match="folder of its parts is missing"):
        join_inject_script(tmp_path / "nowhere")


def test_a_part_without_a_final_newline_still_ends_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "inject"
    folder.mkdir()
    (folder / "a.js").write_text("var a = 1; // no newline")
    (folder / "b.js").write_text("var b = 2;\n")
    script = join_inject_script(folder, ("a.js", "b.js")).decode()
    assert "var a = 1; // no newline\n\n// --- file: b.js ---\nvar b = 2;\n})();\n" in script


def test_the_plugin_refuses_to_start_with_a_part_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_parts(tmp_path / "inject", PARTS[1:])
    monkeypatch.setattr(inject_script, "_parts_folder", lambda: folder)
    settings = _settings()
    with pytest.raises(InjectScriptError, match=r"start\.js missing"):
        create_app(settings, [OnlyOfficePlugin(settings)])


async def test_the_route_serves_the_joined_script_with_the_same_headers_as_other_assets() -> None:
    settings = _settings()
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings, [OnlyOfficePlugin(settings)])))
    await client.start_server()
    try:
        static = "/confluence/plugins/servlet/onlyoffice/static/"
        host = {"Host": "wiki.example.com"}  # the public host: another is misdirected (421)
        script = await client.get(static + "inject.js", headers=host)
        editor = await client.get(static + "editor.js", headers=host)
        assert script.status == 200 and editor.status == 200
        assert await script.read() == join_inject_script()
        for response in (script, editor):
            assert response.headers["Content-Type"].startswith("text/javascript")
            assert response.headers["Cache-Control"] == "public, max-age=3600"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        for part in ("start.js", "inject%2Fstart.js"):  # the parts are not assets
            assert (await client.get(static + part, headers=host)).status == 404, part
    finally:
        await client.close()
