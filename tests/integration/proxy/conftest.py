"""Proxy test fixtures live in proxy_fixtures.py so tests/security can share them."""

from tests.integration.proxy.proxy_fixtures import make_gateway, stub

__all__ = ["make_gateway", "stub"]
