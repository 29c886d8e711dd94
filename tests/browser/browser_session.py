"""A browser profile logged in to Confluence through the gateway, watching for script errors.

Shared by every browser folder. Any dialog counts as a problem: an alert() would mean injected
markup ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Dialog, Error, Frame, Page

from gateway.testing.stack import Stack

__all__ = ["REFRESH_MACRO", "SignedIn", "editor_frame", "method_calls", "sign_in", "watch_problems"]


def watch_problems(page: Page, *, console: bool = False) -> list[str]:
    """Collect the page's script errors and dialogs (dismissed, or the page would wait forever);
    with `console`, also what it logs as errors (failed fetches, CSP reports)."""
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(f"console: {message.text}")

    def on_error(error: Error) -> None:
        seen.append(f"script error: {error}")

    async def on_dialog(dialog: Dialog) -> None:
        seen.append(f"dialog: {dialog.message}")
        await dialog.dismiss()

    page.on("pageerror", on_error)
    page.on("dialog", on_dialog)
    if console:
        page.on("console", on_console)
    return seen


@dataclass
class SignedIn:
    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)


async def sign_in(browser: Browser, stack: Stack, user: str, *, console: bool = False) -> SignedIn:
    """A fresh profile that logged in with Confluence's own form (demo password = user name)."""
    context = await browser.new_context()
    page = await context.new_page()
    session = SignedIn(context, page, watch_problems(page, console=console))
    await page.goto(f"{stack.public_url}/login.action")
    await page.fill("[name=os_username]", user)
    await page.fill("[name=os_password]", user)
    async with page.expect_navigation():
        await page.press("[name=os_password]", "Enter")
    assert "login.action" not in page.url, page.url
    return session


async def editor_frame(page: Page) -> Frame:
    """The Document Server simulator's editor inside the doceditor page, once the document is open."""
    await page.locator("iframe").first.wait_for(state="attached")
    for _ in range(100):
        for frame in page.frames:
            if frame != page.main_frame and await frame.evaluate(
                "(document.getElementById('oo-mode') || {}).textContent || ''"
            ):
                return frame
        await page.wait_for_timeout(100)
    raise AssertionError("the Document Server simulator's editor did not load")


async def method_calls(page: Page, method: str, count: int) -> list[Any]:
    """The first arguments of the recorded DocEditor calls of `method` (the simulator's
    `window.__docsapi_calls`), once there are at least `count` of them."""
    await page.wait_for_function(
        "([m, n]) => window.__docsapi_calls.filter(c => c.method === m).length >= n",
        arg=[method, count],
        timeout=10_000,
    )
    found: list[Any] = await page.evaluate(
        "(m) => window.__docsapi_calls.filter(c => c.method === m).map(c => c.args[0])", method
    )
    return found


# What Confluence's attachments-macro script does after an upload: fetch `rendermacro.action` with
# the fieldset's parameters and replace the table container with the answer (confluence.md 3.1).
REFRESH_MACRO = """async (strip) => {
    const container = document.querySelector('.plugin_attachments_container');
    const params = new URLSearchParams();
    container.querySelectorAll('input.plugin_attachments_macro_render_param')
        .forEach((input) => params.append(input.name, input.value));
    const ctx = document.querySelector('meta[name=ajs-context-path]').content;
    const response = await fetch(ctx + '/pages/plugins/attachments/rendermacro.action?' + params);
    let html = await response.text();
    if (strip) {  // as if the server had not injected anything: the browser script must add the links
        const holder = document.createElement('div');
        holder.innerHTML = html;
        holder.querySelectorAll('.onlyoffice-links, [data-onlyoffice]').forEach((element) => element.remove());
        html = holder.innerHTML;
    }
    container.outerHTML = html;
    return response.status;
}"""
