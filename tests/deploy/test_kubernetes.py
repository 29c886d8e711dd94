"""Kubernetes: the plain manifests against the real API schemas, and the Helm chart in step with them.

`kubernetes-validate` (the test extra) ships the Kubernetes JSON schemas, so the manifests are
checked offline and strictly (an unknown or misspelt field fails). Helm itself has no Debian
package and no PyPI wheel for this Python, so the chart is rendered with `helm template` only where
`helm` is on PATH; everywhere its values and templates are checked against the plain manifests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type hints (no py.typed, no stubs)
import pytest
import yaml

from gateway.settings import parse_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
CHART = DEPLOY / "helm" / "onlyoffice-gateway"
SECRETS = {"CONFLUENCE_TOKEN": "pat-" + "x" * 40, "DS_JWT_SECRET": "s" * 40}
KUBERNETES_VERSION = "1.37.0"  # the schemas kubernetes-validate ships; 1.36 is there too


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _plain() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in _documents(path):
            found[document["kind"]] = document
    return found


def _values() -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return values


def _validate(document: dict[str, Any]) -> None:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = "/".join(str(p) for p in error.path)
        pytest.fail(f"{document['kind']}/{document['metadata']['name']}: {where}: {error.message}")


@pytest.mark.parametrize("path", sorted(KUBERNETES.glob("*.yaml")), ids=lambda p: p.name)
def test_plain_manifests_pass_the_kubernetes_schemas_strictly(path: Path) -> None:
    documents = _documents(path)
    assert documents
    for document in documents:
        _validate(document)


def test_the_validator_does_refuse_a_wrong_manifest() -> None:
    deployment = _plain()["Deployment"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {"httpGet": {"path": "/livez"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_the_plain_objects_fit_together() -> None:
    plain = _plain()
    assert set(plain) >= {
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Ingress",
    }
    labels = plain["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert plain["Service"]["spec"]["selector"] == labels
    assert plain["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == labels
    target = plain["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", plain["Deployment"]["metadata"]["name"])
    for rule in plain["Ingress"]["spec"]["rules"]:
        for route in rule["http"]["paths"]:
            assert route["backend"]["service"]["name"] == plain["Service"]["metadata"]["name"]
            assert not route["path"].startswith(("/livez", "/readyz", "/metrics"))
    settings = parse_settings(plain["ConfigMap"]["data"]["gateway.yaml"], source="configmap", environ=SECRETS)
    assert settings.listen.workers == 1  # a container sees the host's CPUs: scale by replicas
    routed = {route["path"] for rule in plain["Ingress"]["spec"]["rules"] for route in rule["http"]["paths"]}
    assert settings.docserver_prefix in routed and "/confluence" in routed
    annotations = plain["Ingress"]["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600  # WebSockets
    body = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert int(body.removesuffix("m")) * 1024 * 1024 >= settings.proxy.max_upload_bytes


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == CHART.name and chart["type"] == "application"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    project = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert f'version = "{chart["appVersion"]}"' in project  # the image tag defaults to the app's version


def _value_paths(values: Any, prefix: str = "") -> set[str]:
    paths = {prefix} if prefix else set()
    if isinstance(values, dict):
        for key, value in values.items():
            paths |= _value_paths(value, f"{prefix}.{key}" if prefix else key)
    return paths


def test_chart_templates_use_only_values_that_exist_and_close_every_block() -> None:
    known = _value_paths(_values())
    for template in sorted((CHART / "templates").iterdir()):
        text = template.read_text()
        assert text.count("{{") == text.count("}}"), template.name
        for used in re.findall(r"\.Values\.([A-Za-z0-9_.]+)", text):
            assert used in known, f"{template.name}: .Values.{used} is not in values.yaml"
        opened = len(re.findall(r"\{\{-?\s*(?:if|with|range|define)\b", text))
        closed = len(re.findall(r"\{\{-?\s*end\b", text))
        assert opened == closed, f"{template.name}: {opened} blocks opened, {closed} closed"


def test_service_monitor_only_when_the_prometheus_operator_crd_exists() -> None:
    text = (CHART / "templates" / "servicemonitor.yaml").read_text()
    first = text.splitlines()[0]
    assert '.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"' in first and first.startswith("{{- if")
    assert "path: /metrics" in text


def test_chart_values_are_the_plain_manifests() -> None:
    """One deployment, two spellings: a change to one without the other fails here."""
    values, plain = _values(), _plain()
    config_map = yaml.safe_load(plain["ConfigMap"]["data"]["gateway.yaml"])
    assert {**values["config"], "state": {"redis_url": values["redis"]["url"]}} == config_map
    parse_settings(yaml.safe_dump(values["config"]), source="values.yaml config", environ=SECRETS)
    deployment = plain["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert values["replicaCount"] == deployment["spec"]["replicas"]
    assert values["terminationGracePeriodSeconds"] == pod["terminationGracePeriodSeconds"]
    assert values["resources"] == container["resources"]
    assert values["existingSecret"] == container["envFrom"][0]["secretRef"]["name"]
    assert values["config"]["listen"]["port"] == container["ports"][0]["containerPort"]
    assert (
        values["podDisruptionBudget"]["minAvailable"] == plain["PodDisruptionBudget"]["spec"]["minAvailable"]
    )
    hpa = plain["HorizontalPodAutoscaler"]["spec"]
    scaling = values["autoscaling"]
    assert (scaling["minReplicas"], scaling["maxReplicas"]) == (hpa["minReplicas"], hpa["maxReplicas"])
    assert (
        scaling["targetCPUUtilizationPercentage"]
        == hpa["metrics"][0]["resource"]["target"]["averageUtilization"]
    )
    ingress = plain["Ingress"]
    assert values["ingress"]["annotations"] == ingress["metadata"]["annotations"]
    assert values["ingress"]["paths"] == [p["path"] for p in ingress["spec"]["rules"][0]["http"]["paths"]]
    # What the templates write literally, as the plain Deployment has it.
    template = (CHART / "templates" / "deployment.yaml").read_text()
    for literal in (
        "httpGet: {path: /livez, port: http}",
        "httpGet: {path: /readyz, port: http}",
        "rollingUpdate: {maxUnavailable: 0, maxSurge: 1}",
        "runAsUser: 10001",
        "readOnlyRootFilesystem: true",
        "capabilities: {drop: [ALL]}",
        "mountPath: /etc/onlyoffice-gateway",
        "{name: GATEWAY_CONFIG, value: /etc/onlyoffice-gateway/gateway.yaml}",
    ):
        assert literal in template
        assert literal in (KUBERNETES / "gateway.yaml").read_text()
    hpa_template = (CHART / "templates" / "hpa.yaml").read_text()
    assert "autoscaling/v2" in hpa_template and "stabilizationWindowSeconds: 300" in hpa_template


@pytest.mark.skipif(
    shutil.which("helm") is None,
    reason="helm is not installed: Debian has no package and PyPI no wheel for Python 3.11 "
    "(values and templates are checked against the plain manifests above instead)",
)
def test_helm_lint_and_template_render_valid_objects(tmp_path: Path) -> None:
    subprocess.run(["helm", "lint", "--strict", str(CHART)], check=True, capture_output=True, timeout=120)
    for extra in ([], ["--set", "autoscaling.enabled=true", "--set", "ingress.enabled=true"]):
        rendered = subprocess.run(
            ["helm", "template", "gw", str(CHART), *extra],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        documents = [d for d in yaml.safe_load_all(rendered) if d]
        kinds = {d["kind"] for d in documents}
        assert "ServiceMonitor" not in kinds  # no monitoring.coreos.com/v1 without a cluster
        for document in documents:
            _validate(document)
        config_map = next(d for d in documents if d["kind"] == "ConfigMap")
        parse_settings(config_map["data"]["gateway.yaml"], source="rendered", environ=SECRETS)
    monitored = subprocess.run(
        ["helm", "template", "gw", str(CHART), "--api-versions", "monitoring.coreos.com/v1"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "kind: ServiceMonitor" in monitored
