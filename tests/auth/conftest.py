"""Fixtures for the sign-in tests: the throttle turned on, with empty counters."""

import re
from collections.abc import Iterator

import pytest

from portal.auth import throttle


@pytest.fixture
def throttled(app, monkeypatch) -> Iterator[None]:
    """The per-address limit and the per-e-mail counters on (the rest of the suite runs without),
    starting from nothing and leaving nothing behind."""
    monkeypatch.setitem(app.config, "SIGN_IN_THROTTLE", True)
    throttle.limiter.reset()
    yield
    throttle.limiter.reset()


def field_error(html: str, field_id: str) -> str | None:
    """The message shown beside a form field, or None."""
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else None
