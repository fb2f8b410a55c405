"""Helpers for the web UI tests: browser profiles, screenshots and layout checks."""

from __future__ import annotations

import json
import os
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.support import Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).parent.parent.parent
# Every run saves its screenshots under tests/artifacts/ (for CI to keep); the README's copies in
# docs/screenshots/ are refreshed only on request, so a test run leaves the work tree clean.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("ORCHID_UPDATE_SCREENSHOTS")
    else ROOT / "tests" / "artifacts" / "screenshots"
)
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 800}


def new_context(
    browser: Browser, token: str | None = None, viewport: ViewportSize = DESKTOP
) -> BrowserContext:
    """A fresh browser profile (its own sessionStorage), signed in when `token` is given."""
    context = browser.new_context(
        viewport=viewport, locale="en-GB", timezone_id="UTC", reduced_motion="reduce"
    )
    context.set_default_timeout(10_000)
    if token is not None:
        context.add_init_script(f"sessionStorage.setItem('orchid.token', {json.dumps(token)})")
    return context


def visit(page: Page, server: Server, route: str) -> None:
    """Open a route of the UI, e.g. visit(page, server, "/jobs/3")."""
    page.goto(f"{server.url}/#{route}")


def screenshot(page: Page, name: str) -> None:
    """Save a full-page screenshot (for the README with ORCHID_UPDATE_SCREENSHOTS=1)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, animations="disabled")


def fits_width(page: Page) -> bool:
    """True when the page does not scroll sideways."""
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


# What a keyboard user has reached: a control's aria-label, id, name or text.
FOCUSED = """(() => {
  const e = document.activeElement;
  return e.getAttribute("aria-label") || e.id || e.getAttribute("name") || e.textContent.trim();
})()"""


def tab_order(page: Page, presses: int) -> list[str]:
    """The controls that `presses` presses of Tab visit, in order."""
    reached = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        reached.append(str(page.evaluate(FOCUSED)))
    return reached
