"""Signing in with a token, a bad token, signing out, and the UI living beside the API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support import Api, Server
from tests.web.browser import new_context, screenshot, visit


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return server.user("ada")


@pytest.fixture
def anonymous(browser: Browser) -> Iterator[Page]:
    context = new_context(browser)
    yield context.new_page()
    context.close()


def test_the_ui_is_served_beside_the_api(server: Server) -> None:
    with httpx.Client(base_url=server.url) as http:
        index = http.get("/")
        assert index.status_code == 200
        assert '<script type="module" src="/ui/js/app.js">' in index.text
        assert http.get("/ui/js/api.js").headers["content-type"].startswith("text/javascript")
        # The API, its schema and its docs are not shadowed.
        assert http.get("/openapi.json").json()["info"]["title"] == "Orchid"
        assert http.get("/docs").status_code == 200
        assert http.get("/api/jobs/browse").json()["errorCode"] == "NO_TOKEN"
        assert "/" not in http.get("/openapi.json").json()["paths"]


def test_a_bad_token_is_refused_with_a_clear_message(server: Server, anonymous: Page) -> None:
    # Given the sign-in page (any route asks for a token first)
    visit(anonymous, server, "/jobs")
    expect(anonymous.get_by_role("heading", name="Sign in to Orchid")).to_be_visible()
    screenshot(anonymous, "signin")
    # When a wrong token is entered
    anonymous.get_by_label("API token").fill("orchid_not-a-real-token")
    anonymous.get_by_role("button", name="Sign in").click()
    # Then the field says so, and the user stays on the sign-in page
    expect(anonymous.locator("#token-error")).to_have_text(
        "That token was not accepted. Check that you copied all of it."
    )
    expect(anonymous.get_by_label("API token")).to_have_attribute("aria-invalid", "true")
    assert anonymous.evaluate("sessionStorage.getItem('orchid.token')") is None


def test_signing_in_opens_the_page_asked_for_and_signing_out_forgets_the_token(
    server: Server, api: Api, anonymous: Page
) -> None:
    # Given a visitor who followed a link to the new-job page
    visit(anonymous, server, "/new")
    # When they sign in with a good token (Enter submits the form)
    anonymous.get_by_label("API token").fill(api.token)
    anonymous.get_by_label("API token").press("Enter")
    # Then they land on the page they asked for, signed in for this tab
    expect(anonymous.get_by_role("heading", name="New job", exact=True)).to_be_visible()
    assert anonymous.evaluate("sessionStorage.getItem('orchid.token')") == api.token
    # When they sign out
    anonymous.get_by_role("button", name="Sign out").click()
    # Then the token is gone and the sign-in page says so
    expect(anonymous.get_by_text("You are signed out.")).to_be_visible()
    assert anonymous.evaluate("sessionStorage.getItem('orchid.token')") is None
    visit(anonymous, server, "/jobs")
    expect(anonymous.get_by_role("heading", name="Sign in to Orchid")).to_be_visible()


def test_a_token_that_stops_working_sends_the_user_back_to_sign_in(
    server: Server, browser: Browser
) -> None:
    context = new_context(browser, "orchid_revoked-token")
    page = context.new_page()
    visit(page, server, "/jobs")
    expect(page.get_by_text("Your token is no longer accepted.")).to_be_visible()
    context.close()
