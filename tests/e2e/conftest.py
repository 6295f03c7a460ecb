"""The real portal in a real browser: a server on a free port with its own database, and
Debian's Chromium driven by Playwright, finding things by their labels and roles.

The journeys run when Chromium (/usr/bin/chromium, or E2E_CHROMIUM) and Playwright are present;
otherwise they are skipped with the reason printed in the header and the summary of the run.
Screenshots of the main pages go to tests/e2e/screenshots/ (kept out of git).
"""

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SCREENSHOTS = HERE / "screenshots"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"


def why_skipped() -> str | None:
    """The reason the browser journeys cannot run here, or None when they can."""
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    return None


def pytest_report_header(config) -> str:
    reason = why_skipped()
    return f"browser journeys: SKIPPED, {reason}" if reason else f"browser journeys: {CHROMIUM}"


def pytest_collection_modifyitems(config, items) -> None:
    reason = why_skipped()
    if reason:
        skip = pytest.mark.skip(reason=f"browser journeys skipped: {reason}")
        for item in items:
            if "tests/e2e" in str(item.fspath).replace(os.sep, "/"):
                item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    """The running server: its address and a way to run Python against its database."""

    def __init__(self, url: str, env: dict[str, str]):
        self.url = url
        self.env = env

    def flask(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "portal", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def script(self, module: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", module],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"{module} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout


@pytest.fixture(scope="session")
def portal(tmp_path_factory) -> Iterator[Portal]:
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env |= {
        "PORTAL_ENV": "development",
        "PORTAL_INSTANCE_DIR": str(instance),
        "SECRET_KEY": "e2e-only-secret-key-not-for-anything-else",
        "PYTHONUNBUFFERED": "1",
        # Every journey signs its people in from 127.0.0.1: the per-address budget of sign-in
        # forms (30 per 15 minutes by default) would soon refuse them. The throttle stays on.
        "SIGN_IN_RATE_LIMIT": "1000 per 15 minutes",
    }
    port = _free_port()
    server = Portal(f"http://127.0.0.1:{port}", env)
    server.flask("db", "upgrade")
    server.flask("seed-demo")
    server.script("tests.e2e.setup_data")
    log = (instance / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "portal", "run", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, process, instance / "server.log")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"the portal did not start:\n{log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the portal did not answer on port {port}:\n{log.read_text()}")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session", autouse=True)
def _screenshot_folder():
    if why_skipped() is None:
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)
        SCREENSHOTS.mkdir(exist_ok=True)


class Person:
    """One person's browser session on the portal."""

    PASSWORD = "demo-password-1"

    def __init__(self, browser, portal: Portal, email: str, journey: str, shots: Iterator[int]):
        self.context = browser.new_context(
            base_url=portal.url,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
            locale="en-US",
            timezone_id="Africa/Nairobi",
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)  # a page of this portal answers in well under that
        self.email = email
        self.journey = journey
        self._shots = shots  # shared by everyone in the journey: the files sort in its order
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        """The security policy forbids inline scripts and styles: a page that has one is a bug."""
        if message.type == "error" and "Content Security Policy" in message.text:
            blocked = f"{self.page.url}: {message.text.split('. Either')[0]}"
            if blocked not in self.errors:
                self.errors.append(blocked)

    def sign_in(self) -> "Person":
        page = self.page
        page.goto("/login")
        page.get_by_label("E-mail").fill(self.email)
        page.get_by_label("Password").fill(self.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if "/login" in page.url:
            said = " ".join(page.locator("body").inner_text().split())[:400]
            raise AssertionError(f"{self.email} could not sign in; the page says: {said}")
        return self

    def shot(self, name: str) -> None:
        path = SCREENSHOTS / f"{self.journey}-{next(self._shots):02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)

    def close(self) -> list[str]:
        """Close the browser session; return the errors its pages had."""
        self.context.close()
        return [f"{self.email}: {error}" for error in self.errors]


@pytest.fixture
def person(browser, portal, request):
    """`person(email)` opens a browser session signed in as that demo user."""
    opened: list[Person] = []
    journey = request.node.name.removeprefix("test_")[:40]
    shots = itertools.count(1)

    def open_as(email: str) -> Person:
        who = Person(browser, portal, email, journey, shots).sign_in()
        opened.append(who)
        return who

    yield open_as
    errors = [error for who in opened for error in who.close()]
    assert not errors, "Errors in the browser:\n" + "\n".join(errors)
