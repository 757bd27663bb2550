"""Scoring: features + a scorecard definition → score, grade, sub-scores, reasons, confidence.

Pure and deterministic: no database, no clock, no locale. The method (documented for users in
docs/scoring.md):

1. Each rule turns one feature into points: `cuts` + `points` (value < cuts[0] → points[0],
   cuts[i-1] ≤ value < cuts[i] → points[i], value ≥ cuts[-1] → points[-1]), a flag
   (`if_true` / `if_false`) or a grade `map`. A missing feature (None) earns the rule's
   `missing` points, which in version 1 is half the rule's maximum (never below its minimum):
   no data is neither good nor bad behaviour. It lowers confidence and is named in the
   reasons (NO_TAX_DATA…).
2. A dimension's sub-score (0–100) = 100 × its rules' points / their maximum points.
3. The composite (0–`scale`, 1000) = scale × Σ weight × sub-score / 100, rounded half up.
4. Grade = the best grade whose `min` the composite reaches. Caps then lower it: a cap whose
   condition holds (black list → C…) sets the grade to at most its `max_grade`, and the score
   to at most the top of that grade's band, so that score and grade never disagree.
5. Reasons: the caps that bit, then every reason code whose rules lost points, ordered by
   the composite points lost (most first); missing-data reasons say which source is absent.

Validation (services.validate_definition) guarantees that points only move in the "better"
direction of each feature, which is what makes the score monotone (more penalties never raise
it, a higher on-time ratio never lowers it).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.scoring.features import FEATURES, Features

# Stable reason codes → (Chinese, English). Codes are the contract; wording may improve.
REASONS: dict[str, tuple[str, str]] = {
    "BLACK_LIST": ("被列入严重失信主体名单", "On the list of seriously dishonest entities"),
    "PENALTY_SEVERE_RECENT": (
        "近12个月有严重行政处罚",
        "A severe administrative penalty in the last 12 months",
    ),
    "TAX_GRADE_D": ("纳税信用级别为D级", "Tax credit grade D"),
    "PENALTY_SEVERE": (
        "近36个月有严重行政处罚",
        "Severe administrative penalties in the last 36 months",
    ),
    "PENALTY_MAJOR": (
        "近36个月有较重行政处罚",
        "Major administrative penalties in the last 36 months",
    ),
    "PENALTY_MINOR": ("近36个月有一般行政处罚", "Administrative penalties in the last 36 months"),
    "PENALTY_AMOUNT": ("近36个月罚款金额较大", "Large fines in the last 36 months"),
    "TAX_GRADE_LOW": ("纳税信用级别不是A级", "Tax credit grade below A"),
    "TAX_LATE": ("部分月份未按期缴税", "Taxes paid late in some months"),
    "TAX_UNPAID": ("部分月份税款未缴清", "Taxes unpaid in some months"),
    "TAX_DECLINING": (
        "近12个月纳税额较前12个月增长不足或下降",
        "Tax paid grew little or fell (last 12 vs previous 12 months)",
    ),
    "TAX_LOW_VOLUME": ("近12个月纳税额不高", "Modest tax paid in the last 12 months"),
    "UTILITY_LATE": ("水电气暖未按期缴费", "Utility bills paid late"),
    "UTILITY_ARREARS": ("水电气暖存在欠费月份", "Months in arrears on utility bills"),
    "SI_GAPS": ("社保缴纳不连续或未足额", "Social insurance not paid in full every month"),
    "SI_HEADCOUNT_DOWN": ("参保人数增长不足或下降", "Insured headcount grew little or fell"),
    "YOUNG_FIRM": ("成立年限不长", "Few years in operation"),
    "LOW_CAPITAL": ("注册资本不高", "Modest registered capital"),
    "NO_TAX_DATA": (
        "缺少纳税记录（未授权采集或未归集），按中性计分",
        "No tax payment records (not collected): scored as neutral",
    ),
    "NO_UTILITY_DATA": (
        "缺少水电气暖缴费记录，按中性计分",
        "No utility records: scored as neutral",
    ),
    "NO_SOCIAL_INSURANCE_DATA": (
        "缺少社保缴纳记录，按中性计分",
        "No social-insurance records: scored as neutral",
    ),
    "NO_TAX_RATING": ("缺少纳税信用级别，按中性计分", "No tax credit grade: scored as neutral"),
    "NO_PUBLIC_CREDIT_DATA": (
        "缺少公共信用记录，按中性计分",
        "No public credit records: scored as neutral",
    ),
    "NO_REGISTRY_DATA": (
        "缺少登记信息（成立日期、注册资本），按中性计分",
        "Registration data missing: scored as neutral",
    ),
    # The source has records, but too few for some measures (a trend needs 24 months).
    "SHORT_TAX_DATA": (
        "纳税记录月数不足，部分指标（如同比变化）按中性计分",
        "Too few months of tax records for some measures (such as the yearly trend): "
        "scored as neutral",
    ),
    "SHORT_UTILITY_DATA": (
        "水电气暖缴费记录不足，部分指标按中性计分",
        "Too few utility records for some measures: scored as neutral",
    ),
    "SHORT_SOCIAL_INSURANCE_DATA": (
        "社保缴纳记录月数不足，部分指标（如参保人数变化）按中性计分",
        "Too few months of social-insurance records for some measures (such as the "
        "headcount trend): scored as neutral",
    ),
    "SHORT_TAX_RATING": (
        "纳税信用评价信息不全，部分指标按中性计分",
        "Tax credit rating incomplete: scored as neutral",
    ),
    "SHORT_PUBLIC_CREDIT_DATA": (
        "公共信用记录信息不全，部分指标按中性计分",
        "Public credit records incomplete: scored as neutral",
    ),
    "SHORT_REGISTRY_DATA": (
        "登记信息不全（如缺少成立日期或注册资本），相应指标按中性计分",
        "Registration data incomplete (such as the founding date or capital): scored as neutral",
    ),
}

MISSING_REASON = {
    "tax_payments": "NO_TAX_DATA",
    "utility_bills": "NO_UTILITY_DATA",
    "social_insurance": "NO_SOCIAL_INSURANCE_DATA",
    "tax_ratings": "NO_TAX_RATING",
    "public_credit": "NO_PUBLIC_CREDIT_DATA",
    "enterprises": "NO_REGISTRY_DATA",
}
# A measure without a value although its source has records: the records are too few or
# lack the field, which the enterprise must not read as "no records at all".
SHORT_REASON = {
    "tax_payments": "SHORT_TAX_DATA",
    "utility_bills": "SHORT_UTILITY_DATA",
    "social_insurance": "SHORT_SOCIAL_INSURANCE_DATA",
    "tax_ratings": "SHORT_TAX_RATING",
    "public_credit": "SHORT_PUBLIC_CREDIT_DATA",
    "enterprises": "SHORT_REGISTRY_DATA",
}
CONFIDENCE_LABELS = {"high": ("高", "high"), "medium": ("中", "medium"), "low": ("低", "low")}


# --- compiled definition ---------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    feature: str
    cuts: tuple[float, ...] = ()
    points: tuple[int, ...] = ()
    mapping: tuple[tuple[str, int], ...] = ()
    if_true: int | None = None
    if_false: int | None = None
    missing: float = 0
    reason: str | None = None
    # Derived once (scoring runs per enterprise, 100,000 at a time).
    max_points: float = field(init=False, compare=False)
    _lookup: dict[str, int] = field(init=False, compare=False, repr=False)
    _flag: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        flag = self.if_true is not None and self.if_false is not None
        if self.mapping:
            top = max(p for _g, p in self.mapping)
        elif flag:
            top = max(self.if_true or 0, self.if_false or 0)
        else:
            top = max(self.points)
        object.__setattr__(self, "max_points", float(top))
        object.__setattr__(self, "_lookup", dict(self.mapping))
        object.__setattr__(self, "_flag", flag)

    def points_for(self, value: Any) -> float:
        if value is None:
            return self.missing
        if self.mapping:
            return self._lookup.get(value, self.missing)
        if self._flag:
            return self.if_true if value else self.if_false  # type: ignore[return-value]
        return self.points[bisect_right(self.cuts, float(value))]


@dataclass(frozen=True)
class Dimension:
    code: str
    name_zh: str
    name_en: str
    weight: float
    rules: tuple[Rule, ...]
    max_points: float = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_points", sum(r.max_points for r in self.rules))


@dataclass(frozen=True)
class Grade:
    grade: str
    min: int
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Cap:
    code: str
    feature: str
    max_grade: str
    when: bool | None = None
    at_least: float | None = None
    at_most: float | None = None
    among: tuple[str, ...] = ()

    def applies(self, value: Any) -> bool:
        if value is None:
            return False
        if self.when is not None:
            return bool(value) is self.when
        if self.at_least is not None:
            return float(value) >= self.at_least
        if self.at_most is not None:
            return float(value) <= self.at_most
        return value in self.among


@dataclass(frozen=True)
class CompiledScorecard:
    scale: int
    grades: tuple[Grade, ...]  # best first
    dimensions: tuple[Dimension, ...]
    caps: tuple[Cap, ...]
    confidence_sources: tuple[tuple[str, float, float], ...]  # (source, weight, full)
    confidence_levels: tuple[tuple[str, float], ...]  # (level, min) best first

    def grade_for(self, value: int) -> Grade:
        for grade in self.grades:
            if value >= grade.min:
                return grade
        return self.grades[-1]

    def grade_rank(self, code: str) -> int:
        """0 = best."""
        return [g.grade for g in self.grades].index(code)

    def band_top(self, code: str) -> int:
        """The highest score inside grade `code`'s band."""
        rank = self.grade_rank(code)
        return self.scale if rank == 0 else self.grades[rank - 1].min - 1


