"""The records of one demo enterprise, source by source, shaped by its payment persona.

Each function yields rows in `files.FIELDS` order. They run millions of times for a
benchmark file, so they stick to `rng.random()`, cached date strings and f-strings.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from app.demo import vocab

if TYPE_CHECKING:
    from app.demo.generate import Company, DemoData, Month


@lru_cache(maxsize=65536)
def iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


# persona → (probability a payment is late, most days late)
LATENESS = {
    "punctual": (0.0, 0),
    "redlisted": (0.0, 0),
    "late": (0.2, 40),
    "penalised": (0.08, 20),
    "arrears": (0.25, 60),
    "blacklisted": (0.35, 90),
}
# Activity by calendar month: the Spring Festival dip, the year-end rush.
SEASON = (0.8, 0.7, 1.0, 1.0, 1.0, 1.05, 1.0, 1.0, 1.05, 1.0, 1.05, 1.25)
# Filing deadline (征期) in the month after the period: the 15th, later after long holidays.
TAX_DUE_DAY = {1: 22, 9: 24}
HEATING_MONTHS = {11: 0.5, 12: 1.0, 1: 1.0, 2: 1.0, 3: 0.5}  # 11/15 – 3/15
# utility → (due day of the following month, yuan per employee per month, section factors)
UTILITIES = {
    "water": (20, 25.0, {"H": 4.0, "C": 2.0, "O": 1.5}),
    "electricity": (25, 150.0, {"C": 6.0, "B": 5.0, "H": 2.0, "I": 1.5, "G": 1.2}),
    "gas": (20, 60.0, {"H": 6.0, "C": 3.0}),
    "heating": (10, 90.0, {}),
}
SUMMER_WINTER_POWER = {7: 1.3, 8: 1.35, 12: 1.15, 1: 1.2}


def payment(
    data: DemoData, c: Company, rng: random.Random, m: Month, opens: int, due: int
) -> tuple[int | None, float]:
    """(day paid as an ordinal or None = unpaid, share of the amount paid) for one bill."""
    late_p, late_max = LATENESS[c.persona]
    share = 1.0
    if m.k >= c.arrears_from:  # behind on payments from here on
        r = rng.random()
        if r < 0.45:
            return None, 0.0
        if r < 0.7:
            share = 0.3 + 0.5 * rng.random()
        paid = due + 1 + int(rng.random() * late_max)
    elif late_p and rng.random() < late_p:
        paid = due + 1 + int(rng.random() * late_max)
    else:
        paid = opens + int(rng.random() * (due - opens + 1))
    if paid > data.cap:  # not paid yet as of yesterday
        return None, 0.0
    return paid, share


def enterprise_row(c: Company, zh: bool) -> tuple:
    return (
        c.uscc,
        c.name,
        c.legal_rep,
        c.established_on.isoformat(),
        str(c.capital),
        c.region_code,
        c.industry_code,
        vocab.SCALE_ZH[c.scale] if zh else c.scale,
        str(c.employees),
        f"{c.annual_revenue_wan:.2f}",
        f"{c.total_assets_wan:.2f}",
        c.address,
    )


def tax_payments(data: DemoData, c: Company, rng: random.Random, zh: bool) -> Iterator[tuple]:
    uscc = c.uscc
    cit_rate = 0.25 if c.general_taxpayer else 0.05  # 小型微利企业 pay 5 %
    for m in data.active_months(c):
        noise = 0.85 + 0.3 * rng.random()
        level = c.revenue * (1 + c.growth) ** m.k * SEASON[m.month - 1] * noise
        due = m.next_first + TAX_DUE_DAY.get(m.month, 15) - 1
        quarter_end = m.month % 3 == 0
        items: list[tuple[str, float]] = []
        vat = level * c.vat_rate if c.general_taxpayer else (level * 0.03 if quarter_end else 0)
        if vat:
            items += [("增值税", vat), ("城市维护建设税", vat * 0.07), ("教育费附加", vat * 0.03)]
        items.append(("个人所得税", c.employees * c.iit_per_head * (0.9 + 0.2 * rng.random())))
        if quarter_end:
            if c.margin:
                items.append(("企业所得税", level * 3 * c.margin * cit_rate))
            items.append(("印花税", level * 3 * 0.0003))
        for tax_type, amount in items:
            paid, _share = payment(data, c, rng, m, m.next_first, due)
            yield (
                uscc,
                m.period,
                tax_type,
                f"{max(amount, 1.0):.2f}",
                iso(due),
                iso(paid) if paid else "",
            )


def utility_bills(data: DemoData, c: Company, rng: random.Random, zh: bool) -> Iterator[tuple]:
    kinds = ["water", "electricity"] + (["gas"] if c.gas else [])
    labels = vocab.UTILITY_ZH if zh else {k: k for k in UTILITIES}
    for m in data.active_months(c):
        heating = HEATING_MONTHS.get(m.month) if c.heating else None
        for utility in [*kinds, "heating"] if heating else kinds:
            due_day, per_head, factors = UTILITIES[utility]
            amount = (40 + c.employees * per_head * factors.get(c.section, 1.0)) * (
                0.85 + 0.3 * rng.random()
            )
            if utility == "electricity":
                amount *= SUMMER_WINTER_POWER.get(m.month, 1.0)
            elif utility == "heating":
                amount *= heating or 1.0
            due = m.next_first + due_day - 1
            paid, share = payment(data, c, rng, m, m.next_first + 2, due)
            yield (
                c.uscc,
                labels[utility],
                m.period,
                f"{amount:.2f}",
                f"{amount * share:.2f}" if paid else "0.00",
                iso(due),
                iso(paid) if paid else "",
            )


def social_insurance(data: DemoData, c: Company, rng: random.Random, zh: bool) -> Iterator[tuple]:
    base = 4200 + 12 * c.iit_per_head  # 缴费基数 per head
    for m in data.active_months(c):
        drift = (1 + c.growth) ** m.k * (0.97 + 0.06 * rng.random())
        headcount = max(1, round(c.employees * c.si_ratio * drift))
        amount = headcount * base * 0.355  # employer + employee shares
        paid, share = payment(data, c, rng, m, m.first + 9, m.first + 24)
        yield (
            c.uscc,
            m.period,
            headcount,
            f"{amount:.2f}",
            f"{amount * share:.2f}" if paid else "0.00",
            iso(paid) if paid else "",
        )


def _grade(c: Company, rng: random.Random, behind: bool) -> str:
    r = rng.random()
    match c.persona:
        case "redlisted":
            return "A"
        case "punctual":
            return "A" if r < 0.5 else "B"
        case "late":
            return "B" if r < 0.75 else "C"
        case "penalised":
            return "B" if r < 0.6 else "C"
        case "arrears":
            return "C" if behind else "B"
        case _:  # blacklisted
            return "D" if behind else "C"


def tax_ratings(data: DemoData, c: Company, rng: random.Random, zh: bool) -> Iterator[tuple]:
    """Ratings for each year evaluated (published in April of the next year) in or just
    before the window; the year an enterprise was set up it is rated M (新设立)."""
    first = data.window[0]
    for year in range(first.year - 1, data.today.year):
        if date(year + 1, 4, 30).toordinal() > data.cap or c.established_on.year > year:
            continue
        k_december = (year - first.year) * 12 + (12 - first.month)
        grade = (
            "M"
            if c.established_on.year == year
            else _grade(c, rng, behind=k_december >= c.arrears_from)
        )
        yield (c.uscc, year, grade)


_ABBREVIATIONS = {
    "市场监督管理局": "市监",
    "税务局": "税",
    "生态环境局": "环",
    "应急管理局": "应急",
    "城市管理和综合执法局": "城执",
    "交通运输局": "交",
}


def _authority(data: DemoData, c: Company, suffix: str) -> str:
    regions = data.ref.regions
    city = regions[c.city_code][0]
    county = regions[c.region_code][0] if c.region_code != c.city_code else ""
    if suffix == "税务局":
        return f"国家税务总局{city}{county}税务局"
    if suffix in ("市场监督管理局", "城市管理和综合执法局"):
        return f"{city}{county}{suffix}"
    return f"{city}{suffix}"


def _day_between(rng: random.Random, start: int, end: int) -> int:
    return start + int(rng.random() * max(1, end - start + 1))


def public_credit(data: DemoData, c: Company, rng: random.Random, zh: bool) -> Iterator[tuple]:
    cat = vocab.CATEGORY_ZH if zh else {k: k for k in vocab.CATEGORY_ZH}
    sev = vocab.SEVERITY_ZH if zh else {k: k for k in vocab.SEVERITY_ZH}
    born, cap = c.established_on.toordinal(), data.cap
    place = data.ref.regions[c.region_code][0][0]
    n = c.index * 37

    licences = (*vocab.LICENCES.get(c.section, ()), vocab.GENERIC_LICENCE)
    count = 0 if rng.random() < 0.3 else 1 + int(rng.random() * min(2, len(licences)))
    for k, (title, suffix, years) in enumerate(rng.sample(licences, count)):
        decided = _day_between(rng, born, cap)
        year = date.fromordinal(decided).year
        yield (
            c.uscc,
            cat["license"],
            f"{place}许〔{year}〕{(n + 11 * k) % 1000 + 1}号",
            _authority(data, c, suffix),
            iso(decided),
            iso(decided + int(years * 365.25) - 1) if years else "",
            f"核发《{title}》",
            "",
            "",
        )

    themes = vocab.PENALTY_THEMES.get(c.section, vocab.DEFAULT_PENALTY_THEMES)
    chance = {"penalised": 1.0, "blacklisted": 1.0, "arrears": 0.15, "late": 0.1}
    penalties = []
    if rng.random() < chance.get(c.persona, 0.0):
        penalties = [rng.choice(themes) for _ in range(1 + int(rng.random() * 3))]
    if c.persona == "blacklisted":
        penalties.append("invoice")
    recent = max(born, cap - 3 * 365)
    for k, theme in enumerate(penalties):
        content, suffix, (low, high), severity = vocab.PENALTIES[theme]
        decided = _day_between(rng, recent, cap)
        year = date.fromordinal(decided).year
        amount = round(low + (high - low) * rng.random(), -2) if high else 0
        publicity_years = 1 if severity == "minor" else 3  # 公示期
        yield (
            c.uscc,
            cat["penalty"],
            f"{place}{_ABBREVIATIONS[suffix]}罚〔{year}〕{(n + 13 * k) % 1000 + 1}号",
            _authority(data, c, suffix),
            iso(decided),
            iso(decided + publicity_years * 365),
            content if amount else f"{content}，给予警告",
            f"{amount:.2f}" if amount else "",
            sev[severity],
        )

    if c.persona == "redlisted":
        for k, (title, authority, years) in enumerate(vocab.RED_LISTS[: 1 + int(rng.random() * 2)]):
            decided = _day_between(rng, max(born, cap - 700), cap)
            year = date.fromordinal(decided).year
            yield (
                c.uscc,
                cat["red_list"],
                f"陕信激〔{year}〕{(n + 17 * k) % 1000 + 1}号",
                authority,
                iso(decided),
                iso(decided + int(years * 365.25) - 1),
                title,
                "",
                "",
            )

    if c.persona == "blacklisted":
        title, authority, years = rng.choice(vocab.BLACK_LISTS)
        start = data.window[min(c.arrears_from, len(data.window) - 1)].first
        decided = _day_between(rng, max(born, start), cap)
        year = date.fromordinal(decided).year
        yield (
            c.uscc,
            cat["black_list"],
            f"陕失信〔{year}〕{n % 1000 + 1}号",
            authority.format(city=data.ref.regions[c.city_code][0]),
            iso(decided),
            iso(decided + years * 365),
            f"列入{title}名单",
            "",
            sev["severe"],
        )
