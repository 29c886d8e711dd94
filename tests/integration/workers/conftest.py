"""The worker tests reuse the proxy fixtures (stub upstream) and Redis from tests/conftest.py."""

from tests.integration.proxy.proxy_fixtures import stub

__all__ = ["stub"]
