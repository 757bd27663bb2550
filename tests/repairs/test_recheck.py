"""The quarterly re-check: a sample of the repairs approved before the quarter, once a
quarter; a revocation shows the record again and records the broken commitment."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.ingest.models import PublicCreditRecord
from app.notifications.models import Notification
from app.profiles.services import latest_profile
from app.repairs import recheck, services
from app.repairs.models import Repair
from tests.consent.test_guard import grant_query
from tests.repairs import files
from tests.repairs.test_repairs import (
    PENALTY_REF,
    Upload,
    _at,
    _black_list,
    _record,
    evidence_dir,  # noqa: F401 - a fixture
)


def _repaired(world, record, owner, applied="2026-09-08T10:00", decided="2026-09-10T10:00"):
    repair = services.apply(
        owner.enterprise_id, record.id, statement="已履行", commitment_version=1,
        files=[Upload(files.png(), "凭证.png")], user_id=owner.id, now=_at(applied),
    )  # fmt: skip
    return services.decide(repair.id, "approved", user_id=world.admin.id, note="经核实",
                           now=_at(decided))  # fmt: skip


@pytest.fixture
def repaired(world, evidence_dir):  # noqa: F811
    _black_list(world.enterprise.uscc)
    _black_list(world.other.uscc, ref="黑名单-他")
    return [
        _repaired(world, _record(world), world.owner),
        _repaired(world, _record(world, "黑名单-2024"), world.owner),
        _repaired(world, _record(world, "黑名单-他", world.other), world.other_owner),
        # approved in this quarter (from 2026-10-01): not yet a candidate
        _repaired(world, _record(world, "陕市监罚〔2026〕99号", world.other), world.other_owner,
                  applied="2026-10-12T10:00", decided="2026-10-13T10:00"),
    ]  # fmt: skip


def test_a_sample_once_a_quarter_of_what_was_repaired_before_it(app, world, repaired, monkeypatch):
    monkeypatch.setitem(app.config, "REPAIR_RECHECK_SHARE", 0.5)
    drawn = recheck.sample(date(2026, 11, 18))
    assert len(drawn) == 2  # half of three, rounded up
    assert {r.id for r in drawn} <= {r.id for r in repaired[:3]}
    assert all(r.sampled_on == date(2026, 11, 18) for r in drawn)
    assert recheck.sample(date(2026, 12, 31)) == []  # drawn already this quarter
    assert [r.id for r in recheck.review_queue()] == [r.id for r in drawn]
    following = recheck.sample(date(2027, 1, 4))  # next quarter: the rest, at least one
    assert len(following) == 1 and following[0].id not in {r.id for r in drawn}


def test_at_least_one_case_is_drawn(world, repaired):
    assert len(recheck.sample(date(2026, 11, 18), share=0.01)) == 1


def test_a_confirmed_repair_stands(world, repaired):
    [drawn] = recheck.sample(date(2026, 11, 18), share=0.01)
    with pytest.raises(ValidationFailed):
        recheck.recheck(drawn.id, "confirmed", user_id=world.admin.id, note="")
    done = recheck.recheck(drawn.id, "confirmed", user_id=world.admin.id, note="凭证属实")
    assert (done.status, done.recheck_outcome, done.breach_record_id) == (
        "approved", "confirmed", None
    )  # fmt: skip
    with pytest.raises(Conflict):
        recheck.recheck(drawn.id, "revoked", user_id=world.admin.id, note="再查")
    assert recheck.review_queue() == []
    not_drawn = next(r for r in repaired if r.sampled_on is None)
    with pytest.raises(NotFound):
        recheck.recheck(not_drawn.id, "confirmed", user_id=world.admin.id, note="x")


def test_a_revoked_repair_shows_the_record_again_and_records_the_breach(api, world, repaired, bank):
    the_bank, _officer, token = bank
    grant_query(world.enterprise, the_bank, ["public_credit"])
    penalty_repair = repaired[0]
    penalty_repair.sampled_on = date(2026, 11, 18)
    db.session.commit()
    path = f"/api/v1/enterprises/{world.enterprise.uscc}/profile"
    before = {r["ref_no"] for r in api.get(path, token=token).get_json()["sections"][
        "public_credit"]["records"]}  # fmt: skip
    assert PENALTY_REF not in before

    revoked = recheck.recheck(penalty_repair.id, "revoked", user_id=world.admin.id,
                              note="所附缴款凭证系伪造")  # fmt: skip
    db.session.commit()
    assert (revoked.status, revoked.recheck_outcome) == ("revoked", "revoked")
    assert [e.to_status for e in revoked.events] == ["pending", "approved", "revoked"]
    breach = db.session.get(PublicCreditRecord, revoked.breach_record_id)
    assert (breach.category, breach.severity, breach.tier) == ("penalty", "major", "general")
    assert breach.decided_on == date(2026, 11, 18) and "所附缴款凭证系伪造" in breach.content
    assert PENALTY_REF in breach.content

    after = {r["ref_no"] for r in api.get(path, token=token).get_json()["sections"][
        "public_credit"]["records"]}  # fmt: skip
    assert {PENALTY_REF, breach.ref_no} <= after
    profile = latest_profile(world.enterprise.id)
    assert profile.features["penalties_major"] == 1 and profile.features["penalties_minor"] == 1
    # the bank that read the enterprise's public credit and the enterprise are told
    told = db.session.scalars(
        select(Notification).where(Notification.kind == "repair_revoked")
    ).all()
    assert {(n.bank_id, n.enterprise_id) for n in told} == {
        (the_bank.id, None), (None, world.enterprise.id)
    }  # fmt: skip
    assert all(PENALTY_REF in n.text for n in told)
    # the record may be applied for again (the revoked repair no longer stands)
    assert services.standing_repair(_record(world).id) is None


def test_the_cli_and_the_job(app, world, repaired):
    from app.repairs.tasks import sample_repairs
    from app.scheduler.tasks import JobSkipped

    details = sample_repairs()
    db.session.commit()
    [drawn_id] = details["sampled"]
    with pytest.raises(JobSkipped):
        sample_repairs()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["repairs", "list", "--recheck"])
    assert listed.exit_code == 0 and listed.output.startswith(f"{drawn_id}\tapproved")
    done = runner.invoke(args=["repairs", "recheck", str(drawn_id), "--revoke", "--note", "不实"])
    assert done.exit_code == 0, done.output
    assert "status revoked" in done.output
    db.session.expire_all()
    assert db.session.get(Repair, drawn_id).status == "revoked"


def test_the_operator_rechecks_on_the_web(app, world, repaired):
    from tests.disputes.test_pages import _client, _open

    repaired[1].sampled_on = date(2026, 11, 18)
    db.session.commit()
    admin = _client(app, world.admin)
    queue = admin.get("/admin/repairs?status=recheck").get_data(as_text=True)
    assert f"/admin/repairs/{repaired[1].id}" in queue
    page = _open(admin, f"/admin/repairs/{repaired[1].id}").get_data(as_text=True)
    assert "提交复查结果" in page
    empty = admin.post(f"/admin/repairs/{repaired[1].id}/recheck", {"recheck_outcome": "revoked"})
    assert empty.status_code == 422
    done = admin.post(f"/admin/repairs/{repaired[1].id}/recheck",
                      {"recheck_outcome": "confirmed", "recheck_note": "属实"})  # fmt: skip
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Repair.recheck_outcome).where(
        Repair.id == repaired[1].id)).one() == "confirmed"  # fmt: skip
