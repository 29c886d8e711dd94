"""The shipped deployment files: the config they mount is valid, and they agree with each other."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from gateway.settings import parse_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SECRETS = {"CONFLUENCE_TOKEN": "pat-" + "x" * 40, "DS_JWT_SECRET": "s" * 40}


def kubernetes_documents() -> list[dict[str, object]]:
    return [d for d in yaml.safe_load_all((DEPLOY / "kubernetes" / "gateway.yaml").read_text()) if d]


def test_the_compose_config_is_valid() -> None:
    settings = parse_settings(
        (DEPLOY / "gateway.yaml").read_text(), source="deploy/gateway.yaml", environ=SECRETS
    )
    assert settings.state.redis_url == "redis://redis:6379/0"
    assert settings.confluence.auth.token is not None
    assert settings.confluence.auth.token.get_secret_value() == SECRETS["CONFLUENCE_TOKEN"]
    # compose publishes no Document Server port: browsers must reach it through the gateway
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert "ports" not in compose["services"]["documentserver"]
    assert settings.docserver_prefix == "/onlyoffice"


def test_the_kubernetes_config_map_is_valid() -> None:
    config_map = next(d for d in kubernetes_documents() if d["kind"] == "ConfigMap")
    text = config_map["data"]["gateway.yaml"]  # type: ignore[index]
    settings = parse_settings(text, source="configmap", environ=SECRETS)
    assert settings.listen.port == 8080 and settings.state.redis_url is not None
    assert settings.docserver_prefix == "/onlyoffice"  # the Document Server Service stays internal


def test_kubernetes_probes_ports_and_grace_period_fit_the_gateway() -> None:
    deployment = next(d for d in kubernetes_documents() if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]  # type: ignore[index]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["ports"][0]["containerPort"] == 8080
    config_map = next(d for d in kubernetes_documents() if d["kind"] == "ConfigMap")
    settings = parse_settings(config_map["data"]["gateway.yaml"], source="configmap", environ=SECRETS)  # type: ignore[index]
    drain = settings.proxy.shutdown_drain_delay + settings.proxy.shutdown_timeout
    assert pod["terminationGracePeriodSeconds"] > drain


def test_compose_and_image_agree_on_the_config_path() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    gateway = compose["services"]["gateway"]
    mounted = {volume.split(":")[1] for volume in gateway["volumes"]}
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    configured = re.search(r"GATEWAY_CONFIG=(\S+)", dockerfile)
    assert configured is not None and configured.group(1) in mounted
    assert set(SECRETS) <= set(gateway["environment"])
    assert compose["services"]["documentserver"]["environment"]["JWT_ENABLED"] == "true"


def test_systemd_unit_drains_longer_than_the_gateway() -> None:
    unit = (DEPLOY / "systemd" / "onlyoffice-gateway.service").read_text()
    assert "onlyoffice-gateway serve --config" in unit
    stop = re.search(r"^TimeoutStopSec=(\d+)$", unit, re.MULTILINE)
    assert stop is not None and int(stop.group(1)) > 60


def test_systemd_reload_sends_sighup_to_the_main_process() -> None:
    unit = (DEPLOY / "systemd" / "onlyoffice-gateway.service").read_text()
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit.splitlines()


def test_the_image_keeps_sqlite_state_on_a_volume_its_user_owns() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    state_dir = "/var/lib/onlyoffice-gateway"
    assert f"STATE_DIRECTORY={state_dir}" in dockerfile
    assert f'VOLUME ["{state_dir}"]' in dockerfile
    assert re.search(rf"install -d -o 10001 -g gateway -m 0700 {state_dir}$", dockerfile, re.MULTILINE)
    assert dockerfile.index("install -d -o 10001") < dockerfile.index("USER 10001")
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    mounts = dict(volume.split(":")[:2][::-1] for volume in compose["services"]["gateway"]["volumes"])
    assert mounts[state_dir] in compose["volumes"]  # a named volume, not the container's layer
    unit = (DEPLOY / "systemd" / "onlyoffice-gateway.service").read_text()
    assert "StateDirectory=onlyoffice-gateway" in unit.splitlines()  # systemd sets $STATE_DIRECTORY
    assert "path: /var/lib/onlyoffice-gateway/state.sqlite3" in (DEPLOY / "gateway.yaml").read_text()
