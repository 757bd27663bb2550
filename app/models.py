"""Every domain's models, imported so that Alembic and relationships see them all."""

from app.auth.models import ApiToken, User  # noqa: F401
from app.banks.models import Bank  # noqa: F401
from app.consent.models import Authorization, AuthorizationScope, ConsentText  # noqa: F401
from app.enterprises.models import Enterprise, Industry, Region  # noqa: F401
from app.sources.models import DataSource  # noqa: F401
