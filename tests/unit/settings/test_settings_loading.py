"""Loading good configs: substitution, secret files, normalisation, the shipped example, warnings."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from gateway.settings import (
    ConfigError,
    Settings,
    load_settings,
    load_settings_from_mapping,
    parse_settings,
)

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "rules" / "gateway.example.yaml"
TOKEN = "pat-Zq81-very-secret-token"
JWT_SECRET = "jwt-secret-0123456789-abcdefghijkl"  # 34 bytes

MINIMAL = """\
public_url: https://wiki.example.com/confluence
confluence:
  url: http://confluence:8090/confluence
  auth: {token: ${CONFLUENCE_TOKEN}}
documentserver:
  public_url: https://docs.example.com/
  jwt: {secret: ${DS_JWT_SECRET}}
"""


def _env(**extra: str) -> dict[str, str]:
    return {"CONFLUENCE_TOKEN": TOKEN, "DS_JWT_SECRET": JWT_SECRET, "LINK_SECRET": "l" * 64, **extra}


def _mapping(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "public_url": "https://wiki.example.com/confluence",
        "confluence": {"url": "http://confluence:8090/confluence", "auth": {"token": TOKEN}},
        "documentserver": {"public_url": "https://docs.example.com", "jwt": {"secret": JWT_SECRET}},
    }
    data.update(overrides)
    return data


def test_references_in_flow_mappings_are_substituted() -> None:
    # PRODUCT.md writes `auth: {token: ${CONFLUENCE_TOKEN}}`: plain YAML would choke on the braces.
    settings = parse_settings(MINIMAL, environ=_env())
    assert settings.confluence.auth.token is not None
    assert settings.confluence.auth.token.get_secret_value() == TOKEN
    assert settings.documentserver.jwt.secret.get_secret_value() == JWT_SECRET
    assert settings.documentserver.jwt.header == "Authorization"


def test_references_inside_longer_text_and_escapes() -> None:
    text = (
        MINIMAL.replace(
            "https://wiki.example.com/confluence", "https://${WIKI_HOST}:${WIKI_PORT}/confluence", 1
        )
        + 'rules:\n  - groups: ["$${literal}", "${GROUP}-editors", "a$b"]\n'
    )
    settings = parse_settings(
        text, environ=_env(WIKI_HOST="wiki.example.com", WIKI_PORT="8443", GROUP="docs")
    )
    assert settings.public_url == "https://wiki.example.com:8443/confluence"
    assert settings.rules[0].groups == ("${literal}", "docs-editors", "a$b")


def test_references_in_numbers_and_booleans_are_converted() -> None:
    text = MINIMAL + "listen: {port: ${PORT}}\nlogging: {access_log: ${ACCESS}, level: info}\n"
    settings = parse_settings(text, environ=_env(PORT="9090", ACCESS="false"))
    assert settings.listen.port == 9090
    assert settings.logging.access_log is False
    assert settings.logging.level == "INFO"


def test_bad_reference_syntax() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(MINIMAL.replace("${DS_JWT_SECRET}", "${DS JWT}"), source="g.yaml", environ=_env())
    assert caught.value.problems == [
        "g.yaml:7: documentserver.jwt.secret: '${DS JWT}' is not a reference: use ${NAME} or ${file:/path}"
    ]


def test_secret_files(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "jwt").write_text(JWT_SECRET + "\n")
    (tmp_path / "password").write_text("pass word\r\n")
    config = tmp_path / "gateway.yaml"
    config.write_text(
        MINIMAL.replace("${DS_JWT_SECRET}", "${file:secrets/jwt}").replace(
            "{token: ${CONFLUENCE_TOKEN}}",
            "{username: svc, password: '${file:" + str(tmp_path) + "/password}'}",
        )
    )
    settings = load_settings(config, environ={})
    assert settings.documentserver.jwt.secret.get_secret_value() == JWT_SECRET  # relative to the config
    assert settings.confluence.auth.password is not None
    assert settings.confluence.auth.password.get_secret_value() == "pass word"
    assert settings.confluence.auth.username == "svc"


def test_unreadable_secret_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "jwt").mkdir()  # a directory cannot be read as a file
    config = tmp_path / "gateway.yaml"
    config.write_text(MINIMAL.replace("${DS_JWT_SECRET}", "${file:jwt}"))
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ=_env())
    assert caught.value.problems == [
        f"{config}:7: documentserver.jwt.secret: cannot read secret file '{tmp_path}/jwt': Is a directory"
    ]


def test_secrets_never_shown() -> None:
    settings = parse_settings(MINIMAL, environ=_env())
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert TOKEN not in text and JWT_SECRET not in text

    # Wrong in ways that make the loader describe the value: still never the secret.
    bad = (
        MINIMAL.replace("{token: ${CONFLUENCE_TOKEN}}", "{token: ${CONFLUENCE_TOKEN}, username: x}")
        .replace(
            "jwt: {secret: ${DS_JWT_SECRET}}", "jwt: {secret: [${DS_JWT_SECRET}], secrett: ${DS_JWT_SECRET}}"
        )
        .replace("public_url: https://docs.example.com/", "public_url: ${DS_JWT_SECRET}")
        + "internal_url: ${CONFLUENCE_TOKEN}\n"
    )
    with pytest.raises(ConfigError) as caught:
        parse_settings(bad, source="g.yaml", environ=_env())
    message = str(caught.value)
    assert TOKEN not in message and JWT_SECRET not in message
    assert caught.value.problems == [
        "g.yaml:4: confluence.auth: give either token or username and password, not both",
        "g.yaml:6: documentserver.public_url: must be an absolute http(s) URL, got '[redacted]'",
        "g.yaml:7: documentserver.jwt.secret: must be text, got a list",
        "g.yaml:7: documentserver.jwt.secrett: unknown key (did you mean 'secret'?)",
        "g.yaml:8: internal_url: must be an absolute http(s) URL, got '[redacted]'",
    ]


@pytest.mark.parametrize("given", ["/onlyoffice/", "https://WIKI.example.com:443/onlyoffice"])
def test_document_server_under_the_gateway(given: str) -> None:
    """A bare path means that path on the gateway's public origin, as does the absolute spelling."""
    settings = load_settings_from_mapping(
        _mapping(
            documentserver={
                "public_url": given,
                "internal_url": "http://documentserver:8000/",
                "jwt": {"secret": JWT_SECRET},
            }
        )
    )
    assert settings.documentserver.public_url == "https://wiki.example.com/onlyoffice"
    assert settings.docserver_prefix == "/onlyoffice"
    assert settings.documentserver.internal_url == "http://documentserver:8000"