def compile_definition(definition: Mapping[str, Any]) -> CompiledScorecard:
    """A definition (as stored in `Scorecard.definition`) ready to score many enterprises.

    Assumes a definition that passed `services.validate_definition`.
    """
    dims = []
    for d in definition["dimensions"]:
        rules = []
        for r in d["rules"]:
            rules.append(
                Rule(
                    feature=r["feature"],
                    cuts=tuple(float(c) for c in r.get("cuts", ())),
                    points=tuple(r.get("points", ())),
                    mapping=tuple(sorted(r.get("map", {}).items())),
                    if_true=r.get("if_true"),
                    if_false=r.get("if_false"),
                    missing=r["missing"],
                    reason=r.get("reason"),
                )
            )
        dims.append(
            Dimension(d["code"], d["name_zh"], d["name_en"], float(d["weight"]), tuple(rules))
        )
    by_code = {g["grade"]: g for g in definition["grades"]}
    grades = tuple(
        Grade(code, int(by_code[code]["min"]), by_code[code]["label_zh"], by_code[code]["label_en"])
        for code in grade_order(definition)
    )
    caps = tuple(
        Cap(
            code=c["code"],
            feature=c["feature"],
            max_grade=c["max_grade"],
            when=c.get("when"),
            at_least=c.get("at_least"),
            at_most=c.get("at_most"),
            among=tuple(c.get("in", ())),
        )
        for c in definition.get("caps", ())
    )
    conf = definition.get("confidence", {})
    sources = tuple(
        (name, float(s["weight"]), float(s["full"]))
        for name, s in sorted(conf.get("sources", {}).items())
    )
    levels = tuple(
        sorted(((k, float(v)) for k, v in conf.get("levels", {}).items()), key=lambda kv: -kv[1])
    )
    return CompiledScorecard(
        int(definition.get("scale", 1000)), grades, tuple(dims), caps, sources, levels
    )


