"""In Chromium: an enterprise applies to repair a penalty with a PDF, the operator approves,
and the bank's view of the enterprise no longer shows the penalty."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.auth import services as auth_services
from app.auth.models import Role
from app.banks import services as bank_services
from app.extensions import db
from app.ingest.services import ingest_records
from tests.browser.conftest import login
from tests.consent.test_guard import grant_query
from tests.factories import Factories
from tests.repairs import files

# The penalty below (2026-03-05) may be repaired from 2026-06-05 and is shown until 2027-03-04.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.committing,
    pytest.mark.frozen_at("2026-11-18T10:00:00+08:00"),
]
PASSWORD = "Qinling2026ok"
REF = "陕市监罚〔2026〕77号"
CONTENT = "未按规定公示年报-浏览器测试"  # what the bank's page shows of the penalty


@pytest.fixture
def accounts(live_server, tmp_path):
    app, _base = live_server
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    with app.app_context():
        bank = bank_services.create_bank("RPRBANK", "修复测试银行")
        enterprise = Factories().enterprise(name="秦岭修复测试有限公司")
        for role, email, extra in (
            (Role.ENTERPRISE, "owner@repair.test", {"uscc": enterprise.uscc, "verified": True}),
            (Role.BANK_OFFICER, "officer@repair.test", {"bank_code": bank.code}),
            (Role.ADMIN, "admin@repair.test", {}),
        ):
            auth_services.create_user(role=role, email=email, password=PASSWORD, **extra)
        ingest_records(
            "public_credit",
            [{"uscc": enterprise.uscc, "category": "行政处罚", "ref_no": REF,
              "authority": "西安市市场监管局", "decided_on": "2026-03-05", "severity": "一般",
              "content": CONTENT, "penalty_amount": "5000"}],
            origin="push",
        )  # fmt: skip
        grant_query(enterprise, bank, ["public_credit"])
        db.session.commit()
        return enterprise.uscc


def _login(page, base, email):
    login(page, base, email, PASSWORD)


def test_apply_approve_and_the_bank_no_longer_sees_it(live_server, browser, accounts, tmp_path):
    _app, base = live_server
    uscc = accounts
    receipt = tmp_path / "缴款凭证.pdf"
    receipt.write_bytes(files.pdf())
    owner = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    operator = browser.new_context(locale="zh-CN").new_page()
    bank = browser.new_context(locale="zh-CN").new_page()

    _login(bank, base, "officer@repair.test")
    bank.goto(f"{base}/bank/enterprises/{uscc}")
    expect(bank.get_by_text(CONTENT)).to_be_visible()

    _login(owner, base, "owner@repair.test")
    owner.goto(base + "/enterprise/records?source=public_credit")
    expect(owner.get_by_text(REF)).to_be_visible()
    owner.get_by_role("link", name="申请信用修复").click()
    expect(owner.get_by_text("信用修复免费。")).to_be_visible()
    owner.get_by_label("履行义务、纠正失信行为的情况").fill("罚款已于 2026-03-20 缴清，年报已补报")
    owner.get_by_label("证明材料（PDF、JPEG 或 PNG）").set_input_files(str(receipt))
    owner.get_by_label("本企业已阅读并签署上述信用承诺书").check()
    owner.get_by_role("button", name="提交修复申请").click()
    expect(owner.get_by_text("修复申请已提交")).to_be_visible()
    expect(owner.get_by_text("缴款凭证.pdf")).to_be_visible()

    _login(operator, base, "admin@repair.test")
    queue = operator.locator('[data-queue="repairs"]')  # the home page's queue: one waiting
    expect(queue).to_contain_text("信用修复")
    expect(queue).to_contain_text("1")
    queue.click()
    expect(operator.get_by_text("剩 3 个工作日")).to_be_visible()
    operator.locator("tbody tr").first.get_by_role("link").first.click()
    operator.get_by_label("准予修复：该记录不再公示、不再计入评分").check()
    operator.get_by_label("处理说明").fill("缴款凭证与处罚决定一致")
    operator.get_by_role("button", name="提交").click()
    expect(operator.get_by_text("已修复").first).to_be_visible()

    bank.reload()
    expect(bank.get_by_role("heading", name="秦岭修复测试有限公司")).to_be_visible()
    assert bank.get_by_text(CONTENT).count() == 0
    owner.reload()
    expect(owner.get_by_text("已修复").first).to_be_visible()
    for page in (owner, operator, bank):
        page.context.close()
