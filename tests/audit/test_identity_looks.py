"""Every look by a bank at who an enterprise is, is logged or not shown.

The routes are enumerated from `app.url_map`: each one a bank user can open is opened for
each application, and a response that shows an enterprise's name or code must have written
an allowed row for that enterprise in its access log during that request. A denial shows
nothing and is logged. After a revocation the bank keeps its own disbursed borrower under
loan servicing (logged as such) and gets no new data.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from app.applications import services as applications
from app.audit.models import AccessLogEntry
from app.auth.models import Role
from app.clock import local_today
from app.consent import services as consent
from app.consent.guard import LOAN_SERVICING
from app.consent.models import Authorization
from app.extensions import db, limiter
from app.matching.services import fitting_bank_ids
from tests.conftest import WebClient
from tests.products.helpers import make_product

SHOWING = {  # routes that must show the identity while the enterprise authorizes the bank
    "applications.inbox", "applications.detail", "api.list_applications",
    "api.get_application", "enterprises.bank_view",
}  # fmt: skip
LOAN_PAGES = {"api.list_loans", "loans.bank_list"}  # the borrower of E1's disbursed loan


@pytest.fixture
def world(factories):
    """Bank B; E1 applied with consent and was lent to (disbursed); E3 applied with consent
    and is in review; E2 posted an open demand that fits B and that no bank took."""
    bank = factories.bank()
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    product = make_product(bank)
    people, apps = {}, {}
    for key in ("E1", "E2", "E3"):
        people[key] = factories.user(Role.ENTERPRISE)
    for key in ("E1", "E3"):
        owner = people[key]
        apps[key] = applications.apply_with_consent(
            owner.enterprise_id, product_id=product.id, amount="200000", term_months=12,
            purpose=f"{key} 的用途", categories=list(consent.ALL_CATEGORIES), days=30,
            user_id=owner.id, ip=None, text_id=consent.current_text("query").id,
        )  # fmt: skip
    applications.accept(apps["E1"].id, officer)
    applications.approve(apps["E1"].id, officer, amount="200000", rate="4.35", term_months=12)
    applications.disburse(
        apps["E1"].id, officer, amount="200000", disbursed_on=local_today().isoformat()
    )
    applications.accept(apps["E3"].id, officer)
    owner = people["E2"]
    apps["E2"] = applications.create_application(
        owner.enterprise_id, product_id=None, amount="200000", term_months=12,
        purpose="E2 的用途", user_id=owner.id,
    )  # fmt: skip
    assert bank.id in fitting_bank_ids(owner.enterprise, apps["E2"].amount, 12)
    token = factories.token(officer)
    db.session.commit()
    return {"bank": bank, "officer": officer, "token": token, "people": people, "apps": apps}


def _rows(enterprise_id: int, **where) -> int:
    query = select(func.count()).select_from(AccessLogEntry)
    query = query.where(AccessLogEntry.enterprise_id == enterprise_id)
    for name, value in where.items():
        query = query.where(getattr(AccessLogEntry, name) == value)
    return db.session.scalar(query) or 0


def _text(data: bytes) -> str:
    """A response's text; an XLSX (a zip) by the text of its parts."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8", "replace")


def _bank_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        # Reading only on the web; the API's actions answer with the application, so they
        # are opened too (with an empty body they change nothing here but an accept).
        for method in sorted(methods if rule.endpoint.startswith("api.") else methods & {"GET"}):
            yield rule, method