# --- result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionScore:
    code: str
    name_zh: str
    name_en: str
    weight: float
    score: float  # 0–100, one decimal
    data_share: float  # share of the dimension's points whose features had data (0–1)

    def name(self, locale: str = "zh") -> str:
        return self.name_en if locale == "en" else self.name_zh


@dataclass(frozen=True)
class Reason:
    code: str
    kind: str  # cap | behaviour | missing
    points_lost: float  # composite points (0–1000 scale) below the best possible
    message_zh: str
    message_en: str

    def message(self, locale: str = "zh") -> str:
        return self.message_en if locale == "en" else self.message_zh


@dataclass(frozen=True)
class Result:
    score: int  # 0–scale, after caps
    raw_score: int  # before caps
    grade: str
    grade_label_zh: str
    grade_label_en: str
    capped_by: tuple[str, ...]
    dimensions: tuple[DimensionScore, ...]
    reasons: tuple[Reason, ...]
    confidence: float  # 0–1
    confidence_level: str  # high | medium | low
    coverage: dict[str, int]
    missing_sources: tuple[str, ...]

    def to_dict(self, locale: str = "zh") -> dict[str, Any]:
        """The scoring part of the API's profile shape (plus confidence)."""
        return {
            "score": self.score,
            "grade": self.grade,
            "grade_label": self.grade_label_en if locale == "en" else self.grade_label_zh,
            "dimensions": [
                {"code": d.code, "name": d.name(locale), "score": d.score, "weight": d.weight}
                for d in self.dimensions
            ],
            "reasons": [{"code": r.code, "message": r.message(locale)} for r in self.reasons],
            "coverage": dict(self.coverage),
            "confidence": self.confidence,
            "confidence_level": self.confidence_level,
        }


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def score(
    features: Features, scorecard_definition: Mapping[str, Any] | CompiledScorecard
) -> Result:
    """Score one enterprise. Pass a `CompiledScorecard` when scoring many (compile once)."""
    card = (
        scorecard_definition
        if isinstance(scorecard_definition, CompiledScorecard)
        else compile_definition(scorecard_definition)
    )
    dimension_scores: list[DimensionScore] = []
    lost: dict[str, float] = {}  # reason code → composite points lost
    missing_lost: dict[str, float] = {}  # source → composite points lost to missing data
    missing_sources: set[str] = set()
    composite = 0.0
    for dim in card.dimensions:
        total_max = dim.max_points
        got = 0.0
        with_data = 0.0
        # composite points per rule point in this dimension
        unit = card.scale * dim.weight / total_max if total_max else 0.0
        for rule in dim.rules:
            value = getattr(features, rule.feature)
            pts = rule.points_for(value)
            got += pts
            shortfall = (rule.max_points - pts) * unit
            if value is None:
                source = FEATURES[rule.feature].source
                missing_sources.add(source)
                missing_lost[source] = missing_lost.get(source, 0.0) + shortfall
            else:
                with_data += rule.max_points
                if rule.reason and shortfall > 0:
                    lost[rule.reason] = lost.get(rule.reason, 0.0) + shortfall
        sub = 100.0 * got / total_max if total_max else 0.0
        composite += dim.weight * sub
        dimension_scores.append(
            DimensionScore(
                dim.code,
                dim.name_zh,
                dim.name_en,
                dim.weight,
                round(sub, 1),
                round(with_data / total_max, 4) if total_max else 0.0,
            )
        )
    raw = min(card.scale, max(0, _round_half_up(composite * card.scale / 100.0)))

    grade = card.grade_for(raw)
    final = raw
    capped_by: list[Cap] = []
    for cap in card.caps:
        if cap.applies(features.value(cap.feature)):
            capped_by.append(cap)
            if card.grade_rank(cap.max_grade) > card.grade_rank(grade.grade):
                grade = next(g for g in card.grades if g.grade == cap.max_grade)
            final = min(final, card.band_top(cap.max_grade))

    reasons: list[Reason] = []
    for cap in sorted(capped_by, key=lambda c: (-card.grade_rank(c.max_grade), c.code)):
        reasons.append(_reason(cap.code, "cap", raw - card.band_top(cap.max_grade)))
    cap_codes = {c.code for c in capped_by}
    behaviour = [
        _reason(code, "behaviour", pts) for code, pts in lost.items() if code not in cap_codes
    ]
    missing = [
        _reason(
            (SHORT_REASON if features.coverage.get(source, 0) > 0 else MISSING_REASON)[source],
            "missing",
            pts,
        )
        for source, pts in missing_lost.items()
    ]
    reasons.extend(sorted(behaviour + missing, key=lambda r: (-r.points_lost, r.code)))

    confidence = _confidence(card, features.coverage)
    level = next((name for name, low in card.confidence_levels if confidence >= low), "low")
    return Result(
        score=final,
        raw_score=raw,
        grade=grade.grade,
        grade_label_zh=grade.label_zh,
        grade_label_en=grade.label_en,
        capped_by=tuple(c.code for c in capped_by),
        dimensions=tuple(dimension_scores),
        reasons=tuple(reasons),
        confidence=confidence,
        confidence_level=level,
        coverage=dict(features.coverage),
        missing_sources=tuple(sorted(missing_sources)),
    )


def _reason(code: str, kind: str, points_lost: float) -> Reason:
    zh, en = REASONS[code]
    return Reason(code, kind, round(max(0.0, float(points_lost)), 1), zh, en)


def _confidence(card: CompiledScorecard, coverage: Mapping[str, int]) -> float:
    """Σ weight × min(1, coverage / full) over the sources the definition names."""
    total = sum(w for _s, w, _f in card.confidence_sources)
    if not total:
        return 0.0
    got = sum(
        w * min(1.0, coverage.get(source, 0) / full) if full else w
        for source, w, full in card.confidence_sources
    )
    return round(got / total, 2)


def grade_order(definition: Mapping[str, Any]) -> tuple[str, ...]:
    """A definition's grade codes, best first (highest minimum score first), as
    `compile_definition` orders them."""
    return tuple(g["grade"] for g in sorted(definition["grades"], key=lambda g: -g["min"]))


__all__ = [
    "MISSING_REASON",
    "REASONS",
    "SHORT_REASON",
    "CompiledScorecard",
    "Result",
    "compile_definition",
    "grade_order",
    "score",
]
