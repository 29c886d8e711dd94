"""Command line: `onlyoffice-gateway serve | check | pending | nginx-config | demo | simulate`.

Each sub-command imports what it needs lazily, so `--help` stays fast and a broken optional part
(for instance the simulators) never stops `serve` from starting.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.proxy.plugin import Plugin
    from gateway.settings import Settings

__all__ = ["build_parser", "default_plugins", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onlyoffice-gateway",
        description="ONLYOFFICE Docs for Confluence, as a reverse proxy in front of it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--config", type=Path, help="YAML config file (default: $GATEWAY_CONFIG)")

    check = commands.add_parser(
        "check", help="validate the config and probe Confluence and the Document Server"
    )
    check.add_argument("--config", type=Path, help="YAML config file (default: $GATEWAY_CONFIG)")

    nginx = commands.add_parser(
        "nginx-config",
        help="print the nginx front's fast path for a config (what goes to the gateway, what straight to Confluence)",
    )
    nginx.add_argument("--config", type=Path, help="YAML config file (default: $GATEWAY_CONFIG)")
    nginx.add_argument(
        "--part",
        choices=["locations", "upstreams"],
        default="locations",
        help="locations: for the front's server {} (default); upstreams: for nginx's http {}",
    )
    nginx.add_argument(
        "--gateway",
        metavar="HOST:PORT",
        help="where nginx reaches the gateway (default: listen.host:listen.port, 127.0.0.1 for 0.0.0.0)",
    )

    pending = commands.add_parser(
        "pending", help="list the saves not yet in Confluence (the recovery backlog), or retry one now"
    )
    pending.add_argument("--config", type=Path, help="YAML config file (default: $GATEWAY_CONFIG)")
    pending.add_argument("--json", action="store_true", help="machine-readable output")
    pending.add_argument(
        "--retry", metavar="KEY", help="save this document key now, through the recovery code, and report"
    )

    demo = commands.add_parser("demo", help="run both simulators and the gateway on loopback, seeded")
    demo.add_argument("--port", type=int, default=8080, help="gateway port (default 8080)")
    demo.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")

    simulate = commands.add_parser("simulate", help="run one simulator alone")
    simulators = simulate.add_subparsers(dest="simulator", required=True, metavar="SYSTEM")

    confluence = simulators.add_parser("confluence", help="the Confluence simulator")
    confluence.add_argument("--port", type=int, required=True)
    confluence.add_argument("--host", default="127.0.0.1")
    confluence.add_argument("--seed", choices=["demo", "empty"], default="demo")
    confluence.add_argument("--context-path", default="/confluence", help="Tomcat context path ('' for root)")
    confluence.add_argument("--base-url", help="Confluence's configured base URL (default: from the request)")
    confluence.add_argument("--data-dir", type=Path, help="keep state here so it survives a restart")
    confluence.add_argument(
        "--attachment-max-size",
        type=int,
        default=104857600,
        help="Attachment Maximum Size in bytes (default 104857600, Confluence's 100 MB)",
    )

    docserver = simulators.add_parser("docserver", help="the ONLYOFFICE Document Server simulator")
    docserver.add_argument("--port", type=int, required=True)
    docserver.add_argument("--host", default="127.0.0.1")
    docserver.add_argument("--jwt-secret", required=True, help="the shared JWT secret (inbox and outbox)")
    docserver.add_argument("--jwt-header", default="Authorization")
    docserver.add_argument(
        "--save-delay", type=float, default=5.0, help="seconds before status 2 (default 5)"
    )
    docserver.add_argument("--data-dir", type=Path, help="keep state here so it survives a restart")
    return parser


def _config_path(given: Path | None) -> Path:
    if given is not None:
        return given
    from_env = os.environ.get("GATEWAY_CONFIG")
    if not from_env:
        raise SystemExit("onlyoffice-gateway: give --config FILE or set GATEWAY_CONFIG")
    return Path(from_env)


def default_plugins(settings: Settings) -> list[Plugin]:
    """What `serve` runs on top of the proxy (a worker process builds its own from this)."""
    from gateway.onlyoffice.plugin import OnlyOfficePlugin

    return [OnlyOfficePlugin(settings)]


def _serve(settings: Settings, config_path: Path) -> int:
    from gateway.supervisor import resolve_workers, supervise

    settings = resolve_workers(settings)
    if settings.listen.worker_count > 1:
        return supervise(settings, default_plugins, config_path)
    from gateway.loop import EventLoopError
    from gateway.server import serve
    from gateway.state import StateUnavailable

    try:
        serve(settings, plugins=default_plugins(settings), config_path=config_path)
    except StateUnavailable as error:  # e.g. state.path cannot be opened: nothing to serve with
        print(f"onlyoffice-gateway: cannot start: {error}", file=sys.stderr)
        return 1
    except EventLoopError as error:
        print(f"onlyoffice-gateway: {error}", file=sys.stderr)
        return 2
    return 0


def _print_nginx_config(settings: Settings, part: str, gateway: str | None) -> int:
    from gateway.nginx import NginxConfigError, locations_config, upstreams_config

    if gateway is None:
        host = settings.listen.host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
        gateway = f"{host}:{settings.listen.port}"
    try:
        if part == "upstreams":
            print(upstreams_config(settings, gateway), end="")
        else:
            print(locations_config(settings, default_plugins(settings)), end="")
    except NginxConfigError as error:
        print(f"onlyoffice-gateway: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("serve", "check", "nginx-config", "pending"):
        from gateway.settings import ConfigError, load_settings

        config_path = _config_path(args.config)
        try:
            settings = load_settings(config_path)
        except ConfigError as error:
            print(f"onlyoffice-gateway: {error}", file=sys.stderr)
            return 2
        if args.command == "nginx-config":
            return _print_nginx_config(settings, args.part, args.gateway)
        if args.command == "serve":
            return _serve(settings, config_path)
        import asyncio

        if args.command == "pending":
            from gateway.pending import run_pending

            return asyncio.run(run_pending(settings, retry=args.retry, as_json=args.json))

        from gateway.check import run_check

        return asyncio.run(run_check(settings))
    if args.command == "demo":
        from gateway.demo import run_demo

        run_demo(host=args.host, port=args.port)
        return 0
    if args.simulator == "confluence":
        from gateway.testing.confluence import run_confluence

        run_confluence(
            host=args.host,
            port=args.port,
            seed=args.seed,
            context_path=args.context_path,
            base_url=args.base_url,
            data_dir=args.data_dir,
            attachment_max_size=args.attachment_max_size,
        )
        return 0
    from gateway.testing.docserver import run_docserver

    run_docserver(
        host=args.host,
        port=args.port,
        jwt_secret=args.jwt_secret,
        jwt_header=args.jwt_header,
        save_delay=args.save_delay,
        data_dir=args.data_dir,
    )
    return 0
