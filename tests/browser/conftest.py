"""A real headless Chromium (Debian's, driven by Playwright) before real mcp-llm and mcp-debate processes.

Each test gets a fresh browser profile in a temporary folder; the browser is started by Playwright and
closed by it when the test ends.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, ServiceProcess, debate_process, require_browser


@pytest.fixture(scope="module")
def debate_web(
    llm_mock: ServiceProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """mcp-debate with keys off, on a database of its own."""
    proc = debate_process(llm_mock.url, tmp_path_factory.mktemp("web") / "debates.db").start()
    yield proc
    proc.stop()


@pytest.fixture
def browser_context() -> Iterator[Any]:
    """A Chromium context with a fresh profile, downloads allowed, a desktop-sized window."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1200, "height": 900},
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: Any) -> Any:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"the page raised: {errors}"


def screenshots_dir() -> Path | None:
    """Where to save README screenshots, when asked to (SCREENSHOTS_DIR)."""
    import os

    folder = os.environ.get("SCREENSHOTS_DIR")
    return Path(folder) if folder else None
