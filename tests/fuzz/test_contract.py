"""The API against its own OpenAPI document: Schemathesis generates requests for every
operation of `/api/v1/openapi.json` and sends each with a token of every role.

For every response: no 5xx, the status is documented, and the body matches the schema
documented for that status. Positive examples (valid per the document) and negative ones
(broken on purpose) both count; the seed and the examples are fixed (`derandomize`), so a run
is repeatable. `make fuzz` runs it (not part of `make test`: it sends tens of thousands of
requests); `FUZZ_EXAMPLES` sets the examples per operation and mode (50 unless set).
"""

from __future__ import annotations

import os
import zlib
from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from app.api.spec import build_spec
from app.applications.services import create_application
from app.auth.models import Role
from app.extensions import db
from config import TestConfig
from tests.products.helpers import make_product

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _operations() -> list[tuple[str, str]]:
    """(path, method) of every documented operation, from the document the app serves."""
    spec = build_spec(create_app(TestConfig))
    return [(path, method) for path, item in spec["paths"].items() for method in item]


@dataclass
class Tally:
    """What the run sent and what went wrong, across all operations (printed at the end)."""

    requests: int = 0
    operations: int = 0
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


TALLY = Tally()


@dataclass
class Seed:
    """The rows that generated ids are aimed at, by path parameter name."""

    ids: dict[str, list[int]]
    usccs: list[str]


@pytest.fixture
def seed(factories, app) -> Seed:
    return Seed(ids={}, usccs=[])


@pytest.fixture
def tokens(factories, app, seed) -> dict[str, str]:
    """A token of each role; a bank's published product, and the enterprise's application
    for it and open demand, so that the actions on them reach their services."""
    bank = factories.bank()
    product = make_product(bank)
    users = {
        "enterprise": factories.user(Role.ENTERPRISE),
        "enterprise_unverified": factories.user(Role.ENTERPRISE, verified=False),
        "bank_officer": factories.user(Role.BANK_OFFICER, bank=bank),
        "bank_admin": factories.user(Role.BANK_ADMIN, bank=bank),
        "regulator": factories.user(Role.REGULATOR),
        "admin": factories.user(Role.ADMIN),
    }
    tokens = {name: factories.token(user) for name, user in users.items()}
    owner = users["enterprise"]
    applications = [
        create_application(owner.enterprise_id, product_id=product_id, amount="300000",
                           term_months=12, purpose="备货", user_id=owner.id).id
        for product_id in (product.id, None)
    ]  # fmt: skip
    seed.ids.update(application_id=applications, product_id=[product.id])
    seed.usccs.append(owner.enterprise.uscc)
    db.session.commit()
    return tokens


def _aim(case, seed: Seed) -> None:
    """Point most generated ids of a positive example at the seeded rows (random ids would
    almost always be 404, leaving the services behind them untried)."""
    params = case.path_parameters or {}
    for name, value in list(params.items()):
        pool = seed.usccs if name == "uscc" else seed.ids.get(name, [])
        digest = zlib.crc32(str(value).encode())  # not hash(): the same on every run
        if pool and digest % 4:
            params[name] = pool[digest % len(pool)]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("path", "method"), _operations())
def test_operation_keeps_its_contract(app, tokens, seed, path, method, mode):
    spec = app.test_client().get("/api/v1/openapi.json").json
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app
    operation = schema[path][method.upper()]
    seen: dict[tuple, str] = {}
    TALLY.operations += 1

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if mode == GenerationMode.POSITIVE:
            _aim(case, seed)
        for role, token in tokens.items():
            headers = {"Authorization": f"Bearer {token}"}
            response = case.call(headers=headers)
            TALLY.requests += 1
            TALLY.statuses[response.status_code // 100] += 1
            TALLY.codes[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as exc:
                key = (role, response.status_code, type(exc).__name__, str(exc)[:120])
                seen.setdefault(key, f"{method.upper()} {path} as {role}: {exc}")
            db.session.rollback()

    try:
        run()
    except Unsatisfiable:
        # Nothing in this operation can be broken on purpose (no body, no typed parameter).
        assert mode == GenerationMode.NEGATIVE
    TALLY.failures.extend(seen.values())
    assert not seen, "\n\n".join(list(seen.values())[:5])
