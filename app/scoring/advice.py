"""How to improve (如何提升): for each score reason, what the enterprise can do, in plain
words. One entry per code of `scoring.scorecard.REASONS` (a test holds them in step); the
enterprise's workbench and profile show them beside the reason."""

from __future__ import annotations

from app.scoring.scorecard import REASONS

_NO_DATA = (
    "在“数据采集授权”中授权平台采集此类数据；数据到达后评分会自动重算。",
    "Authorize the platform to collect this kind of data under Data collection; the score is "
    "recomputed when the data arrives.",
)
_SHORT = (
    "保持按月正常缴纳，记录月数增加后相应指标会自动计入评分。",
    "Keep paying every month: as the months of records grow, these measures count in the score.",
)

ADVICE: dict[str, tuple[str, str]] = {
    "BLACK_LIST": (
        "尽快履行法定义务、纠正失信行为；移出名单的条件满足后，可申请信用修复。",
        "Fulfil the obligations and correct the conduct that put you on the list; once the "
        "conditions are met, apply for credit repair.",
    ),
    "PENALTY_SEVERE_RECENT": (
        "缴清罚款、完成整改；最短公示期满后可在“我的记录”中申请信用修复。",
        "Pay the fine and complete the correction; after the minimum publicity period, apply "
        "for credit repair from My records.",
    ),
    "PENALTY_SEVERE": (
        "缴清罚款、完成整改；最短公示期满后可申请信用修复。",
        "Pay the fine and complete the correction; after the minimum publicity period, apply "
        "for credit repair.",
    ),
    "PENALTY_MAJOR": (
        "缴清罚款、完成整改；最短公示期满后可申请信用修复。",
        "Pay the fine and complete the correction; after the minimum publicity period, apply "
        "for credit repair.",
    ),
    "PENALTY_MINOR": (
        "按时整改并避免再次受罚；一般处罚公示期较短，期满后不再影响评分，也可申请信用修复。",
        "Correct the matter and avoid new penalties; minor penalties are shown for a short "
        "period and stop counting when it ends, and may be repaired.",
    ),
    "PENALTY_AMOUNT": (
        "缴清罚款并避免新的处罚；罚款在36个月后不再计入。",
        "Pay the fines and avoid new penalties; fines stop counting after 36 months.",
    ),
    "TAX_GRADE_D": (
        "补缴欠税、按期申报；次年纳税信用评价可提升级别，也可向税务机关申请纳税信用修复。",
        "Pay any tax owed and file on time; the grade can rise at the next yearly rating, "
        "and the tax office accepts requests to repair a tax credit grade.",
    ),
    "TAX_GRADE_LOW": (
        "按期申报、按时足额缴税，保持良好纳税记录，争取下一年度评为A级。",
        "File and pay on time and in full to be rated A in the next yearly rating.",
    ),
    "TAX_LATE": (
        "在缴款期限前缴税（可签订三方协议自动扣款）；按期缴纳的月份越多，评分越高。",
        "Pay before each due date (a direct-debit agreement helps); the more months paid on "
        "time, the higher the score.",
    ),
    "TAX_UNPAID": (
        "尽快补缴未缴税款；缴清后下次重算时即不再扣分。",
        "Pay the taxes still owed; once paid, the next recomputation no longer counts them.",
    ),
    "TAX_DECLINING": (
        "这反映经营规模的变化；经营恢复增长、纳税额上升后评分会随之提高。",
        "This reflects the size of the business; as business and taxes paid grow again, the "
        "score follows.",
    ),
    "TAX_LOW_VOLUME": (
        "这反映经营规模；如实申报全部应税收入，纳税额增长后评分会提高。",
        "This reflects the size of the business; declaring all taxable income and growing "
        "raises it.",
    ),
    "UTILITY_LATE": (
        "在账单到期前缴纳水电气暖费用（可开通自动代扣）。",
        "Pay utility bills before they are due (automatic payment helps).",
    ),
    "UTILITY_ARREARS": (
        "尽快结清欠费；结清后欠费月份会逐步移出统计期。",
        "Settle the arrears; the months in arrears then leave the window in time.",
    ),
    "SI_GAPS": (
        "每月按时足额为员工缴纳社会保险，补缴中断的月份。",
        "Pay social insurance for your staff in full every month, and make up missed months.",
    ),
    "SI_HEADCOUNT_DOWN": (
        "这反映参保员工人数的变化；为全部员工依法参保会提高此项。",
        "This reflects the number of insured staff; insuring every employee as the law "
        "requires raises it.",
    ),
    "YOUNG_FIRM": (
        "成立年限随时间自然增加；保持良好的缴费和守法记录可弥补。",
        "Years in operation grow by themselves; a clean record of payments makes up for it.",
    ),
    "LOW_CAPITAL": (
        "注册资本是登记信息；如有增资，登记变更后会自动更新。",
        "Registered capital comes from the registry; a capital increase, once registered, is "
        "picked up automatically.",
    ),
    "NO_TAX_DATA": _NO_DATA,
    "NO_UTILITY_DATA": _NO_DATA,
    "NO_SOCIAL_INSURANCE_DATA": _NO_DATA,
    "NO_TAX_RATING": (
        "纳税信用评价由税务机关每年发布；按期申报纳税即可参加评价。",
        "The tax office rates tax credit once a year; filing and paying on time gets you rated.",
    ),
    "NO_PUBLIC_CREDIT_DATA": (
        "无公共信用记录时按中性计分，无需处理；取得行政许可等守信信息后会自动计入。",
        "With no public credit records the score is neutral: nothing to do; licences and "
        "other good records count once published.",
    ),
    "NO_REGISTRY_DATA": (
        "登记信息由市场监管部门提供；如有缺失，请核对企业年报并在“我的记录”中提出异议。",
        "Registry data comes from market regulation; if some is missing, check your annual "
        "report and raise an objection from My records.",
    ),
    "SHORT_TAX_DATA": _SHORT,
    "SHORT_UTILITY_DATA": _SHORT,
    "SHORT_SOCIAL_INSURANCE_DATA": _SHORT,
    "SHORT_TAX_RATING": (
        "纳税信用评价每年一次，参评年度增加后此项会完整计入。",
        "Tax credit is rated once a year; as rated years add up, this counts in full.",
    ),
    "SHORT_PUBLIC_CREDIT_DATA": (
        "如发现公共信用记录有误或缺失，可在“我的记录”中提出异议。",
        "If a public credit record is wrong or incomplete, raise an objection from My records.",
    ),
    "SHORT_REGISTRY_DATA": (
        "登记信息不全时，请核对企业年报；有误可在“我的记录”中提出异议。",
        "If registry data is incomplete, check your annual report; raise an objection from My "
        "records if it is wrong.",
    ),
}


def advice(code: str, english: bool = False) -> str:
    """What to do about reason `code`, in plain words ("" for a code without advice)."""
    pair = ADVICE.get(code)
    return "" if pair is None else pair[1 if english else 0]


def missing_advice() -> set[str]:
    """Reason codes without advice (a test keeps this empty)."""
    return set(REASONS) - set(ADVICE)
