"""Security tests reuse the proxy fixtures (stub upstream + gateway on loopback)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "proxy"))

from proxy_fixtures import make_gateway, stub

__all__ = ["make_gateway", "stub"]
