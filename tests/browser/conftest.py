"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser).

Without /usr/bin/chromium they are reported as skipped with the reason; with
DANGJIAN_REQUIRE_BROWSER=1 (CI) a missing browser is a failure instead.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        reason = f"Chromium not installed at {CHROMIUM}: apt-get install chromium fonts-noto-cjk"
        if os.environ.get("DANGJIAN_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def _open(chromium, live_server, **options):
    """A page on the live server that fails the test on any Content-Security-Policy violation."""
    context = chromium.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = live_server.url
    page.csp_violations = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and page.csp_violations.append(msg.text))
    return context, page


@pytest.fixture
def page(chromium, live_server):
    context, page = _open(chromium, live_server, viewport={"width": 1366, "height": 900})
    yield page
    violations = page.csp_violations
    context.close()
    assert not violations, violations


@pytest.fixture
def phone(chromium, live_server):
    context, page = _open(chromium, live_server, viewport={"width": 375, "height": 740}, is_mobile=True,
                          has_touch=True)
    yield page
    violations = page.csp_violations
    context.close()
    assert not violations, violations


def shot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def login(page, username, password):
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/accounts/login/" not in page.url, "login failed"