def _walk(app, api, world, key: str):
    """Open every route as the bank's officer with `key`'s application and code; per route,
    whether the response showed `key`'s enterprise, and the log rows written meanwhile."""
    enterprise = world["people"][key].enterprise
    ids = {"application_id": world["apps"][key].id, "uscc": enterprise.uscc}
    web = WebClient(app.test_client())
    limiter.reset()
    web.login(world["officer"])
    seen = {}
    for rule, method in _bank_routes(app):
        path = re.sub(r"<(?:[a-z]+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)
        allowed, denied = _rows(enterprise.id, outcome="allowed"), _rows(enterprise.id)
        if rule.endpoint.startswith("api."):
            response = api.client.open(
                path, method=method, json={},
                headers={"Authorization": f"Bearer {world['token']}"},
            )  # fmt: skip
        else:
            response = web.client.open(path, method=method)
        body = _text(response.get_data())
        # A page asked for by code may say the code back: the bank typed it.
        echoed = "uscc" in rule.arguments
        shown = enterprise.name in body or (enterprise.uscc in body and not echoed)
        new_allowed = _rows(enterprise.id, outcome="allowed") - allowed
        new_any = _rows(enterprise.id) - denied
        seen[(rule.endpoint, method)] = (shown, new_allowed, new_any - new_allowed)
    return seen


def _showing(seen) -> set[str]:
    return {endpoint for (endpoint, _method), (shown, *_rest) in seen.items() if shown}


def test_every_route_that_shows_a_bank_who_applied_logs_it(app, api, world):
    for key in ("E1", "E3"):
        seen = _walk(app, api, world, key)
        for (endpoint, method), (shown, allowed, _denied) in seen.items():
            if shown:
                assert allowed, f"{method} {endpoint} showed {key} without a log row"
        assert _showing(seen) >= SHOWING, key


def test_an_open_demand_no_bank_took_never_shows_who_posted_it(app, api, world):
    seen = _walk(app, api, world, "E2")
    assert not _showing(seen)
    assert _rows(world["people"]["E2"].enterprise_id, outcome="allowed") == 0


def test_after_revocation_the_own_loan_stays_under_loan_servicing_and_nothing_new(app, api, world):
    for key in ("E1", "E3"):
        owner = world["people"][key]
        for auth in db.session.scalars(
            select(Authorization).where(Authorization.enterprise_id == owner.enterprise_id)
        ):
            consent.revoke(auth.id, user_id=owner.id, enterprise_id=owner.enterprise_id)
    db.session.commit()

    e1 = world["people"]["E1"].enterprise
    servicing_before = _rows(e1.id, reason=LOAN_SERVICING)
    seen = _walk(app, api, world, "E1")
    for (endpoint, method), (shown, allowed, _denied) in seen.items():
        if shown:
            assert allowed, f"{method} {endpoint} showed E1 without a log row"
    assert {"applications.inbox", "applications.detail", "api.list_applications",
            "api.get_application", *LOAN_PAGES} <= _showing(seen)  # fmt: skip
    assert "enterprises.bank_view" not in _showing(seen)  # no new data: the profile is refused
    assert _rows(e1.id, reason=LOAN_SERVICING) > servicing_before
    profile = api.get(f"/api/v1/enterprises/{e1.uscc}/profile", token=world["token"])
    assert profile.status_code == 403 and e1.name not in profile.get_data(as_text=True)
    loan = api.get(f"/api/v1/applications/{world['apps']['E1'].id}", token=world["token"]).json
    assert loan["enterprise"]["name"] == e1.name and loan["identity_basis"] == LOAN_SERVICING

    # E3's application was not disbursed: after the revocation nobody at the bank sees who
    # it is, and each look is a logged denial.
    seen = _walk(app, api, world, "E3")
    assert not _showing(seen)
    for endpoint in ("applications.detail", "api.get_application", "applications.inbox"):
        _shown, allowed, denied = seen[(endpoint, "GET")]
        assert (allowed, denied) == (0, 1), endpoint
    e3 = world["people"]["E3"].enterprise
    last = db.session.scalar(
        select(AccessLogEntry)
        .where(AccessLogEntry.enterprise_id == e3.id)
        .order_by(AccessLogEntry.id.desc())
        .limit(1)
    )
    assert (last.outcome, last.reason, last.granted) == ("denied", "no_authorization", "")


def test_the_detail_page_says_on_which_basis_the_borrower_is_shown(app, world):
    web = WebClient(app.test_client())
    web.login(world["officer"])
    e1 = world["people"]["E1"]
    page = web.get(f"/applications/{world['apps']['E1'].id}").get_data(as_text=True)
    assert "查看企业画像" in page and 'id="loan-servicing"' not in page
    for auth in db.session.scalars(
        select(Authorization).where(Authorization.enterprise_id == e1.enterprise_id)
    ):
        consent.revoke(auth.id, user_id=e1.id, enterprise_id=e1.enterprise_id)
    db.session.commit()
    page = web.get(f"/applications/{world['apps']['E1'].id}").get_data(as_text=True)
    assert e1.enterprise.name in page and 'id="loan-servicing"' in page
    assert "查看企业画像" not in page


# Keys that name a person or an enterprise; none may appear in a view of an anonymous demand.
IDENTIFYING_KEYS = {"user_id", "enterprise_id", "uscc", "name", "legal_rep", "email", "phone"}


def _fields(value, path="$"):
    """Every (path, key, leaf value) of a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", key, item
            yield from _fields(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _fields(item, f"{path}[{i}]")


def test_nothing_a_bank_receives_about_an_anonymous_demand_identifies_it(app, api, world):
    """E1's user, whom the bank knows from the named (disbursed) application, revokes and
    posts an open demand: no field of any response about it links it to E1 — no user id,
    name, code, legal representative, e-mail or the words the enterprise typed."""
    owner = world["people"]["E1"]
    enterprise = owner.enterprise
    for auth in db.session.scalars(
        select(Authorization).where(Authorization.enterprise_id == enterprise.id)
    ):
        consent.revoke(auth.id, user_id=owner.id, enterprise_id=enterprise.id)
    demand = applications.create_application(
        enterprise.id, product_id=None, amount="300000", term_months=12,
        purpose="机密用途-5521", user_id=owner.id,
    )  # fmt: skip
    db.session.commit()
    secrets = [enterprise.name, enterprise.uscc, enterprise.legal_rep, owner.email, "机密用途-5521"]
    token = world["token"]
    named = api.get(f"/api/v1/applications/{world['apps']['E1'].id}", token=token).json
    assert named["enterprise"]["name"] == enterprise.name  # the bank does know E1
    documents = [
        api.get(f"/api/v1/applications/{demand.id}", token=token).json,
        next(a for a in api.get("/api/v1/applications", token=token).json if a["id"] == demand.id),
    ]
    accepted = api.post(f"/api/v1/applications/{demand.id}/accept", token=token)
    assert accepted.status_code == 200
    documents.append(accepted.json)  # taken up, not yet authorized: still anonymous
    applications.withdraw(demand.id, owner, note=f"{enterprise.name} 另有安排")
    db.session.commit()
    documents.append(api.get(f"/api/v1/applications/{demand.id}", token=token).json)
    for document in documents:
        assert document["enterprise"] is None and document["purpose"] is None
        assert {"industry", "region", "scale"} == set(document["summary"])
        for path, key, value in _fields(document):
            assert key not in IDENTIFYING_KEYS, path
            if isinstance(value, str):
                assert not any(s and s in value for s in secrets), (path, value)
    assert [e["by"] for e in documents[-1]["events"]] == [
        "enterprise", "bank", "enterprise"
    ]  # fmt: skip
    web = WebClient(app.test_client())
    web.login(world["officer"])
    page = web.get(f"/applications/{demand.id}").get_data(as_text=True)
    assert "匿名企业" in page and not any(s and s in page for s in secrets)
