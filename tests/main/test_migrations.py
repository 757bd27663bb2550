"""The migrations build exactly the schema the models declare (what `flask db check` asks):
a column, table or index added to a model without its migration fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree(app):
    context = MigrationContext.configure(db.session.connection())
    assert compare_metadata(context, db.metadata) == []
