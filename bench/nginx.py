"""nginx configurations of a run: the upstream (fixture files, recorded Confluence answers, an upload
sink), the plain reverse proxy admins run today, and the front with the gateway's fast path.

The upstream is nginx serving files because nothing on this machine serves bytes faster: it is the
"direct" reference and must never be what limits the proxies in front of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NGINX = "/usr/sbin/nginx"
CTX = "/confluence"

# Headers and streaming as in the shipped front (deploy/nginx/onlyoffice-gateway.conf), HTTP/1.1 with
# pooled upstream connections, and 64 KiB reads: with buffering off nginx otherwise moves bodies in
# 4 KiB pieces, which measured 2-4x slower on 200 KiB bodies and downloads here (a weak reference).
_PROXY = """
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_buffer_size 64k;
            proxy_buffers 8 64k;
            proxy_read_timeout 300s;
            proxy_send_timeout 300s;"""


def _main(workdir: Path, name: str, workers: int, body: str) -> str:
    """The parts every instance shares: foreground, its own pid/log/temp files, no access log."""
    temp = workdir / f"{name}-temp"
    temp.mkdir(exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read the run's files
    return f"""{user}daemon off;
worker_processes {workers};
pid {workdir}/{name}.pid;
error_log {workdir}/{name}-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    client_max_body_size 0;
    types {{ text/html html; application/json json; application/octet-stream bin; }}
    default_type application/octet-stream;
{body}
}}
"""


def upstream_config(workdir: Path, root: Path, port: int, recorded: dict[str, str]) -> str:
    """Static fixture files under `root`, recorded answers by exact request URI, and two sinks:
    POST `.../bench/upload` reads the whole body (to memory) before it answers 200, and
    `/cache/files/` serves the Document Server's edited file for the save."""
    entries = "\n".join(f"        {_quote(uri)} {_quote(file)};" for uri, file in recorded.items())
    body = f"""    map_hash_bucket_size 512;
    map $request_uri $recorded {{
        default "";
{entries}
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {root};
        location {CTX}/bench/upload {{
            client_body_buffer_size 512m;
            proxy_pass http://127.0.0.1:{port}/empty;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }}
        location = /empty {{ return 200 "uploaded\\n"; }}
        location /cache/files/ {{ try_files /save.bin =404; }}
        location / {{
            if ($recorded) {{ rewrite ^ /recorded/$recorded break; }}
        }}
    }}"""
    return _main(workdir, "upstream", 1, body)


def proxy_config(workdir: Path, port: int, upstream_port: int, workers: int) -> str:
    """Plain nginx proxy_pass to Confluence (the upstream), the reference the gateway is held to."""
    body = f"""    upstream confluence {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            proxy_pass http://confluence;{_PROXY}
        }}
    }}"""
    return _main(workdir, "nginx", workers, body)


def front_config(workdir: Path, port: int, fastpath: tuple[str, str], workers: int) -> str:
    """nginx in front with the fast path: `fastpath` is (http-level upstreams, server-level locations)."""
    upstreams, locations = fastpath
    body = f"""{upstreams}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
{locations}
    }}"""
    return _main(workdir, "front", workers, body)


def fastpath(config: Path) -> tuple[str, str]:
    """The front's routing as shipped: `onlyoffice-gateway nginx-config` for the gateway's config
    (its upstream blocks for `http {}`, its locations for `server {}`), so the bench measures what
    operators install: rewritten pages and the plugin's routes to the gateway, the rest to Confluence."""
    parts = []
    for part in ("upstreams", "locations"):
        done = subprocess.run(
            [sys.executable, "-m", "gateway", "nginx-config", "--config", str(config), "--part", part],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"onlyoffice-gateway nginx-config --part {part} failed: {done.stderr}")
        parts.append(done.stdout)
    return parts[0], parts[1]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(workdir: Path, name: str, text: str) -> list[str]:
    """Write `name.conf`, check it with `nginx -t`, and return the command that runs it."""
    path = workdir / f"{name}.conf"
    path.write_text(text)
    command = [NGINX, "-c", str(path), "-p", str(workdir), "-e", str(workdir / f"{name}-error.log")]
    test = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30, check=False)
    if test.returncode != 0:
        raise RuntimeError(f"nginx rejects {path}:\n{test.stderr}\n{text}")
    return command
