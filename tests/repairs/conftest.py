"""The repair tests reuse the dispute tests' world: two enterprises with records of every
source loaded through the import path, and the operator."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.extensions import db
from tests.disputes.conftest import RECORDS_SEEN_AT, World, load_records, world

__all__ = ["RECORDS_SEEN_AT", "World", "load_records", "world"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/repairs/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.frozen_at(RECORDS_SEEN_AT))


@pytest.fixture
def bank(world, factories):
    """A bank with an officer and an API token."""
    the_bank = factories.bank(code="REPAIRBANK")
    officer = factories.user(Role.BANK_OFFICER, bank=the_bank)
    token = factories.token(officer)
    db.session.commit()
    return the_bank, officer, token
