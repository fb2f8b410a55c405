"""The new-job form: generated from the application's parameters, with the server's validation
messages shown next to the field they are about."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.support import Api, Server
from tests.web.browser import PHONE, fits_width, new_context, tab_order, visit


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return server.user("hopper")


def field_error(page: Page, label: str) -> str:
    """The error message tied to the control labelled `label` (through aria-describedby)."""
    control = page.get_by_label(label, exact=True)
    expect(control).to_have_attribute("aria-invalid", "true")
    ids = (control.get_attribute("aria-describedby") or "").split()
    errors = [page.locator(f"#{i}") for i in ids if i.endswith("-error")]
    assert errors, f"no error is tied to {label!r}"
    return errors[0].inner_text()


def submit(page: Page) -> None:
    page.get_by_role("button", name="Submit job").click()


def test_the_server_s_parameter_errors_are_shown_next_to_the_field(
    server: Server, page: Page
) -> None:
    # Given the form for the sleep application
    visit(page, server, "/new")
    page.get_by_label("Application", exact=True).select_option(label="Sleep 1.0.0")
    expect(page.get_by_label("Seconds", exact=True)).to_be_visible()
    # When a value below the parameter's minimum is submitted
    page.get_by_label("Seconds", exact=True).fill("-5")
    submit(page)
    # Then the server's message sits next to that field, which gets the focus
    expect(page.locator(".form-status .alert")).to_have_text(
        "The job was not submitted. Check the highlighted field."
    )
    assert field_error(page, "Seconds") == (
        "invalid value for 'seconds': -5 is less than the minimum 0"
    )
    expect(page.get_by_label("Seconds", exact=True)).to_be_focused()
    # When a required parameter is left empty
    page.get_by_label("Application", exact=True).select_option(label="Shell script 1.0.0")
    submit(page)
    assert field_error(page, "Script") == "missing value for 'script'"
    # When the script is there but no replica is asked for
    page.get_by_label("Script", exact=True).fill("echo hello")
    page.get_by_label("Replicas", exact=True).fill("0")
    submit(page)
    assert field_error(page, "Replicas") == "you must request at least 1 node (replicas >= 1)"
    expect(page.get_by_label("Script", exact=True)).not_to_have_attribute("aria-invalid", "true")
    # When the time allocation is zero
    page.get_by_label("Replicas", exact=True).fill("1")
    page.get_by_label("Hours", exact=True).fill("0")
    page.get_by_label("Minutes", exact=True).fill("0")
    submit(page)
    expect(page.locator("#time-error")).to_have_text("time allocated for job is too short")
    expect(page.get_by_label("Hours", exact=True)).to_have_attribute("aria-invalid", "true")
    # When everything is right, the job's page opens
    page.get_by_label("Minutes", exact=True).fill("10")
    submit(page)
    expect(page.locator("h1")).to_contain_text("Job ")
    expect(page.locator(".job-head .badge")).to_have_attribute("data-state", "SUCCESS")


KITCHEN_SINK: dict[str, Any] = {
    "metadata": {
        "name": "kitchen-sink",
        "version": "2.0",
        "title": "Kitchen sink",
        "description": "Every kind of parameter.",
    },
    "invocation": {
        "allowMultiNode": False,
        "parameters": [
            {"type": "text", "name": "label", "title": "Label", "optional": True,
             "defaultValue": {"type": "text", "value": "hello"}},
            {"type": "textarea", "name": "notes", "title": "Notes", "optional": True},
            {"type": "integer", "name": "count", "title": "Count", "optional": False,
             "min": 1, "max": 10, "description": "How many"},
            {"type": "floating_point", "name": "ratio", "title": "Ratio", "optional": True,
             "defaultValue": {"type": "floating_point", "value": 0.5}},
            {"type": "boolean", "name": "verbose", "title": "Verbose", "optional": False},
            {"type": "enumeration", "name": "mode", "title": "Mode", "optional": False,
             "options": [{"name": "Fast", "value": "fast"}, {"name": "Thorough", "value": "thorough"}]},
            {"type": "input_file", "name": "data", "title": "Data", "optional": True},
            {"type": "peer", "name": "other", "title": "Other job", "optional": True},
        ],
    },
}  # fmt: skip


def with_kitchen_sink(route: Route) -> None:
    """The real catalog, plus an application with every kind of parameter."""
    page = route.fetch().json()
    page["items"].append(KITCHEN_SINK)
    route.fulfill(json=page)


def test_the_form_has_a_labelled_control_for_each_kind_of_parameter(
    server: Server, page: Page
) -> None:
    page.route("**/api/hpc/apps/browse*", with_kitchen_sink)
    visit(page, server, "/new?app=kitchen-sink")
    chosen = page.get_by_label("Application", exact=True).locator("option:checked")
    expect(chosen).to_have_text("Kitchen sink 2.0")
    expect(page.get_by_text("Every kind of parameter.")).to_be_visible()
    # Defaults are filled in; required fields are marked, optional ones say so
    expect(page.get_by_label("Label (optional)", exact=True)).to_have_value("hello")
    expect(page.get_by_label("Ratio (optional)", exact=True)).to_have_value("0.5")
    expect(page.get_by_label("Count", exact=True)).to_have_attribute("required", "")
    expect(page.locator("#param-2-hint")).to_have_text("How many. Between 1 and 10.")
    expect(page.get_by_label("Other job (optional)", exact=True)).to_be_disabled()
    # A whole number is checked before anything is sent
    page.get_by_label("Count", exact=True).fill("2.5")
    submit(page)
    assert field_error(page, "Count") == "Enter a whole number."
    # When every field is filled in and submitted
    page.get_by_label("Notes (optional)", exact=True).fill("two\nlines")
    page.get_by_label("Count", exact=True).fill("3")
    page.get_by_label("Ratio (optional)", exact=True).fill("1.5")
    page.get_by_label("Verbose", exact=True).select_option("Yes")
    page.get_by_label("Mode", exact=True).select_option("Thorough")
    page.get_by_label("Data (optional)", exact=True).fill("/srv/data.csv")
    page.get_by_label("Job name (optional)", exact=True).fill("all-kinds")
    page.locator("label.choice", has_text="example-compute-large").click()
    with page.expect_request("**/api/jobs") as request:
        submit(page)
    # Then each value has the wire type of its parameter kind
    sent = json.loads(request.value.post_data or "{}")["items"][0]
    assert sent["parameters"] == {
        "label": {"type": "text", "value": "hello"},
        "notes": {"type": "textarea", "value": "two\nlines"},
        "count": {"type": "integer", "value": 3},
        "ratio": {"type": "floating_point", "value": 1.5},
        "verbose": {"type": "boolean", "value": True},
        "mode": {"type": "text", "value": "thorough"},
        "data": {"type": "file", "path": "/srv/data.csv", "readOnly": False},
    }
    assert sent["application"] == {"name": "kitchen-sink", "version": "2.0"}
    assert sent["product"] == {
        "id": "example-compute-large",
        "category": "example-compute",
        "provider": "example",
    }
    assert sent["name"] == "all-kinds"
    assert sent["replicas"] == 1
    assert sent["timeAllocation"] == {"hours": 1, "minutes": 0, "seconds": 0}
    # The real server does not know this application: a form-level error, no field marked
    expect(page.locator(".form-status .alert")).to_have_text(
        "The job was not submitted: unknown application requested: kitchen-sink@2.0"
    )


def test_products_show_their_cpus_and_memory_and_the_form_fits_a_phone(
    server: Server, api: Api, browser: Browser
) -> None:
    context = new_context(browser, api.token, viewport=PHONE)
    page = context.new_page()
    visit(page, server, "/new")
    expect(page.locator("label.choice")).to_have_count(2)
    expect(page.locator("label.choice").nth(0)).to_contain_text("1 vCPU · 1 GiB memory")
    expect(page.locator("label.choice").nth(1)).to_contain_text("2 vCPU · 4 GiB memory")
    assert fits_width(page)
    context.close()


def test_the_form_can_be_filled_in_with_the_keyboard(server: Server, page: Page) -> None:
    visit(page, server, "/new?app=shell-script")
    expect(page.get_by_label("Script", exact=True)).to_be_visible()
    reached = tab_order(page, 16)
    fields = ["application", "product", "param-0", "job-name", "replicas", "time-hours"]
    assert all(name in reached for name in fields), reached
    assert "Submit job" in reached[reached.index("time-minutes") :], reached
    # Arrow keys choose the machine type
    page.get_by_role("radio", name="example-compute 1 vCPU").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="example-compute-large")).to_be_checked()
