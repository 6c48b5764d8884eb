"""The offline API docs in a real browser: Swagger UI at /docs and ReDoc at /redoc, served by the real server.

Chromium runs with every outside host unresolvable, so a rendered page proves that the assets came from our server.
Needs Debian's Chromium (`apt-get install -y chromium`) and the `playwright` package (`pip install playwright`;
never `playwright install`). Without them the module skips locally and fails when CI is set.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.live_server import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Every host but ours resolves to nothing: an asset fetched from a CDN would fail and leave the page blank.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
# The one outside request we accept: the ReDoc bundle itself hard-codes the "API docs by Redocly" badge image and
# hides it when it does not load. Nothing the docs need comes from it; any other outside request fails the test.
REDOC_BRANDING = "https://cdn.redoc.ly/redoc/logo-mini.svg"
RENDER_TIMEOUT_MS = 30_000


def _require_browser() -> None:
    """Fail (under CI) or skip (locally) when Chromium or playwright is missing."""
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"Chromium is not at {CHROMIUM} (install it with `apt-get install -y chromium`)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the Python package playwright is missing (install it with `pip install playwright`)")
    if not missing:
        return
    message = "browser tests need a browser: " + "; ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(message + ". CI is set, so this is a failure, not a skip.", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def base_url(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: ARG001
    """The real server (`python -m app.cli serve`) on a fresh SQLite database and a free port."""
    tmp = tmp_path_factory.mktemp("browser")
    # "Try it out" sends no key: reads and plans must be open whatever a developer's settings say.
    settings = {"auto_migrate": "true", "require_api_key": "false"}
    with LiveServer(f"sqlite:///{tmp / 'docs.db'}", tmp / "server.log", **settings) as server:
        yield server.base_url


@dataclass
class Traffic:
    """Every request a page made, and the ones that failed."""

    requested: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # url -> what went wrong

    def record(self, page: Page) -> None:
        page.on("request", lambda request: self.requested.append(request.url))
        page.on("requestfailed", self._record_failure)

    def _record_failure(self, request: Request) -> None:
        self.failed[request.url] = f"{request.method} {request.url}: {request.failure}"

    def outside(self, allowed: frozenset[str] = frozenset()) -> list[str]:
        """Requests that went to a host other than ours (data: and blob: URLs go nowhere), less the allowed URLs."""
        return [
            url
            for url in self.requested
            if urlsplit(url).scheme not in {"data", "blob", "about"}
            and urlsplit(url).hostname not in LOCAL_HOSTS
            and url not in allowed
        ]

    def failures(self, allowed: frozenset[str] = frozenset()) -> list[str]:
        """Requests that failed (no answer at all: refused, unresolvable, aborted), less the allowed URLs."""
        return [failure for url, failure in self.failed.items() if url not in allowed]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(RENDER_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def _open_swagger_ui(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/docs")
    page.wait_for_selector("#operations-plans-create_plan")


def test_swagger_ui_renders_from_our_server_alone(page: Page, base_url: str) -> None:
    traffic = Traffic()
    traffic.record(page)

    _open_swagger_ui(page, base_url)
    page.wait_for_load_state("networkidle")

    create_plan = page.locator("#operations-plans-create_plan .opblock-summary")
    assert create_plan.locator(".opblock-summary-method").inner_text() == "POST"
    assert create_plan.locator(".opblock-summary-path").inner_text().replace("\u200b", "") == "/v1/plans"
    assert "Make a corrective-exercise plan" in create_plan.inner_text()
    operations = page.locator(".opblock").count()
    assert operations >= 10, f"only {operations} operations rendered"
    assert traffic.requested, "the page made no requests at all"
    assert traffic.outside() == [], f"requests to outside hosts: {traffic.outside()}"
    assert traffic.failures() == [], f"failed requests: {traffic.failures()}"


def test_try_it_out_on_create_plan(page: Page, base_url: str) -> None:
    traffic = Traffic()
    traffic.record(page)
    _open_swagger_ui(page, base_url)

    block = page.locator("#operations-plans-create_plan")
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    result = block.locator(".live-responses-table tr.response")  # the header row has a status cell too
    status = result.locator(".response-col_status")
    status.wait_for()
    body = result.locator(".highlight-code pre").first.inner_text()  # the response body (headers come after)

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "docs.png"
    page.screenshot(path=screenshot, full_page=True)

    assert status.inner_text().strip() == "200", f"Try it out answered {status.inner_text()}: {body[:2000]}"
    assert '"status": "plan"' in body, body[:2000]
    assert traffic.outside() == [], f"requests to outside hosts: {traffic.outside()}"
    assert traffic.failures() == [], f"failed requests: {traffic.failures()}"
    assert screenshot.is_file()
    assert screenshot.stat().st_size > 0


def test_redoc_renders_from_our_server_alone(page: Page, base_url: str) -> None:
    traffic = Traffic()
    traffic.record(page)

    page.goto(f"{base_url}/redoc")
    page.get_by_role("heading", name="Make a corrective-exercise plan").first.wait_for()
    page.wait_for_load_state("networkidle")

    text = page.locator("body").inner_text()
    assert "ceplan" in page.get_by_role("heading", level=1).first.inner_text()
    assert "Corrective-exercise plans from movement assessments." in text or "four-phase" in text
    assert "/v1/plans" in text

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "redoc.png"
    page.screenshot(path=screenshot)

    allowed = frozenset({REDOC_BRANDING})
    assert traffic.outside(allowed) == [], f"requests to outside hosts: {traffic.outside(allowed)}"
    assert traffic.failures(allowed) == [], f"failed requests: {traffic.failures(allowed)}"
    assert screenshot.is_file()
    assert screenshot.stat().st_size > 0
