"""`onlyoffice-gateway demo`: the embedded default, everything on loopback, nothing to install."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from gateway.logs import configure_for
from gateway.testing.stack import DEMO_LOGINS, running_stack

__all__ = ["run_demo"]


async def _demo(host: str, port: int) -> None:
    async with running_stack(host=host, gateway_port=port) as stack:
        configure_for(stack.settings)
        logins = "\n".join(f"    {user:<6} / {password:<6}  ({role})" for user, password, role in DEMO_LOGINS)
        print(
            f"ONLYOFFICE gateway demo\n"
            f"  Open:         {stack.public_url}/display/DEMO/Welcome\n"
            f"  Logins:\n{logins}\n"
            f"  Confluence simulator:      {stack.confluence_url}\n"
            f"  Document Server simulator: {stack.docserver_url}\n"
            f"Press Ctrl+C to stop.",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()


def run_demo(host: str = "127.0.0.1", port: int = 8080) -> None:
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("onlyoffice-gateway demo: the demo binds loopback only (127.0.0.1, ::1)")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_demo(host, port))
