"""The shipped nginx front, for real: TLS -> nginx -> gateway -> simulators, all on loopback."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from gateway.testing.stack import Stack, demo_login, free_port, running_stack

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "onlyoffice-gateway.conf"


@pytest.fixture
async def front(tmp_path: Path) -> AsyncIterator[tuple[Stack, str, ssl.SSLContext]]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is missing: apt-get install -y nginx (./dev test installs it)")
    https_port, http_port, gateway_port = free_port(), free_port(), free_port()
    public = f"https://127.0.0.1:{https_port}/confluence"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    site = (
        CONF.read_text()
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("/etc/ssl/certs/wiki.example.com.pem", str(tmp_path / "cert.pem"))
        .replace("/etc/ssl/private/wiki.example.com.key", str(tmp_path / "key.pem"))
        .replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{gateway_port};")
        .replace("server_name wiki.example.com;", "server_name 127.0.0.1;")
    )
    for folder in ("logs", "tmp"):
        (tmp_path / folder).mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\naccess_log off;\nclient_body_temp_path {tmp_path}/tmp;\nproxy_temp_path {tmp_path}/tmp;\n"
        f"{site}\n}}\n"
    )
    command = [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    extra = {
        "public_url": public,
        "internal_url": f"http://127.0.0.1:{gateway_port}/confluence",
        "proxy": {"trusted_proxies": ["127.0.0.1/32"]},
    }
    # As deploy/gateway.yaml ships it: the Document Server under /onlyoffice of the wiki's origin.
    async with running_stack(
        gateway_port=gateway_port, settings=extra, docserver_path="/onlyoffice"
    ) as stack:
        process = subprocess.Popen([*command, "-g", "daemon off;"])
        context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        try:
            for _ in range(100):
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", https_port)
                    writer.close()
                    break
                except OSError:
                    await asyncio.sleep(0.05)
            yield stack, public, context
        finally:
            process.terminate()
            process.wait(timeout=10)


async def test_pages_with_links_come_through_tls(front: tuple[Stack, str, ssl.SSLContext]) -> None:
    _, public, context = front
    async with aiohttp.ClientSession(headers=demo_login("alice")) as session:
        async with session.get(f"{public}/display/DEMO/Welcome", ssl=context) as response:
            body = await response.text()
            assert response.status == 200
            assert "Edit in ONLYOFFICE" in body and 'class="onlyoffice-doceditor"' in body
        async with session.get(f"{public}/rest/api/user/current", ssl=context) as response:
            assert (await response.json())["username"] == "alice"


async def test_health_and_metrics_are_not_public(front: tuple[Stack, str, ssl.SSLContext]) -> None:
    _, public, context = front
    origin = public.rsplit("/confluence", 1)[0]
    async with aiohttp.ClientSession() as session:
        for path in ("/livez", "/readyz", "/metrics"):
            async with session.get(origin + path, ssl=context) as response:
                assert response.status == 404, path


async def test_websockets_pass_the_front(front: tuple[Stack, str, ssl.SSLContext]) -> None:
    _, public, context = front
    url = public.replace("https://", "wss://") + "/synchrony-proxy/v1/bayeux-sync1"
    async with (
        aiohttp.ClientSession(headers=demo_login("alice")) as session,
        session.ws_connect(url, ssl=context) as ws,
    ):
        await ws.send_str("hello through nginx")
        message = await ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.TEXT and "hello through nginx" in message.data


async def test_the_document_server_is_served_under_the_wiki_origin(
    front: tuple[Stack, str, ssl.SSLContext],
) -> None:
    stack, public, context = front
    origin = public.rsplit("/confluence", 1)[0]
    report = stack.welcome_attachment_id("report.docx")
    async with aiohttp.ClientSession(headers=demo_login("alice")) as session:
        editor_url = f"{public}/plugins/servlet/onlyoffice/doceditor?attachmentId={report}"
        async with session.get(editor_url, ssl=context) as response:
            page = await response.text()
            assert response.status == 200
            assert f'src="{origin}/onlyoffice/web-apps/apps/api/documents/api.js?shardkey=' in page
        api_js = f"{origin}/onlyoffice/web-apps/apps/api/documents/api.js"
        async with session.get(api_js, ssl=context) as response:
            assert response.status == 200 and "DocsAPI" in await response.text()
