"""The compose file: valid against the Compose Specification's schema, and the `confluence` profile
wired for the gateway while the default profile stays what it was (gateway, Redis, Document Server).

The schema is the one check-jsonschema (the test extra) ships, so this runs offline, where no
`docker compose config` is at hand.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from yarl import URL

from gateway.settings import parse_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
SECRETS = {"CONFLUENCE_TOKEN": "pat-" + "x" * 40, "DS_JWT_SECRET": "s" * 40}


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _check_schema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_compose_file_passes_the_compose_spec_schema(tmp_path: Path) -> None:
    result = _check_schema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = _compose()
    broken["services"]["confluence"]["enviroment"] = broken["services"]["confluence"].pop("environment")
    wrong = tmp_path / "docker-compose.yml"
    wrong.write_text(yaml.safe_dump(broken))
    assert _check_schema(wrong).returncode != 0  # the validator does refuse a misspelt key


def test_the_default_profile_is_unchanged() -> None:
    services = _compose()["services"]
    default = {name for name, service in services.items() if not service.get("profiles")}
    assert default == {"gateway", "redis", "documentserver"}
    assert set(services["gateway"]["depends_on"]) <= default  # starts without Confluence
    # Variables the default profile does not need have defaults: compose interpolates every
    # service, profile or not, and a required one would stop `docker compose up` without Confluence.
    for name in ("confluence", "postgres"):
        text = yaml.safe_dump(services[name])
        assert ":?" not in text, name


def test_the_confluence_profile_is_wired_for_the_gateway() -> None:
    compose = _compose()
    services = compose["services"]
    confluence, postgres = services["confluence"], services["postgres"]
    assert confluence["profiles"] == ["confluence"] and postgres["profiles"] == ["confluence"]
    assert confluence["image"].startswith("atlassian/confluence:")
    env = confluence["environment"]
    assert {"ATL_PROXY_NAME", "ATL_PROXY_PORT", "ATL_TOMCAT_SCHEME", "ATL_TOMCAT_SECURE"} <= set(env)
    # What the gateway's config says Confluence is, the container is: host, port, context path.
    settings = parse_settings(
        (DEPLOY / "gateway.yaml").read_text(), source="deploy/gateway.yaml", environ=SECRETS
    )
    upstream = URL(settings.confluence.url)
    assert upstream.host == "confluence" and upstream.port == 8090  # the service name, Tomcat's port
    assert env["ATL_TOMCAT_CONTEXTPATH"] == upstream.path.rstrip("/")
    # The proxy variables default to the public_url's host, port and scheme.
    public = URL(settings.public_url)
    defaults = {
        k: re.fullmatch(r"\$\{\w+:-(.*)\}", str(env[k]))
        for k in ("ATL_PROXY_NAME", "ATL_PROXY_PORT", "ATL_TOMCAT_SCHEME")
    }
    assert all(defaults.values()), defaults
    assert defaults["ATL_PROXY_NAME"].group(1) == public.host  # type: ignore[union-attr]
    assert int(defaults["ATL_PROXY_PORT"].group(1)) == (public.port or 443)  # type: ignore[union-attr]
    assert defaults["ATL_TOMCAT_SCHEME"].group(1) == public.scheme  # type: ignore[union-attr]
    assert str(public).rstrip("/").endswith(env["ATL_TOMCAT_CONTEXTPATH"])
    # Its database: the postgres service, same credentials, started healthy first.
    assert env["ATL_DB_TYPE"] == "postgresql"
    assert env["ATL_JDBC_URL"] == f"jdbc:postgresql://postgres:5432/{postgres['environment']['POSTGRES_DB']}"
    assert env["ATL_JDBC_USER"] == postgres["environment"]["POSTGRES_USER"]
    assert env["ATL_JDBC_PASSWORD"] == postgres["environment"]["POSTGRES_PASSWORD"]
    assert confluence["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in postgres
    # Data survives a re-creation; nothing but the gateway is published.
    assert mounts_of(confluence)["/var/atlassian/application-data/confluence"] in compose["volumes"]
    assert mounts_of(postgres)["/var/lib/postgresql/data"] in compose["volumes"]
    assert "ports" not in confluence and "ports" not in postgres


def mounts_of(service: dict[str, Any]) -> dict[str, str]:
    return dict(volume.split(":")[::-1] for volume in service["volumes"])


def test_deploy_readme_walks_a_first_time_admin_through() -> None:
    text = (DEPLOY / "README.md").read_text()
    for needed in (
        "--profile confluence",
        "licence",
        "Base URL",
        "Personal Access Token",
        "CONFLUENCE_TOKEN",
        "onlyoffice-gateway check",
        "PUBLIC_HOST",
    ):
        assert needed in text, needed
