"""`python -m gateway.testing.screenshot`: the README's picture of the demo, taken again.

Starts the demo stack on loopback (as `onlyoffice-gateway demo` does), logs in as alice with
Confluence's own login form in headless Chromium, opens the Attachments page of DEMO/Welcome
through the gateway, waits for the ONLYOFFICE links, and saves a PNG. Playwright and a Chromium
binary (Debian's /usr/bin/chromium by default) are needed: the `test` extra brings Playwright.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.testing.stack import running_stack

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "VIEWPORT", "take_screenshot"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
DEFAULT_OUT = Path("docs/attachments-page.png")


async def take_screenshot(out: Path, *, user: str = "alice", chromium: str = CHROMIUM) -> Path:
    """The Attachments page of DEMO/Welcome as `user` sees it through the gateway, saved to `out`."""
    from playwright.async_api import async_playwright

    async with running_stack() as stack, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
            page = await context.new_page()
            await page.goto(f"{stack.public_url}/login.action")
            await page.fill("[name=os_username]", user)
            await page.fill("[name=os_password]", user)  # demo passwords are the user names
            async with page.expect_navigation():
                await page.press("[name=os_password]", "Enter")
            if "login.action" in page.url:
                raise RuntimeError(f"could not log in as {user}")
            await page.goto(
                f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}"
            )
            await page.wait_for_selector("tr.attachment-row .onlyoffice-links")
            out.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(out), full_page=True)
        finally:
            await browser.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway.testing.screenshot", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"PNG to write (default {DEFAULT_OUT})")
    parser.add_argument("--user", default="alice", choices=["admin", "alice", "bob"])
    parser.add_argument("--chromium", default=CHROMIUM, help=f"Chromium binary (default {CHROMIUM})")
    args = parser.parse_args(argv)
    saved = asyncio.run(take_screenshot(args.out, user=args.user, chromium=args.chromium))
    print(f"{saved} ({saved.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
