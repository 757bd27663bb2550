"""Scorecard versions: validate, store, activate. Exactly one version is active at a time.

A version is never edited: the operator imports a new definition (a draft), then activates
it; the previous active version is retired in the same transaction. Every profile records the
version it was scored with.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple, TypeGuard

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Text, cast, func, select

from app.auth.models import Role, User
from app.auth.services import require_role
from app.clock import utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.ingest.models import TAX_GRADES
from app.scoring.features import FEATURES, SOURCES
from app.scoring.models import Scorecard
from app.scoring.scorecard import REASONS, CompiledScorecard, compile_definition, grade_order

WEIGHT_TOLERANCE = 1e-6


# --- reading -----------------------------------------------------------------------------


def active_scorecard() -> Scorecard:
    """The version in force (the migration seeds version 1 as active)."""
    card = db.session.scalar(select(Scorecard).where(Scorecard.status == "active"))
    if card is None:
        raise NotFound(_("没有生效的评分卡版本"), code="no_active_scorecard")
    return card


def compiled_active() -> tuple[Scorecard, CompiledScorecard]:
    """The active version and its compiled form, for scoring many enterprises."""
    card = active_scorecard()
    return card, compile_definition(card.definition)


def active_grade_order() -> tuple[str, ...]:
    """The active scorecard's grade codes, best first (what products' minimum grade and
    matching compare with); empty when no version is active."""
    return read_active_grades().grades


class ActiveGrades(NamedTuple):
    # The active version's definition as stored (None: no version is active). Its text, not
    # its version number: a number (or id) read inside a transaction that was rolled back
    # may be given again to another definition.
    definition: str | None
    grades: tuple[str, ...]


# The active grades as this process last read them.
_last_read = ActiveGrades(None, ())
_ACTIVE_DEFINITION = (
    select(cast(Scorecard.definition, Text)).where(Scorecard.status == "active").scalar_subquery()
)


def read_active_grades() -> ActiveGrades:
    """The active version's definition and grade order, read now (and kept for
    `last_active_grades`)."""
    global _last_read
    definition = db.session.scalar(select(_ACTIVE_DEFINITION))
    grades = () if definition is None else grade_order(json.loads(definition))
    _last_read = ActiveGrades(definition, grades)
    return _last_read


def last_active_grades() -> ActiveGrades:
    """The active grades as this process last read them, without a query: possibly stale
    (another process, or this transaction, may have activated a version since), so only for a
    statement that checks itself with `active_definition_is` and reads again when it fails."""
    return _last_read


def active_definition_is(definition: Any) -> ColumnElement[bool]:
    """SQL: `definition` (a bound parameter: `ActiveGrades.definition`, "" for none) is the
    active version's, as the statement sees it."""
    return func.coalesce(_ACTIVE_DEFINITION, "") == definition


def get_version(version: int) -> Scorecard:
    card = db.session.scalar(select(Scorecard).where(Scorecard.version == version))
    if card is None:
        raise NotFound(_("评分卡第%(version)s版不存在", version=version))
    return card


def list_versions() -> list[Scorecard]:
    """Every version, newest first."""
    return list(db.session.scalars(select(Scorecard).order_by(Scorecard.version.desc())))


# --- writing -----------------------------------------------------------------------------


def _operator(user_id: int | None) -> User | None:
    """None = the operator's own shell (CLI); a user must be an admin."""
    if user_id is None:
        return None
    return require_role(db.session.get(User, user_id), Role.ADMIN)


def create_version(
    definition: Mapping[str, Any], *, user_id: int | None, name: str | None = None
) -> Scorecard:
    """Store a validated definition as the next version, as a draft."""
    _operator(user_id)
    validate_definition(definition)
    version = (db.session.scalar(select(func.max(Scorecard.version))) or 0) + 1
    card = Scorecard(
        version=version,
        name=(name or "").strip() or _("评分卡 第%(version)s版", version=version),
        status="draft",
        definition=json.loads(json.dumps(definition)),  # a plain, detached copy
        created_by_id=user_id,
        created_at=utcnow(),
    )
    db.session.add(card)
    db.session.flush()
    return card


def activate(version: int, *, user_id: int | None) -> Scorecard:
    """Make `version` the one in force; the previous active version is retired.

    A retired version may be activated again (to roll back). The partial unique index on
    `status = 'active'` makes a concurrent second activation fail instead of leaving two.
    """
    _operator(user_id)
    card = get_version(version)
    if card.status == "active":
        raise Conflict(_("评分卡第%(version)s版已是生效版本", version=version))
    validate_definition(card.definition)
    now = utcnow()
    current = db.session.scalar(
        select(Scorecard).where(Scorecard.status == "active").with_for_update()
    )
    if current is not None:
        current.status = "retired"
        current.retired_at = now
        db.session.flush()  # free the one "active" slot before taking it
    card.status = "active"
    card.activated_at = now
    card.activated_by_id = user_id
    card.retired_at = None
    db.session.flush()
    return card


