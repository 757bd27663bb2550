"""Registration of small businesses."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.enterprises.models import Enterprise
from app.extensions import db


def _form(factories, **overrides):
    data = {
        "uscc": factories.uscc(),
        "company_name": "西安测试科技有限公司",
        "contact_name": "李四",
        "phone": "029-88886666",
        "email": "owner@example.test",
        "password": "Xian2026secure",
        "confirm": "Xian2026secure",
    }
    data.update(overrides)
    return data


def test_register_unknown_enterprise_is_unverified_and_logged_in(web, factories):
    data = _form(factories)
    response = web.post("/register", data)
    assert response.status_code == 302
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.uscc == data["uscc"]))
    assert enterprise is not None and enterprise.verified is False
    home = web.get("/enterprise")
    assert home.status_code == 200
    assert "待核验" in home.get_data(as_text=True)


def test_register_known_enterprise_links_registry_row_but_stays_unverified(web, factories):
    """The probe of issue 12: a known code with a wrong company name registers, and the
    account is only a claim (待核验) until verified."""
    known = factories.enterprise()
    response = web.post(
        "/register", _form(factories, uscc=known.uscc.lower(), company_name="西安众飞机电有限公司")
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/verification")
    user = db.session.scalar(select(User).where(User.email == "owner@example.test"))
    assert user.enterprise_id == known.id
    assert user.verification_state == "unverified"
    home = web.get("/enterprise").get_data(as_text=True)
    assert "待核验" in home and "已核验" not in home
    assert known.name in home  # the registry's name, not the one typed


def test_registering_does_not_change_the_phone_on_file(web, factories):
    known = factories.enterprise(contact_phone="13912345678", contact_name="王五")
    web.post("/register", _form(factories, uscc=known.uscc, phone="13800000000"))
    db.session.refresh(known)
    assert (known.contact_phone, known.contact_name) == ("13912345678", "王五")


def test_a_second_claim_is_allowed_until_an_account_is_verified(web, app, factories):
    known = factories.enterprise()
    factories.user(enterprise=known, verified=False)
    db.session.commit()
    assert web.post("/register", _form(factories, uscc=known.uscc)).status_code == 302
    verified_one = factories.enterprise()
    factories.user(enterprise=verified_one)
    db.session.commit()
    other = type(web)(app.test_client())
    response = other.post(
        "/register", _form(factories, uscc=verified_one.uscc, email="late@example.test")
    )
    assert response.status_code == 422
    assert "已有核验通过的账户" in response.get_data(as_text=True)


def test_full_width_uscc_is_normalised(web, factories):
    code = factories.uscc()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert web.post("/register", _form(factories, uscc=full_width)).status_code == 302
    assert db.session.scalar(select(Enterprise).where(Enterprise.uscc == code))


def test_wrong_check_character_is_refused_in_chinese_and_keeps_input(web, factories):
    code = factories.uscc()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = web.post("/register", _form(factories, uscc=wrong))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "统一社会信用代码校验位不正确" in body
    assert 'value="西安测试科技有限公司"' in body  # what was typed is kept
    assert db.session.scalar(select(User).where(User.email == "owner@example.test")) is None


def test_duplicate_email_is_refused(web, factories, app):
    data = _form(factories)
    assert web.post("/register", data).status_code == 302
    again = type(web)(app.test_client())
    response = again.post("/register", _form(factories, email="OWNER@example.test"))
    assert "该邮箱已注册" in response.get_data(as_text=True)


def test_weak_passwords_are_refused(web, factories):
    for weak, message in [
        ("short1", "密码至少需要 10 位"),
        ("password123", "密码容易被猜到"),  # a common password
        ("qwertyuiop12", "密码容易被猜到"),  # a keyboard row
        ("woaini1314", "密码容易被猜到"),  # common in Chinese, letters and digits or not
        ("xinyidai2026", "密码容易被猜到"),  # the site's own name and a year
        ("owner-2026-pass", "密码不能包含邮箱"),  # the e-mail's own name
    ]:
        response = web.post("/register", _form(factories, password=weak, confirm=weak))
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "owner@example.test")) is None


def test_mismatched_confirmation_is_refused(web, factories):
    response = web.post("/register", _form(factories, confirm="Different2026x"))
    assert response.status_code == 422
    assert "两次输入的密码不一致" in response.get_data(as_text=True)


def test_missing_csrf_token_is_refused(web, factories):
    response = web.post("/register", _form(factories), csrf=False)
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "owner@example.test")) is None


def test_a_long_phrase_needs_no_digits_or_capitals(web, factories):
    """NIST SP 800-63B: length and guessability, no composition rules."""
    phrase = "mountain tea lantern river"
    response = web.post("/register", _form(factories, password=phrase, confirm=phrase))
    assert response.status_code == 302
    assert db.session.scalar(select(User).where(User.email == "owner@example.test")) is not None


def test_every_mistake_is_marked_at_once_and_what_was_typed_is_kept(web, factories):
    code = factories.uscc()
    wrong_digit = code[:-1] + ("0" if code[-1] != "0" else "1")
    for form in (
        # the form's own checks fail (no company name) …
        _form(factories, uscc=wrong_digit, company_name="", email="not-an-address",
              password="password123", confirm="password123", contact_name="王五"),
        # … or only the service's do
        _form(factories, uscc=wrong_digit, company_name="西安全错有限公司",
              email="not-an-address", password="password123", confirm="password123"),
    ):  # fmt: skip
        response = web.post("/register", form)
        text = response.get_data(as_text=True)
        assert response.status_code == 422
        for field in ("uscc", "email", "password"):
            assert f'id="{field}-error"' in text, field
        assert "校验位不正确" in text and "邮箱格式不正确" in text and "密码容易被猜到" in text
        assert ('id="company_name-error"' in text) == (form["company_name"] == "")
        assert 'value="not-an-address"' in text and f'value="{wrong_digit}"' in text
    assert db.session.scalar(select(User).where(User.email == "not-an-address")) is None
