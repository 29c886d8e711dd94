"""The shipped nginx front, for real: TLS -> nginx -> gateway -> simulators, all on loopback."""

from __future__ import annotations

import asyncio
import re
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from gateway.cli import main
from gateway.nginx import locations_config, upstreams_config
from gateway.onlyoffice.plugin import OnlyOfficePlugin
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
    for folder in ("logs", "tmp"):
        (tmp_path / folder).mkdir()
    extra = {
        "public_url": public,
        "internal_url": f"http://127.0.0.1:{gateway_port}/confluence",
        "proxy": {"trusted_proxies": ["127.0.0.1/32"]},
    }
    # As deploy/gateway.yaml ships it: the Document Server under /onlyoffice of the wiki's origin.
    async with running_stack(
        gateway_port=gateway_port, settings=extra, docserver_path="/onlyoffice"
    ) as stack:
        # The fast path for this stack, printed by the same command operators run.
        (tmp_path / "upstreams.conf").write_text(
            _nginx_config(stack, "upstreams", f"127.0.0.1:{gateway_port}")
        )
        (tmp_path / "locations.conf").write_text(_nginx_config(stack, "locations", None))
        site = (
            CONF.read_text()
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
            .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("/etc/ssl/certs/wiki.example.com.pem", str(tmp_path / "cert.pem"))
            .replace("/etc/ssl/private/wiki.example.com.key", str(tmp_path / "key.pem"))
            .replace("/etc/nginx/onlyoffice/onlyoffice-upstreams.conf", str(tmp_path / "upstreams.conf"))
            .replace("/etc/nginx/onlyoffice/onlyoffice-locations.conf", str(tmp_path / "locations.conf"))
            .replace("server_name wiki.example.com;", "server_name 127.0.0.1;")
        )
        (tmp_path / "nginx.conf").write_text(
            f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
            f"http {{\naccess_log off;\nclient_body_temp_path {tmp_path}/tmp;\nproxy_temp_path {tmp_path}/tmp;\n"
            f"{site}\n}}\n"
        )
        command = [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
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


def _nginx_config(stack: Stack, part: str, gateway: str | None) -> str:
    """What `onlyoffice-gateway nginx-config` prints for the stack's settings."""
    if part == "upstreams":
        assert gateway is not None
        return upstreams_config(stack.settings, gateway)
    return locations_config(stack.settings, [OnlyOfficePlugin(stack.settings)])


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


# ---- The fast path: each route class reaches the right upstream ------------------------------------

_REQUESTS = re.compile(r'^gateway_requests_total\{status_class="\dxx"\} ([0-9.e+]+)$', re.M)


async def _gateway_requests(stack: Stack) -> float:
    """Requests the gateway answered so far (read at its own port; this read is counted after it)."""
    async with aiohttp.ClientSession() as session, session.get(f"{stack.gateway_origin}/metrics") as response:
        return sum(float(v) for v in _REQUESTS.findall(await response.text()))


async def _through_gateway(stack: Stack, send: Callable[[], Awaitable[object]]) -> bool:
    """Whether the request `send` makes reached the gateway (its counter moved by more than our read)."""
    before = await _gateway_requests(stack)
    await send()
    after = await _gateway_requests(stack)
    return after - before > 1


async def _raw_get(port: int, context: ssl.SSLContext, target: str, host: str | None = None) -> int:
    """GET a request target exactly as spelled (no client normalisation); returns the status."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="127.0.0.1"
    )
    try:
        auth = demo_login("alice")["Authorization"]
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\nAuthorization: {auth}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 30)
        await reader.read()
        return int(status_line.split()[1])
    finally:
        writer.close()


def _https_port(public: str) -> int:
    port = URL(public).port
    assert port is not None
    return port


@pytest.mark.parametrize(
    "path",
    [
        "/s/en_GB/8703/batch.js",  # static resources
        "/download/resources/com.atlassian.auiplugin:ajs/aui.js",
        "/rest/api/user/current",  # REST
        "/rest/api/content?spaceKey=DEMO&title=Welcome",
        "/status",
    ],
)
async def test_confluence_traffic_goes_straight_to_confluence(
    front: tuple[Stack, str, ssl.SSLContext], path: str
) -> None:
    stack, public, context = front
    answered: list[int] = []

    async def send() -> None:
        async with (
            aiohttp.ClientSession(headers=demo_login("alice")) as session,
            session.get(public + path, ssl=context, allow_redirects=False) as response,
        ):
            await response.read()
            answered.append(response.status)

    assert not await _through_gateway(stack, send)
    assert answered and answered[0] != 421 and answered[0] < 500, answered


async def test_attachment_downloads_go_straight_to_confluence(
    front: tuple[Stack, str, ssl.SSLContext],
) -> None:
    stack, public, context = front
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    body: list[bytes] = []

    async def send() -> None:
        url = f"{public}/download/attachments/{page.id}/report.docx"
        async with (
            aiohttp.ClientSession(headers=demo_login("alice")) as session,
            session.get(url, ssl=context) as response,
        ):
            assert response.status == 200
            body.append(await response.read())

    assert not await _through_gateway(stack, send)
    assert body[0].startswith(b"PK")  # the real file, from Confluence


async def test_synchrony_websockets_go_straight_to_confluence(
    front: tuple[Stack, str, ssl.SSLContext],
) -> None:
    stack, public, context = front
    origin = public.rsplit("/confluence", 1)[0].replace("https://", "wss://")

    async def send() -> None:
        for url in (
            f"{origin}/synchrony/v1/bayeux-sync1",
            f"{origin}/confluence/synchrony-proxy/v1/bayeux-sync1",
        ):
            async with (
                aiohttp.ClientSession(headers=demo_login("alice")) as session,
                session.ws_connect(url, ssl=context) as ws,
            ):
                await ws.send_str("direct")
                message = await ws.receive(timeout=10)
                assert message.type == aiohttp.WSMsgType.TEXT and "direct" in message.data

    assert not await _through_gateway(stack, send)


async def test_pages_the_gateway_rewrites_and_its_routes_go_through_it(
    front: tuple[Stack, str, ssl.SSLContext],
) -> None:
    stack, public, context = front
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    report = stack.welcome_attachment_id("report.docx")
    origin = public.rsplit("/confluence", 1)[0]
    targets = [
        (f"{public}/display/DEMO/Welcome", "Edit in ONLYOFFICE"),
        (f"{public}/pages/viewpage.action?pageId={page.id}", "Edit in ONLYOFFICE"),
        (f"{public}/pages/viewpageattachments.action?pageId={page.id}", "Edit in ONLYOFFICE"),
        (f"{public}/plugins/servlet/onlyoffice/static/inject.js", ""),
        (f"{public}/plugins/servlet/onlyoffice/doceditor?attachmentId={report}", "onlyoffice-config"),
        (f"{origin}/onlyoffice/web-apps/apps/api/documents/api.js", "DocsAPI"),
    ]
    for url, expected in targets:

        async def send(url: str = url, expected: str = expected) -> None:
            async with (
                aiohttp.ClientSession(headers=demo_login("alice")) as session,
                session.get(url, ssl=context) as response,
            ):
                text = await response.text()
                assert response.status == 200, (url, response.status)
                assert expected in text, url

        assert await _through_gateway(stack, send), url


@pytest.mark.parametrize(
    "target",
    [
        "/confluence//display/DEMO/Welcome",
        "/confluence/./display/DEMO/Welcome",
        "/confluence/x/../display/DEMO/Welcome",
        "/confluence/%64isplay/DEMO/Welcome",
        "/confluence/display%2FDEMO%2FWelcome",
        "/confluence/pages/viewpage%2Eaction?pageId=1",
        "//confluence/pages/viewpageattachments.action?pageId=1",
        "/confluence/plugins/servlet/onlyoffice/../onlyoffice/static/inject.js",
        "/confluence/plugins/servlet//onlyoffice/static/inject.js",
    ],
)
async def test_other_spellings_of_gateway_paths_never_bypass_it(
    front: tuple[Stack, str, ssl.SSLContext], target: str
) -> None:
    stack, public, context = front
    assert await _through_gateway(stack, lambda: _raw_get(_https_port(public), context, target)), target


@pytest.mark.parametrize("path", ["/confluence/rest/api/user/current", "/confluence/display/DEMO/Welcome"])
async def test_a_host_the_gateway_does_not_serve_is_refused_on_both_paths(
    front: tuple[Stack, str, ssl.SSLContext], path: str
) -> None:
    _, public, context = front
    assert await _raw_get(_https_port(public), context, path, host="evil.example") == 421


async def test_the_shipped_fast_path_is_what_the_command_prints(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy = CONF.parent.parent
    monkeypatch.setenv("CONFLUENCE_TOKEN", "shipped")
    monkeypatch.setenv("DS_JWT_SECRET", "s" * 32)
    for part, shipped in (
        ("upstreams", "onlyoffice-upstreams.conf"),
        ("locations", "onlyoffice-locations.conf"),
    ):
        assert main(["nginx-config", "--config", str(deploy / "gateway.yaml"), "--part", part]) == 0
        printed = capsys.readouterr().out
        assert printed == (CONF.parent / shipped).read_text(), (
            f"deploy/nginx/{shipped} is stale: regenerate it with "
            f"`onlyoffice-gateway nginx-config --config deploy/gateway.yaml --part {part}`"
        )
