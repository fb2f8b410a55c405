"""The web UI in a real headless Chromium (Debian's, driven by Playwright) against a real `orchid serve`.

Playwright cannot download a browser here, so it drives /usr/bin/chromium (`scripts/ensure-browser`
installs it). Without it these tests skip on a laptop and fail in CI. Each test module gets its own
server and browser; each test its own browser profile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support import IN_CI, Api, Server
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, new_context

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run scripts/ensure-browser"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Four CPUs whatever the machine, and the 1 s terminate grace period of tests.support."""
    srv = Server(
        tmp_path_factory.mktemp("web"),
        env={"ORCHID_LOCAL_CPUS": "4", "ORCHID_LOCAL_MEMORY_GIB": "16"},
    ).start()
    yield srv
    srv.close()


@pytest.fixture
def page(browser: Browser, api: Api) -> Iterator[Page]:
    """A desktop-sized page signed in as the module's `api` user (each module defines `api`).
    Fails the test if the page threw an uncaught error."""
    context = new_context(browser, api.token)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
