"""What a reload may change: reloadable keys applied, restart-only keys kept and named."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.reload import read_reload, reload_live
from gateway.settings import ConfigError, load_settings
from gateway.settings.live import LiveSettings, changed_keys, merge_reload, resolve_workers

SECRET = "jwt-secret-0123456789-abcdefghijkl"
TOKEN = "pat-Zq81-very-secret-token"
BASE = f"""\
listen: {{host: 127.0.0.1, port: 8080, workers: 2}}
public_url: https://wiki.example.com/confluence
confluence:
  url: http://confluence:8090/confluence
  auth: {{token: {TOKEN}}}
documentserver:
  public_url: https://docs.example.com/
  jwt: {{secret: {SECRET}}}
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.yaml"
    path.write_text(text)
    return path


def test_reloadable_keys_apply_and_restart_keys_keep_their_old_value(tmp_path: Path) -> None:
    current = load_settings(_file(tmp_path, BASE))
    changed = BASE.replace("port: 8080", "port: 9090").replace(TOKEN, TOKEN + "-rotated") + (
        "rules: [{spaces: [HR], enabled: false}]\n"
        "injection: {max_page_bytes: 1000}\n"
        "logging: {level: DEBUG, format: text}\n"
        "proxy: {max_upload_bytes: 2048, shutdown_timeout: 5}\n"
    )
    reloaded = read_reload(_file(tmp_path, changed), current)
    assert reloaded.applied == [
        "rules",
        "injection.max_page_bytes",
        "proxy.max_upload_bytes",
        "logging.level",
        "logging.format",
    ]
    assert reloaded.restart == ["listen.port", "confluence.auth.token", "proxy.shutdown_timeout"]
    new = reloaded.settings
    assert new.rules[0].spaces == ("HR",) and not new.rules[0].enabled
    assert new.injection.max_page_bytes == 1000 and new.logging.level == "DEBUG"
    assert new.proxy.max_upload_bytes == 2048
    assert new.listen.port == 8080 and new.proxy.shutdown_timeout == current.proxy.shutdown_timeout
    assert new.confluence.auth.token is not None
    assert new.confluence.auth.token.get_secret_value() == TOKEN
    assert TOKEN not in repr(reloaded)


def test_workers_per_cpu_are_compared_as_the_running_gateway_counted_them(tmp_path: Path) -> None:
    running = resolve_workers(load_settings(_file(tmp_path, BASE.replace(", workers: 2", ""))))
    same = read_reload(tmp_path / "gateway.yaml", running)
    assert same.applied == [] and same.restart == []


def test_an_invalid_file_changes_nothing_and_says_where(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = LiveSettings(load_settings(_file(tmp_path, BASE)))
    before = live.current
    path = _file(tmp_path, BASE + "rules:\n  - spaces: [HR]\n    enabeld: false\n")
    with pytest.raises(ConfigError, match=r"gateway.yaml:11: rules\[0\].enabeld: unknown key"):
        read_reload(path, before)
    assert reload_live(live, path) is None
    assert live.current is before
    assert "gateway.yaml:11: rules[0].enabeld: unknown key" in caplog.text


def test_unchanged_settings_have_no_changed_keys(tmp_path: Path) -> None:
    settings = load_settings(_file(tmp_path, BASE))
    assert changed_keys(settings, settings) == []
    effective, applied, restart = merge_reload(settings, settings)
    assert effective == settings and applied == restart == []
