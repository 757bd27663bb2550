"""Realistic source files for demos and benchmarks (`flask demo generate`).

Enterprises are drawn one at a time from a seeded random stream (one stream per
enterprise and source, so the same seed gives the same enterprise whatever else is
generated), and their records are written as they are made: memory stays flat however many
enterprises are asked for. Each enterprise has a payment persona that shapes its records:

- punctual: everything paid on time and in full;
- late: sometimes pays after the due date;
- arrears: falls behind part-way through the window (unpaid and part-paid bills);
- penalised: administrative penalties (行政处罚) of varying severity;
- blacklisted: on a 严重失信 list, with a severe penalty and arrears;
- redlisted: 守信激励 (e.g. an A-grade taxpayer), punctual.

Records cover the last M months ending last month (Asia/Shanghai), starting no earlier than
the month after the enterprise was established; no date is later than yesterday.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from app.clock import local_today
from app.demo import records, vocab
from app.demo.files import SOURCES, chinese_headers, open_writer
from app.demo.reference import Reference, load_reference
from app.demo.uscc import uscc_for_serial
from app.progress import NO_PROGRESS, Progress
from app.sources.models import NON_PUBLIC_SOURCES

PERSONA_WEIGHTS = {
    "punctual": 42,
    "late": 22,
    "arrears": 10,
    "penalised": 12,
    "blacklisted": 4,
    "redlisted": 10,
}
PERSONAS = tuple(PERSONA_WEIGHTS)
SCALE_WEIGHTS = {"micro": 62, "small": 28, "medium": 8, "large": 2}
# Employee bands (工信部联企业〔2011〕300号, simplified): upper bounds of micro, small, medium.
SCALE_BANDS = {
    "industrial": (20, 300, 1000),
    "wholesale": (5, 20, 200),
    "retail": (10, 50, 300),
    "services": (10, 100, 300),
}
# Monthly revenue per employee (yuan), by section.
REVENUE_PER_HEAD = {
    "C": 45_000, "F": 80_000, "G": 35_000, "H": 15_000, "I": 35_000, "L": 30_000,
    "E": 50_000, "K": 120_000, "B": 60_000, "D": 70_000,
}  # fmt: skip
CAPITAL_STEPS = {
    "micro": (10, 200, 10),
    "small": (100, 1000, 50),
    "medium": (1000, 5000, 100),
    "large": (5000, 50000, 1000),
}
# Collection authorizations: most grant all non-public categories, some only tax, some none.
ALL_CONSENT = tuple(sorted(NON_PUBLIC_SOURCES))
TAX_ONLY_CONSENT = ("tax_payments", "tax_ratings")


@dataclass(frozen=True)
class FixedCompany:
    """An enterprise whose identity is given (the demo's named enterprises)."""

    uscc: str
    name: str
    industry_code: str
    region_code: str
    scale: str
    legal_rep: str
    established_on: date
    capital: int
    employees: int
    persona: str = "punctual"
    consent: tuple[str, ...] = ALL_CONSENT


@dataclass
class Company:
    index: int
    uscc: str
    name: str
    legal_rep: str
    established_on: date
    capital: int
    region_code: str
    city_code: str
    industry_code: str
    section: str
    scale: str
    employees: int
    address: str
    persona: str
    consent: tuple[str, ...]
    revenue: float  # monthly, yuan
    growth: float  # per month
    general_taxpayer: bool
    vat_rate: float
    margin: float  # 0 = loss-making
    iit_per_head: float
    heating: bool
    gas: bool
    si_ratio: float
    arrears_from: int  # window month index from which arrears start (len(window) = never)

    @property
    def annual_revenue_wan(self) -> float:
        """营业收入 for the registry: a year of the opening monthly revenue, in 万元."""
        return self.revenue * 12 / 10_000

    @property
    def total_assets_wan(self) -> float:
        """资产总额 for the registry (万元): capital plus part of a year's revenue; derived
        without drawing from the generator, so every other figure stays as it was."""
        return self.capital * 1.5 + self.annual_revenue_wan * 0.4


@dataclass(frozen=True)
class Month:
    k: int  # index in the window, 0 = oldest
    year: int
    month: int
    period: str
    first: int  # ordinal of the 1st
    next_first: int  # ordinal of the 1st of the following month


@dataclass
class Generated:
    """What `DemoData.write` produced: files, row counts, and the collection
    authorizations to record (categories → USCCs)."""

    files: dict[str, Path]
    rows: dict[str, int]
    enterprises: int
    consents: dict[tuple[str, ...], list[str]]


def month_window(months: int, today: date) -> list[Month]:
    """The last `months` calendar months ending with the month before `today`'s."""
    out = []
    y, m = today.year, today.month
    for _ in range(months):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        ny, nm = (y, m + 1) if m < 12 else (y + 1, 1)
        out.append((y, m, date(y, m, 1).toordinal(), date(ny, nm, 1).toordinal()))
    out.reverse()
    return [
        Month(k, y, m, f"{y:04d}-{m:02d}", first, nxt) for k, (y, m, first, nxt) in enumerate(out)
    ]


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


class DemoData:
    """A deterministic population of enterprises and their source records."""

    def __init__(
        self,
        enterprises: int,
        months: int,
        *,
        seed: int = 2026,
        today: date | None = None,
        fixed: Sequence[FixedCompany] = (),
    ) -> None:
        if enterprises < len(fixed):
            raise ValueError("fewer enterprises than fixed ones")
        self.count = enterprises
        self.seed = seed
        self.today = today or local_today()
        self.window = month_window(months, self.today)
        self.cap = self.today.toordinal() - 1  # latest date written: yesterday
        self.fixed = list(fixed)
        self._fixed_codes = {f.uscc for f in fixed}
        self.ref: Reference = load_reference()
        counties = self.ref.weighted_regions(vocab.CITY_WEIGHTS, vocab.COUNTY_BOOST)
        self._regions = [code for code, _w in counties]
        self._region_cum = _cumulative([w for _c, w in counties])
        self._sections = list(vocab.SECTION_WEIGHTS)
        self._section_cum = _cumulative(list(vocab.SECTION_WEIGHTS.values()))
        self._personas = list(PERSONA_WEIGHTS)
        self._persona_cum = _cumulative(list(PERSONA_WEIGHTS.values()))
        self._scales = list(SCALE_WEIGHTS)
        self._scale_cum = _cumulative(list(SCALE_WEIGHTS.values()))

    # -- random streams -------------------------------------------------------------------

    def rng(self, index: int, source: str) -> random.Random:
        salt = SOURCES.index(source) if source in SOURCES else 7
        return random.Random((self.seed << 40) ^ (index << 3) ^ salt)

    @staticmethod
    def _pick(rng: random.Random, items: list, cum: list[float]):
        return items[bisect(cum, rng.random() * cum[-1])]

    # -- enterprises ----------------------------------------------------------------------

    def companies(self) -> Iterator[Company]:
        serial = 0
        for index in range(self.count):
            if index < len(self.fixed):
                yield self._company(index, self.fixed[index], "")
                continue
            while True:
                rng = self.rng(index, "enterprises")
                region = self._pick(rng, self._regions, self._region_cum)
                code = uscc_for_serial(region, serial, self.seed)
                serial += 1
                if code not in self._fixed_codes:
                    break
            yield self._company(index, None, code, rng, region)

    def _company(
        self,
        index: int,
        fixed: FixedCompany | None,
        code: str,
        rng: random.Random | None = None,
        region: str = "",
    ) -> Company:
        rng = rng or self.rng(index, "enterprises")
        ref = self.ref
        if fixed:
            region = fixed.region_code if fixed.region_code in ref.regions else "610100"
            industry = fixed.industry_code
            section = ref.section_of(industry)
            scale = fixed.scale
        else:
            section = self._pick(rng, self._sections, self._section_cum)
            industry = rng.choice(ref.divisions[section])
            scale = self._pick(rng, self._scales, self._scale_cum)
        city = ref.city_of(region)
        if fixed:
            employees, persona = fixed.employees, fixed.persona
            established, capital = fixed.established_on, fixed.capital
            consent = fixed.consent
        else:
            employees = self._employees(rng, industry, section, scale)
            persona = self._pick(rng, self._personas, self._persona_cum)
            age_days = int((0.25 + min(rng.expovariate(1 / 7), 28)) * 365.25)
            established = self.today - timedelta(days=age_days)
            low, high, step = CAPITAL_STEPS[scale]
            capital = low + step * int(rng.random() * ((high - low) // step + 1))
            r = rng.random()
            consent = ALL_CONSENT if r < 0.85 else TAX_ONLY_CONSENT if r < 0.9 else ()
        revenue = employees * REVENUE_PER_HEAD.get(section, 25_000) * (0.6 + 0.8 * rng.random())
        troubled = persona in ("arrears", "blacklisted")
        window = len(self.window)
        company = Company(
            index=index,
            uscc=fixed.uscc if fixed else code,
            name=fixed.name if fixed else self._name(rng, region, industry, section, scale),
            legal_rep=fixed.legal_rep if fixed else self._person(rng),
            established_on=established,
            capital=capital,
            region_code=region,
            city_code=city,
            industry_code=industry,
            section=section,
            scale=scale,
            employees=employees,
            address=self._address(rng, region),
            persona=persona,
            consent=consent,
            revenue=revenue,
            growth=(-0.012 - 0.01 * rng.random()) if troubled else rng.gauss(0.004, 0.008),
            general_taxpayer=scale != "micro" or revenue * 12 > 5_000_000,
            vat_rate=0.015 + 0.025 * rng.random(),
            margin=(0.02 + 0.1 * rng.random()) if rng.random() < (0.3 if troubled else 0.8) else 0,
            iit_per_head=20 + 300 * rng.random(),
            heating=city not in vocab.NO_HEATING_CITIES and rng.random() < 0.75,
            gas=section == "H" or (section == "C" and rng.random() < 0.4) or rng.random() < 0.1,
            si_ratio=(0.8 if persona in ("punctual", "redlisted") else 0.55) + 0.2 * rng.random(),
            arrears_from=int(window * (0.35 + 0.4 * rng.random())) if troubled else window,
        )
        return company

    def _employees(self, rng: random.Random, industry: str, section: str, scale: str) -> int:
        if section in "BCDE":
            bands = SCALE_BANDS["industrial"]
        elif industry == "51":
            bands = SCALE_BANDS["wholesale"]
        elif industry == "52":
            bands = SCALE_BANDS["retail"]
        else:
            bands = SCALE_BANDS["services"]
        lows = (1, bands[0], bands[1], bands[2])
        highs = (bands[0] - 1, bands[1] - 1, bands[2] - 1, bands[2] * 5)
        i = ("micro", "small", "medium", "large").index(scale)
        lo, hi = lows[i], max(lows[i], highs[i])
        # log-uniform: small firms are far more common than large ones within a band
        return max(lo, min(hi, int(lo * (hi / lo) ** rng.random())))

    def _name(self, rng: random.Random, region: str, industry: str, section: str, scale: str):
        r = rng.random()
        if r < (0.35 if scale in ("medium", "large") else 0.15):
            place = "陕西"
        else:
            place = self.ref.short_name(self.ref.city_of(region))
        chars = vocab.TRADE_CHARS
        trade = rng.choice(chars) + rng.choice(chars)
        words = vocab.DIVISION_WORDS.get(industry) or vocab.SECTION_WORDS.get(section, ("实业",))
        if scale in ("medium", "large") and rng.random() < 0.3:
            form = "股份有限公司"
        else:
            form = "有限责任公司" if rng.random() < 0.12 else "有限公司"
        return f"{place}{trade}{rng.choice(words)}{form}"

    @staticmethod
    def _person(rng: random.Random) -> str:
        given = rng.choice(vocab.GIVEN_CHARS)
        if rng.random() < 0.7:
            given += rng.choice(vocab.GIVEN_CHARS)
        return rng.choice(vocab.SURNAMES) + given

    def _address(self, rng: random.Random, region: str) -> str:
        ref = self.ref
        city = ref.city_of(region)
        county = ref.regions[region][0] if region != city else ""
        number = 1 + int(rng.random() * 300)
        return f"陕西省{ref.regions[city][0]}{county}{rng.choice(vocab.ROADS)}{number}号"

    # -- records --------------------------------------------------------------------------

    def records(self, source: str, company: Company, zh: bool = False) -> Iterator[tuple]:
        """The rows of one source for one enterprise, in `files.FIELDS` order."""
        if source == "enterprises":
            return iter([records.enterprise_row(company, zh)])
        make = getattr(records, source)
        return make(self, company, self.rng(company.index, source), zh)

    def active_months(self, company: Company) -> list[Month]:
        start = company.established_on.toordinal()
        return [m for m in self.window if m.first > start]

    # -- files ----------------------------------------------------------------------------

    def write(
        self,
        out: Path,
        *,
        fmt: str = "csv",
        encoding: str = "utf-8",
        headers: str = "mixed",
        sources: Sequence[str] = SOURCES,
        limits: dict[str, int] | None = None,
        progress: Progress = NO_PROGRESS,
    ) -> Generated:
        """Write one file per source into `out`; stop early once every source named in
        `limits` has that many rows (the enterprises written are those the rows belong to)."""
        out.mkdir(parents=True, exist_ok=True)
        limits = dict(limits or {})
        writers, files = {}, {}
        zh = {s: chinese_headers(s, headers) for s in sources}
        for source in sources:
            files[source], writers[source] = open_writer(
                out, source, fmt=fmt, encoding=encoding, zh=zh[source]
            )
        counts = dict.fromkeys(sources, 0)
        consents: dict[tuple[str, ...], list[str]] = {}
        written = 0
        progress.total(self.count)
        try:
            for company in self.companies():
                for source in sources:
                    rows = list(self.records(source, company, zh[source]))
                    if source in limits:
                        rows = rows[: max(0, limits[source] - counts[source])]
                    writers[source].writerows(rows)
                    counts[source] += len(rows)
                written += 1
                progress.advance(1)
                if company.consent:
                    consents.setdefault(company.consent, []).append(company.uscc)
                if limits and all(counts[s] >= n for s, n in limits.items() if s in counts):
                    break
        finally:
            for writer in writers.values():
                writer.close()
        return Generated(files=files, rows=counts, enterprises=written, consents=consents)
