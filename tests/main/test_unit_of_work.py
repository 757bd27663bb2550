"""One unit of work per request (app/unit_of_work.py): a request that answers below 400
commits what it wrote; one that raised, answered an error or discarded a caught
`ServiceError` keeps nothing; an early commit on purpose keeps its row.

The rule is checked on views of a probe application (the same factory, with a blueprint of
its own that writes banks), then on the site's own views.
"""

from __future__ import annotations

import pytest
from flask import Blueprint, redirect
from sqlalchemy import select

from app import create_app
from app.auth.models import LoginThrottle
from app.banks.models import Bank
from app.errors import Conflict, ServiceError
from app.extensions import db
from app.unit_of_work import discard
from config import TestConfig

probe_bp = Blueprint("probe", __name__, url_prefix="/probe")


def _write(code: str) -> None:
    db.session.add(Bank(code=code, name=f"probe {code}"))
    db.session.flush()


@probe_bp.route("/written", methods=["POST"])
def written():
    _write("UOW-OK")
    return redirect("/", code=303)


@probe_bp.route("/raises", methods=["POST"])
def raises():
    _write("UOW-RAISED")
    raise Conflict("refused after a write")


def api_raises():
    _write("UOW-API")
    raise Conflict("refused after a write")


@probe_bp.route("/answers-422", methods=["POST"])
def answers_422():
    _write("UOW-422")
    return "refused", 422


@probe_bp.route("/discards", methods=["POST"])
def discards():
    try:
        _write("UOW-CAUGHT")
        raise Conflict("refused after a write")
    except ServiceError:
        discard()
    _write("UOW-AFTER")  # nothing after the discard is kept either
    return redirect("/", code=303)


@probe_bp.route("/early", methods=["POST"])
def early():
    _write("UOW-EARLY")
    db.session.commit()  # kept although the answer is an error
    _write("UOW-LATE")
    raise Conflict("refused after an early commit")


@pytest.fixture(scope="module")
def probe(app):
    """The site's factory with the probe views, on the suite's database (the API's error
    answers are for paths under /api/, so the probe has one view there too)."""

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        AUDIT_SIGNING_KEY_FILE = app.config["AUDIT_SIGNING_KEY_FILE"]

    made = create_app(Cfg)
    made.config["WTF_CSRF_ENABLED"] = False
    made.register_blueprint(probe_bp)
    made.add_url_rule("/api/v1/probe/raises", "probe_api_raises", api_raises, methods=["POST"])
    made.test_client_class = app.test_client_class
    return made


def _banks(prefix: str = "UOW-") -> list[str]:
    return sorted(db.session.scalars(select(Bank.code).where(Bank.code.like(f"{prefix}%"))))


def test_a_successful_post_is_committed(probe):
    response = probe.test_client().post("/probe/written")

    assert response.status_code == 303
    assert _banks() == ["UOW-OK"]


def test_a_service_error_after_a_write_leaves_nothing_written(probe):
    page = probe.test_client().post("/probe/raises")
    api = probe.test_client().post("/api/v1/probe/raises")

    assert page.status_code == 409
    assert api.status_code == 409
    assert api.json["error"]["code"] == "conflict"
    assert _banks() == []


def test_an_error_answer_keeps_nothing(probe):
    assert probe.test_client().post("/probe/answers-422").status_code == 422
    assert _banks() == []


def test_a_discarded_error_keeps_nothing_even_with_a_redirect(probe):
    assert probe.test_client().post("/probe/discards").status_code == 303
    assert _banks() == []


def test_an_early_commit_keeps_its_row_and_nothing_after_it(probe):
    assert probe.test_client().post("/probe/early").status_code == 409
    assert _banks() == ["UOW-EARLY"]


# --- the site's own views ---------------------------------------------------------------------


def test_the_language_switch_is_committed(login_as):
    web, user = login_as("enterprise")

    response = web.post("/lang", {"locale": "en", "next": "/"})

    assert response.status_code in (302, 303)
    db.session.refresh(user)
    assert user.locale == "en"


def test_a_refused_sign_in_records_its_failure(web, factories):
    user = factories.user("enterprise")
    db.session.commit()

    response = web.post("/login", {"email": user.email, "password": "Wrong-password-1"})

    assert response.status_code == 401
    assert db.session.scalar(select(LoginThrottle.failures)) == 1
