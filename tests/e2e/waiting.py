"""Waiting in browser tests for what a Celery worker does a moment after a commit."""

from playwright.sync_api import Page, expect


def open_when_applied(page: Page, url: str, figure: str, text: str) -> None:
    """Open the 360° page `url` until the element `figure` shows `text`.

    The worker applies events a moment after they commit: until it has, the customer may not
    be in the 360° view yet (404) or lack the figure. The caller allows the 404s it may see
    (`browser_problems.allow`)."""
    locator = page.locator(figure)
    for _ in range(75):
        response = page.goto(url)
        if response is not None and response.ok and text in locator.inner_text():
            return
        page.wait_for_timeout(200)
    expect(locator).to_contain_text(text)
