"""Security tests reuse the proxy fixtures (stub upstream + gateway on loopback)."""

from tests.integration.proxy.proxy_fixtures import make_gateway, stub

__all__ = ["make_gateway", "stub"]
