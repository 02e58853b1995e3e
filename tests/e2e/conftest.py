"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Every test gets a fresh browser context and fails if the page logs a console error
(a Content-Security-Policy violation is one), throws an uncaught exception, or asks
anything of a host other than the live server: assets are vendored, never from a CDN.
A failing test leaves a screenshot in tests/e2e/screenshots/<test name>.png.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test.utils import override_settings
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.factories.accounts import PASSWORD

# Playwright's sync API runs an event loop in the test thread; Django would otherwise
# refuse the ORM calls the tests make there (creating users) as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).parent / "screenshots"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
# Timeouts are short: every page is served from this machine.
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so the page fixture knows if the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def live_server(request) -> Iterator[LiveServer]:
    """pytest-django's live server, started with the HTTPS redirect off.

    The live server speaks plain HTTP and SecurityMiddleware reads SECURE_SSL_REDIRECT
    once, when the server builds its middleware chain, so the override must be in
    place while the server starts (the `settings` fixture comes too late).
    """
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _live_server_settings(settings):
    """Cookies that travel over the live server's plain HTTP, and a fast password hasher."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Each test hashes a password when it creates its user and again when it logs in;
    # the production hasher's deliberate slowness only slows the suite down here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class BrowserProblems:
    """What went wrong in the browser during one test; a clean page has none."""

    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Expect console errors matching pattern (e.g. the 403 status of a denied page)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        console = [m for m in self.console if not any(p.search(m) for p in self.allowed)]
        return console + self.requests


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(
    request, browser: Browser, live_server: LiveServer, browser_problems: BrowserProblems
) -> Iterator[Page]:
    """A page in a fresh browser context at laptop size, checked for problems afterwards."""
    context = browser.new_context(viewport=LAPTOP, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = browser_problems

    def on_console(message):
        if message.type == "error":
            problems.console.append(f"console error at {page.url}: {message.text}")

    def on_request(req):
        if not _is_local(req.url):
            problems.requests.append(f"request to a non-local host: {req.url}")

    def on_request_failed(req):
        if not _is_local(req.url):
            problems.requests.append(f"failed request to {req.url}: {req.failure}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.console.append(f"page error: {error}"))
    page.on("request", on_request)
    page.on("requestfailed", on_request_failed)

    yield page

    unexpected = problems.unexpected()
    report = getattr(request.node, "rep_call", None)
    if (report is not None and report.failed) or unexpected:
        SCREENSHOTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()
    assert not unexpected, "The browser reported problems:\n" + "\n".join(unexpected)


@pytest.fixture
def log_in(page: Page):
    """log_in(user_or_login, password=PASSWORD): fill in allauth's form and submit it."""

    def submit(login, password: str = PASSWORD) -> None:
        login = getattr(login, "username", login)
        page.goto("/accounts/login/")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", password)
        # Wait for the page the form leads to (after any redirects) to finish loading.
        with page.expect_navigation():
            page.click("form.auth-form [type=submit]")

    return submit
