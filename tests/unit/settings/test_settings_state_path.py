"""`state.path`: relative to the config file, and a path that can never be a SQLite file is a config error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway.settings import ConfigError, load_settings, load_settings_from_mapping

JWT_SECRET = "jwt-secret-0123456789-abcdefghijkl"
CONFIG = f"""\
public_url: https://wiki.example.com/confluence
confluence:
  url: http://confluence:8090/confluence
  auth: {{token: pat-0123456789}}
documentserver:
  public_url: https://docs.example.com/
  jwt: {{secret: {JWT_SECRET}}}
state:
  path: PATH
"""  # state.path is on line 9


def _load(directory: Path, path: str) -> str | None:
    config = directory / "gateway.yaml"
    config.write_text(CONFIG.replace("PATH", path))
    return load_settings(config, environ={}).state.path


def _problems(directory: Path, path: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(directory, path)
    return caught.value.problems


def test_a_relative_path_is_taken_from_the_config_files_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "etc").mkdir()
    monkeypatch.chdir("/")
    assert _load(tmp_path / "etc", "state/gateway.sqlite3") == f"{tmp_path}/etc/state/gateway.sqlite3"
    assert _load(tmp_path / "etc", "/var/lib/x/state.sqlite3") == "/var/lib/x/state.sqlite3"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _load(tmp_path / "etc", "~/state.sqlite3") == f"{tmp_path}/state.sqlite3"


def test_settings_built_in_code_resolve_against_base_dir_or_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = {
        "public_url": "https://wiki.example.com/confluence",
        "confluence": {"url": "http://confluence:8090/confluence", "auth": {"token": "pat-0123456789"}},
        "documentserver": {"public_url": "https://docs.example.com", "jwt": {"secret": JWT_SECRET}},
        "state": {"path": "s.sqlite3"},
    }
    assert load_settings_from_mapping(data, base_dir=tmp_path).state.path == f"{tmp_path}/s.sqlite3"
    monkeypatch.chdir(tmp_path)
    assert load_settings_from_mapping(data).state.path == f"{tmp_path}/s.sqlite3"


def test_a_directory_is_refused_with_a_file_name_to_use(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    config = tmp_path / "gateway.yaml"
    expected = (
        f"'{tmp_path}/var' is a directory: name the SQLite file in it, e.g. '{tmp_path}/var/state.sqlite3'"
    )
    assert _problems(tmp_path, "var") == [f"{config}:9: state.path: {expected}"]
    # A trailing slash says "directory" even before it exists.
    assert _problems(tmp_path, "new/")[0].startswith(
        f"{config}:9: state.path: '{tmp_path}/new' is a directory"
    )


def test_a_path_under_a_regular_file_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("a file, not a directory\n")
    assert _problems(tmp_path, "notes.txt/deeper/state.sqlite3") == [
        f"{tmp_path}/gateway.yaml:9: state.path: '{tmp_path}/notes.txt/deeper/state.sqlite3' cannot be "
        f"created: '{tmp_path}/notes.txt' is not a directory"
    ]


def test_a_device_or_an_empty_path_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    assert _problems(tmp_path, "/dev/null") == [f"{config}:9: state.path: '/dev/null' is not a regular file"]
    assert _problems(tmp_path, "''") == [
        f"{config}:9: state.path: string should have at least 1 character, got ''"
    ]


def test_path_beside_redis_url_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG.replace("PATH", "s.sqlite3") + "  redis_url: redis://127.0.0.1:6379/0\n")
    with caplog.at_level(logging.WARNING, logger="gateway.settings"):
        settings = load_settings(config, environ={})
    assert settings.state.redis_url and settings.state.path
    assert f"{config}:9: state.path: ignored: state.redis_url is set" in caplog.text
