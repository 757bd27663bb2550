"""The registry of scheduled jobs: name, interval, function (in the owning domain's tasks.py).

A job function takes no arguments, works through services, and returns a dict of details
for the run record (or raises `JobSkipped` when there was nothing it could do). The runner
commits once after it returns, or rolls back and records the error when it raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Job:
    name: str
    seconds: int
    func: Callable[[], dict | None]
    description: object = ""  # a lazy msgid: shown in the reader's language

    @property
    def interval(self) -> str:
        """How often the job runs, in words ("每天", "每 5 分钟")."""
        return every(self.seconds)


def every(seconds: int) -> str:
    """An interval in the reader's language, in the largest unit that divides it."""
    from flask_babel import gettext as _

    if seconds % 86400 == 0:
        n = seconds // 86400
        return _("每天") if n == 1 else _("每 %(n)s 天", n=n)
    if seconds % 3600 == 0:
        n = seconds // 3600
        return _("每小时") if n == 1 else _("每 %(n)s 小时", n=n)
    if seconds % 60 == 0:
        n = seconds // 60
        return _("每分钟") if n == 1 else _("每 %(n)s 分钟", n=n)
    return _("每 %(n)s 秒", n=seconds)


def registered_jobs(app: Flask) -> list[Job]:
    """The jobs this process schedules, after `SCHEDULER_JOBS` filtering (empty = all)."""
    from app.applications import tasks as application_tasks
    from app.audit import tasks as audit_tasks
    from app.consent import tasks as consent_tasks
    from app.ingest import tasks as ingest_tasks
    from app.notifications import tasks as notification_tasks
    from app.profiles import tasks as profile_tasks
    from app.publicity import tasks as publicity_tasks
    from app.repairs import tasks as repair_tasks
    from app.retention import tasks as retention_tasks
    from app.scheduler import tasks as scheduler_tasks
    from app.stats import tasks as stats_tasks
    from app.workcalendar import tasks as calendar_tasks

    config = app.config
    jobs = [
        Job(
            "expire_authorizations",
            int(config.get("SCHEDULER_EXPIRE_SECONDS", 300)),
            consent_tasks.expire_authorizations,
            _l("将已过有效期的授权标记为已过期"),
        ),
        Job(
            "process_pull_requests",
            int(config.get("SCHEDULER_PULL_REQUESTS_SECONDS", 60)),
            consent_tasks.process_pull_requests,
            _l("处理企业授权后排队的数据拉取"),
        ),
        Job(
            "run_import_jobs",
            int(config.get("SCHEDULER_IMPORT_JOBS_SECONDS", 10)),
            ingest_tasks.run_import_jobs,
            _l("运行排队的后台导入（大文件），并重新排队进程中断的导入"),
        ),
        Job(
            "pull_sources",
            int(config.get("SCHEDULER_PULL_SOURCES_SECONDS", 300)),
            scheduler_tasks.pull_sources,
            _l("按计划从已配置的 HTTP 数据源拉取"),
        ),
        Job(
            "checkpoint_access_log",
            int(config.get("SCHEDULER_AUDIT_CHECKPOINT_SECONDS", 300)),
            audit_tasks.checkpoint_access_log,
            _l("签署查询日志检查点（链长与链头，写入数据库和检查点目录）"),
        ),
        Job(
            "verify_access_log",
            int(config.get("SCHEDULER_VERIFY_LOG_SECONDS", 86400)),
            audit_tasks.verify_access_log,
            _l("对照签名检查点校验查询日志哈希链（每日）"),
        ),
        Job(
            "remind_applications",
            int(config.get("SCHEDULER_REMIND_SECONDS", 3600)),
            application_tasks.remind_applications,
            _l("受理时限剩 1 个工作日时提醒银行"),
        ),
        Job(
            "expire_applications",
            int(config.get("SCHEDULER_EXPIRE_APPLICATIONS_SECONDS", 900)),
            application_tasks.expire_applications,
            _l("超过受理时限未受理的申请置为已过期"),
        ),
        Job(
            "rebuild_profiles",
            int(config.get("SCHEDULER_REBUILD_PROFILES_SECONDS", 86400)),
            profile_tasks.rebuild_profiles,
            _l("每日全量重建企业画像（未变化的不写入）"),
        ),
        Job(
            "roll_up_stats",
            int(config.get("SCHEDULER_ROLL_UP_STATS_SECONDS", 3600)),
            stats_tasks.roll_up_stats,
            _l("汇总已结束月份的融资统计（有变动的月份重算）"),
        ),
        Job(
            "count_data_indicators",
            int(config.get("SCHEDULER_COUNT_INDICATORS_SECONDS", 900)),
            stats_tasks.count_data_indicators,
            _l("统计各来源记录数与授权企业数（数据指标）"),
        ),
        Job(
            "expire_publicity",
            int(config.get("SCHEDULER_EXPIRE_PUBLICITY_SECONDS", 86400)),
            publicity_tasks.expire_publicity,
            _l("公示期满的公共信用记录不再公示，并重建相关画像（每日）"),
        ),
        Job(
            "sample_repairs",
            int(config.get("SCHEDULER_SAMPLE_REPAIRS_SECONDS", 86400)),
            repair_tasks.sample_repairs,
            _l("每季度抽取已修复案例进入复查（每日检查）"),
        ),
        Job(
            "send_emails",
            int(config.get("SCHEDULER_SEND_EMAILS_SECONDS", 60)),
            notification_tasks.send_emails,
            _l("发送通知邮件（失败的按间隔重试）"),
        ),
        Job(
            "remind_expiring_authorizations",
            int(config.get("SCHEDULER_REMIND_AUTHORIZATIONS_SECONDS", 3600)),
            notification_tasks.remind_expiring_authorizations,
            _l("授权到期前提醒企业（每项授权一次）"),
        ),
        Job(
            "check_calendar",
            int(config.get("SCHEDULER_CHECK_CALENDAR_SECONDS", 86400)),
            calendar_tasks.check_calendar,
            _l("检查今明两年的节假日安排是否已知（每日）"),
        ),
        Job(
            "apply_retention",
            int(config.get("SCHEDULER_RETENTION_SECONDS", 86400)),
            retention_tasks.apply_retention,
            _l("保存期限：统计已过保存期的查询日志，删除无人引用的已终止授权（每日）"),
        ),
    ]
    if config.get("SCHEDULER_TEST_JOB"):
        jobs.append(Job("heartbeat", 1, scheduler_tasks.heartbeat, "test heartbeat"))
    only = [n.strip() for n in (config.get("SCHEDULER_JOBS") or "").split(",") if n.strip()]
    if only:
        jobs = [job for job in jobs if job.name in only]
    return jobs
