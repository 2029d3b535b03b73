"""`make screenshots`: a PNG of every page at 1400 px and at 390 px (a phone), under var/screenshots/,
so the next person can look before changing a page.

The app runs as in the browser tests (tests/e2e/conftest.py: its own database with the seeded demo,
the simulators, a worker for the rollups, `reflex run --env prod`). This file is no test module
(pytest collects test_*.py), so `make test` never runs it; `python -m tests.e2e.screenshots` does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.e2e.a11y import DESKTOP, PHONE, demo_pages, wait_until_settled
from tests.e2e.pages import LoginPage, log_in

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "screenshots"
# The owner sees every page; the others see fewer links and some "no access" views.
ROLE = "owner@demo.test"


@pytest.fixture(autouse=True)
def _refreshes_done(demo_refreshed):
    """The charts and numbers are drawn from rollups: the seed's refreshes are done first."""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=lambda v: f"{v['width']}px")
def test_screenshot_every_page(browser: Browser, base_url: str, viewport: dict):
    OUT.mkdir(parents=True, exist_ok=True)
    width = viewport["width"]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        LoginPage(page, base_url).open()
        wait_until_settled(page, signed_in=False)
        page.screenshot(path=OUT / f"login-{width}.png", full_page=True)
        log_in(page, base_url, ROLE)
        for name, path in demo_pages().items():
            page.goto(f"{base_url}{path}")
            wait_until_settled(page, signed_in=name != "not found")
            shot = OUT / f"{name.replace(' ', '-')}-{width}.png"
            page.screenshot(path=shot, full_page=True)
            print(f"{shot.relative_to(ROOT)}  {path}")
    finally:
        context.close()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-p", "no:cacheprovider", "-q", "-s"]))
