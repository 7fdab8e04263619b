"""The Chromium the live-decoding suites share: one browser per module, a fresh page per test that fails the test
on any JavaScript error. A module with other needs (the e2e suite's server-bound page, JupyterLab's) defines its
own fixtures of these names, which take precedence."""

import pytest

from tools.appserver import BROWSER_ARGS, CHROMIUM


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (pinned in requirements.txt)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(180_000)  # a first visit encodes test sets and exports decoders (slow on a busy CPU)
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors: {errors}"