def parse_import(data: Any) -> tuple[str | None, dict[str, Any]]:
    """An import file: `{"name": ..., "definition": {...}}` (what `show --json` prints) or a
    bare definition."""
    if not isinstance(data, dict):
        raise ValidationFailed(None, _("评分卡文件应为 JSON 对象"))
    if "definition" in data:
        name = data.get("name")
        return (str(name) if name is not None else None), data["definition"]
    return None, data


# --- validation --------------------------------------------------------------------------


def _number(value: Any) -> TypeGuard[int | float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def validate_definition(definition: Any) -> None:
    """Raise ValidationFailed listing every problem; return None when the definition is sound.

    Besides shape, it checks what makes scores trustworthy: weights sum to 1, cut-offs are
    ordered, features and reason codes are known, and points never move against a feature's
    "better" direction (so that more penalties can never raise a score).
    """
    problems: list[tuple[str, str]] = []

    def bad(path: str, message: str) -> None:
        problems.append((path, message))

    if not isinstance(definition, Mapping):
        raise ValidationFailed(None, _("评分卡定义应为 JSON 对象"))
    scale = definition.get("scale", 1000)
    if not isinstance(scale, int) or isinstance(scale, bool) or scale <= 0:
        bad("scale", _("满分应为正整数"))
        scale = 1000

    grade_codes = _check_grades(definition.get("grades"), scale, bad)
    _check_dimensions(definition.get("dimensions"), bad)
    _check_caps(definition.get("caps", []), grade_codes, bad)
    _check_confidence(definition.get("confidence"), bad)

    if problems:
        message = "；".join(f"{path}：{text}" for path, text in problems)
        raise ValidationFailed(problems[0][0], message, code="invalid_scorecard")


def _objects(items: list, name: str, bad) -> Iterator[tuple[str, Mapping]]:
    """The entries of the list `name` that are objects, each with its path (`name[i]`);
    any other entry is reported as not an object and skipped."""
    for i, item in enumerate(items):
        path = f"{name}[{i}]"
        if isinstance(item, Mapping):
            yield path, item
        else:
            bad(path, _("应为对象"))


def _check_names(entry: Mapping, keys: tuple[str, str], path: str, bad) -> None:
    """The entry's Chinese and English names (`keys`) must both be non-empty strings."""
    if not all(isinstance(entry.get(k), str) and entry.get(k) for k in keys):
        bad(path, _("缺少中英文名称"))


def _check_grades(grades: Any, scale: int, bad) -> list[str]:
    if not isinstance(grades, list) or not grades:
        bad("grades", _("至少需要一个等级"))
        return []
    codes: list[str] = []
    mins: list[float] = []
    for path, g in _objects(grades, "grades", bad):
        code = g.get("grade")
        if not isinstance(code, str) or not code:
            bad(path, _("缺少等级代码"))
            continue
        if code in codes:
            bad(path, _("等级 %(code)s 重复", code=code))
        codes.append(code)
        _check_names(g, ("label_zh", "label_en"), path, bad)
        low = g.get("min")
        if not isinstance(low, int) or isinstance(low, bool) or not 0 <= low <= scale:
            bad(path, _("分数下限应为 0 至 %(scale)s 的整数", scale=scale))
        else:
            mins.append(low)
    if len(mins) == len(grades):
        if any(a <= b for a, b in itertools.pairwise(mins)):
            bad("grades", _("等级应从高到低排列，分数下限严格递减"))
        if mins and mins[-1] != 0:
            bad("grades", _("最低等级的分数下限应为 0"))
    return codes


def _check_dimensions(dimensions: Any, bad) -> None:
    if not isinstance(dimensions, list) or not dimensions:
        bad("dimensions", _("至少需要一个维度"))
        return
    seen: set[str] = set()
    total = 0.0
    for path, d in _objects(dimensions, "dimensions", bad):
        code = d.get("code")
        if not isinstance(code, str) or not code:
            bad(path, _("缺少维度代码"))
        elif code in seen:
            bad(path, _("维度 %(code)s 重复", code=code))
        else:
            seen.add(code)
        _check_names(d, ("name_zh", "name_en"), path, bad)
        weight = d.get("weight")
        if not _number(weight) or weight <= 0:
            bad(path, _("权重应为正数"))
        else:
            total += float(weight)
        rules = d.get("rules")
        if not isinstance(rules, list) or not rules:
            bad(path, _("至少需要一条规则"))
            continue
        for j, rule in enumerate(rules):
            _check_rule(rule, f"{path}.rules[{j}]", bad)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        bad("dimensions", _("各维度权重之和应为 1（现为 %(total)s）", total=round(total, 6)))


def _monotone(points: list, better: str) -> bool:
    pairs = itertools.pairwise(points)
    if better == "higher":
        return all(a <= b for a, b in pairs)
    return all(a >= b for a, b in pairs)


def _check_rule(rule: Any, path: str, bad) -> None:
    if not isinstance(rule, Mapping):
        bad(path, _("应为对象"))
        return
    name = rule.get("feature")
    spec = FEATURES.get(name) if isinstance(name, str) else None
    if spec is None:
        bad(path, _("未知特征：%(name)s", name=name))
        return
    values: list = []
    if spec.kind == "number":
        cuts, points = rule.get("cuts"), rule.get("points")
        if not isinstance(cuts, list) or not cuts or not all(_number(c) for c in cuts):
            bad(path, _("cuts 应为非空数字列表"))
            return
        if any(a >= b for a, b in itertools.pairwise(cuts)):
            bad(path, _("分档界值应严格递增"))
        if not isinstance(points, list) or len(points) != len(cuts) + 1:
            bad(path, _("points 的个数应比 cuts 多一个"))
            return
        values = points
    elif spec.kind == "flag":
        values = [rule.get("if_false"), rule.get("if_true")]
    else:  # grade
        mapping = rule.get("map")
        if not isinstance(mapping, Mapping) or set(mapping) != set(TAX_GRADES):
            bad(path, _("map 应为每个纳税信用级别（A/B/M/C/D）给出分值"))
            return
        values = [mapping[g] for g in reversed(TAX_GRADES)]  # worst → best
    if not all(_number(v) and v >= 0 for v in values):
        bad(path, _("分值应为非负数"))
        return
    better = "higher" if spec.kind == "grade" else spec.better
    if not _monotone(values, better):
        bad(path, _("分值方向错误：%(label)s 越好，得分不应越低", label=spec.label_zh))
    if max(values) <= 0:
        bad(path, _("最高分值应大于 0"))
    missing = rule.get("missing")
    if not _number(missing) or not min(values) <= missing <= max(values):
        bad(path, _("missing（缺数据时的中性分）应在该规则的最低分与最高分之间"))
    reason = rule.get("reason")
    if reason is not None and reason not in REASONS:
        bad(path, _("未知原因代码：%(code)s", code=reason))


def _check_caps(caps: Any, grade_codes: list[str], bad) -> None:
    if not isinstance(caps, list):
        bad("caps", _("应为列表"))
        return
    for i, cap in enumerate(caps):
        path = f"caps[{i}]"
        if not isinstance(cap, Mapping):
            bad(path, _("应为对象"))
            continue
        if cap.get("code") not in REASONS:
            bad(path, _("未知原因代码：%(code)s", code=cap.get("code")))
        if cap.get("max_grade") not in grade_codes:
            bad(path, _("封顶等级不在等级表中"))
        spec = FEATURES.get(cap.get("feature", ""))
        if spec is None:
            bad(path, _("未知特征：%(name)s", name=cap.get("feature")))
            continue
        # A cap may only bite on the "worse" side of its feature, or it would break monotony.
        if spec.kind == "flag":
            ok = cap.get("when") is (spec.better == "lower")
        elif spec.kind == "grade":
            among = cap.get("in")
            ok = (
                isinstance(among, list)
                and bool(among)
                and set(among) == set(TAX_GRADES[::-1][: len(among)])  # the worst ones
            )
        elif spec.better == "lower":
            ok = _number(cap.get("at_least")) and "at_most" not in cap
        else:
            ok = _number(cap.get("at_most")) and "at_least" not in cap
        if not ok:
            bad(path, _("封顶条件只能针对 %(label)s 较差的一侧", label=spec.label_zh))


def _check_confidence(confidence: Any, bad) -> None:
    if confidence is None:
        return
    if not isinstance(confidence, Mapping):
        bad("confidence", _("应为对象"))
        return
    for source, spec in (confidence.get("sources") or {}).items():
        path = f"confidence.sources.{source}"
        if source not in SOURCES:
            bad(path, _("未知数据源"))
        elif not isinstance(spec, Mapping) or not all(
            _number(v) and v >= 0 for v in (spec.get("weight"), spec.get("full"))
        ):
            bad(path, _("weight 与 full 应为非负数"))
    levels = confidence.get("levels") or {}
    if not all(_number(v) and 0 <= v <= 1 for v in levels.values()):
        bad("confidence.levels", _("置信度阈值应在 0 与 1 之间"))
