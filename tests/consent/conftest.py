from __future__ import annotations

import pytest

from app.consent import services


@pytest.fixture
def collection_text(app):
    """The seeded current collection consent text (Chinese)."""
    text = services.current_text("collection", "zh")
    assert text is not None, "migration 0005 seeds version 1"
    return text


from tests.profiles.conftest import punctual, sources  # noqa: E402, F401 - fixtures