def test_document_server_on_its_own_origin_has_no_prefix() -> None:
    settings = load_settings_from_mapping(_mapping())
    assert settings.docserver_prefix is None


def test_urls_are_normalised_and_defaults_apply() -> None:
    settings = load_settings_from_mapping(
        _mapping(
            public_url="https://wiki.example.com/confluence/",
            confluence={"url": "http://confluence:8090/confluence//", "auth": {"token": TOKEN}},
        )
    )
    assert settings.public_url == "https://wiki.example.com/confluence"
    assert settings.confluence.url == "http://confluence:8090/confluence"
    assert settings.documentserver.internal_url is None
    assert settings.listen.port == 8080
    assert settings.logging.format == "json"
    assert settings.rules == ()


def test_root_context_path() -> None:
    settings = load_settings_from_mapping(
        _mapping(
            public_url="https://wiki.example.com/",
            confluence={"url": "http://confluence:8090", "auth": {"username": "svc", "password": "pw"}},
        )
    )
    assert settings.public_url == "https://wiki.example.com"


def test_mapping_errors_name_the_source_without_lines() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings_from_mapping(_mapping(listen={"port": 0}, public_url="wiki"), source="<demo>")
    assert caught.value.problems == [
        "<demo>: listen.port: must be at least 1, got 0",
        "<demo>: public_url: must be an absolute http(s) URL, got 'wiki'",
    ]


def test_mapping_values_are_literal_unless_environ_given() -> None:
    literal = load_settings_from_mapping(_mapping(rules=[{"groups": ["${X}"]}]))
    assert literal.rules[0].groups == ("${X}",)
    expanded = load_settings_from_mapping(_mapping(rules=[{"groups": ["${X}"]}]), environ={"X": "docs"})
    assert expanded.rules[0].groups == ("docs",)


def test_short_jwt_secret_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.settings"):
        settings = parse_settings(MINIMAL, source="g.yaml", environ=_env(DS_JWT_SECRET="short-secret"))
    assert settings.documentserver.jwt.secret.get_secret_value() == "short-secret"
    assert [r.getMessage() for r in caplog.records] == [
        "g.yaml:7: documentserver.jwt.secret: shorter than 32 bytes: easy to guess (ONLYOFFICE's installers "
        "generate 32 characters); set a longer one on both sides"
    ]
    assert "short-secret" not in caplog.text


def test_the_shipped_example_is_valid() -> None:
    settings = load_settings(EXAMPLE, environ=_env())
    assert isinstance(settings, Settings)
    assert settings.confluence.auth.token is not None
    assert settings.confluence.auth.token.get_secret_value() == TOKEN
    assert settings.documentserver.jwt.secret.get_secret_value() == JWT_SECRET
    assert settings.public_url == "https://wiki.example.com/confluence"
    assert [rule.enabled for rule in settings.rules] == [False, True, True]


def test_the_shipped_example_sets_every_key() -> None:
    """Every field of every model is given in the example, so each one is shown and explained."""
    settings = load_settings(EXAMPLE, environ=_env())
    alternatives = {("confluence", "auth", "username"), ("confluence", "auth", "password")}  # commented out

    def given(model: BaseModel, loc: tuple[str, ...]) -> set[tuple[str, ...]]:
        """Key paths set anywhere in the file (list items merged: each rule shows some keys)."""
        found = set()
        for name in model.model_fields_set:
            found.add((*loc, name))
            value = getattr(model, name)
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, BaseModel):
                    found |= given(item, (*loc, name))
        return found

    def declared(model: type[BaseModel], loc: tuple[str, ...]) -> set[tuple[str, ...]]:
        found = set()
        for name, info in model.model_fields.items():
            found.add((*loc, name))
            for kind in (info.annotation, *getattr(info.annotation, "__args__", ())):
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    found |= declared(kind, (*loc, name))
        return found

    assert sorted(declared(Settings, ()) - given(settings, ()) - alternatives) == []
    text = EXAMPLE.read_text()
    assert "# username:" in text and "# password:" in text


def _run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", ""), **env},
        cwd=REPO,
    )


def test_cli_exits_2_with_the_message_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("http://confluence:8090/confluence", "confluence:8090"))
    result = _run_cli("serve", "--config", str(bad), env=_env())
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"onlyoffice-gateway: {bad}:3: confluence.url: "
        "must be an absolute http(s) URL, got 'confluence:8090'\n"
    )


def test_cli_reports_a_missing_variable_via_gateway_config(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(MINIMAL)
    result = _run_cli("check", env={"GATEWAY_CONFIG": str(config), "DS_JWT_SECRET": JWT_SECRET})
    assert result.returncode == 2
    assert result.stderr == (
        f"onlyoffice-gateway: {config}:4: confluence.auth.token: "
        "environment variable CONFLUENCE_TOKEN is not set\n"
    )
