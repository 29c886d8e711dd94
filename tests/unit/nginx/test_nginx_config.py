"""`onlyoffice-gateway nginx-config`: built from the plugins' own description of what they serve."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import web
from multidict import CIMultiDict

from gateway.nginx import NginxConfigError, fast_path, locations_config, nginx_regex
from gateway.onlyoffice.plugin import OnlyOfficePlugin
from gateway.proxy.plugin import BodyTransform, PluginContext, RewrittenPaths
from gateway.settings import Settings
from gateway.settings.loader import load_settings_from_mapping
from gateway.settings.models import DEFAULT_INJECTION_PATHS


def _settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "public_url": "https://wiki.example.com/confluence",
        "confluence": {"url": "http://confluence:8090/confluence", "auth": {"token": "t"}},
        "documentserver": {"public_url": "https://docs.example.com/", "jwt": {"secret": "s" * 32}},
    }
    base.update(overrides)
    return load_settings_from_mapping(base)


def test_the_regex_accepts_what_the_filter_accepts() -> None:
    paths = RewrittenPaths("/confluence", DEFAULT_INJECTION_PATHS)
    # nginx's PCRE reads these simple patterns as Python does; Python's re stands in for it here.
    translated = re.compile(nginx_regex(paths))
    for path in (
        "/confluence/display/DEMO/Welcome",
        "/confluence/pages/viewpage.action",
        "/confluence/pages/viewpageattachments.action",
        "/confluence/pages/plugins/attachments/rendermacro.action",
        "/confluence/x/AbC",
        "/confluence/spaces/viewspace.action",
        "/confluence/display/",
        "/confluence/pages/viewpageXaction",
        "/confluence/rest/api/content",
        "/confluence/s/batch.js",
        "/display/DEMO/Welcome",
        "/confluencex/display/DEMO/Welcome",
        "/confluence/pages/viewpage.action/more",
    ):
        assert bool(translated.search(path)) == paths.matches(path), path


@pytest.mark.parametrize("pattern", [r"/page/\d+", r"/(?a:x)", r'/a"b', "/a\nb", r"/x\Z", r"/\w+"])
def test_patterns_nginx_would_read_differently_are_refused(pattern: str) -> None:
    with pytest.raises(NginxConfigError, match=r"injection\.paths"):
        nginx_regex(RewrittenPaths("/confluence", (pattern,)))


def test_the_gateway_routes_the_pages_it_rewrites_its_routes_and_the_mount() -> None:
    settings = _settings(
        documentserver={
            "public_url": "/onlyoffice",
            "internal_url": "http://documentserver",
            "jwt": {"secret": "s" * 32},
        }
    )
    found = fast_path(settings, [OnlyOfficePlugin(settings)])
    assert found.plugin_prefixes == ("/confluence/plugins/servlet/onlyoffice/",)
    assert found.docserver_prefix == "/onlyoffice"
    assert [p.patterns for p in found.rewritten] == [DEFAULT_INJECTION_PATHS]
    text = locations_config(settings, [OnlyOfficePlugin(settings)])
    assert "location ^~ /confluence/plugins/servlet/onlyoffice/ {" in text
    assert "location ^~ /onlyoffice {" in text
    assert 'proxy_set_header Host "wiki.example.com";' in text
    assert "proxy_redirect http://confluence:8090/ https://wiki.example.com/;" in text
    assert "client_max_body_size 1073741824;" in text
    assert '"^(?:wiki\\.example\\.com|wiki\\.example\\.com:443)$"' in text


def test_no_injection_means_no_rewritten_pages() -> None:
    settings = _settings(injection={"enabled": False})
    assert fast_path(settings, [OnlyOfficePlugin(settings)]).rewritten == ()
    assert "location ~" not in locations_config(settings, [OnlyOfficePlugin(settings)])


class _AnyPathFilter:
    """A filter that does not say which paths it rewrites."""

    name = "any"
    vary: tuple[str, ...] = ()

    def start(self, request: web.Request, status: int, headers: CIMultiDict[str]) -> BodyTransform | None:
        return None


class _Plugin:
    name = "any-path"

    def setup(self, context: PluginContext) -> None:
        context.add_filter(_AnyPathFilter())


def test_a_filter_that_does_not_say_what_it_rewrites_sends_everything_to_the_gateway() -> None:
    settings = _settings()
    text = locations_config(settings, [OnlyOfficePlugin(settings), _Plugin()])
    assert "onlyoffice_confluence" not in text
    assert "location / {\n    proxy_pass http://onlyoffice_gateway;" in text
