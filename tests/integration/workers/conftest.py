"""The worker tests reuse the proxy fixtures (stub upstream) and Redis from tests/conftest.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "proxy"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "saving"))

from proxy_fixtures import stub

__all__ = ["stub"]
