"""Rules for loan products: validation, publishing life cycle, listing.

Only a bank's administrator changes its products (checked by the callers with the role and
here with the bank: another bank's product is a 404). Every change bumps `version`; a
caller that names the version it edited gets a 409 when someone changed it meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from app.clock import utcnow
from app.enterprises.models import Industry, Region
from app.enterprises.size import SIZE_LABELS, SIZES, Size
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.ingest.models import TAX_GRADES
from app.products.models import PRODUCT_STATES, PRODUCT_TYPES, Product
from app.scoring.services import active_grade_order
from app.util import money

FIELDS = (
    "name", "type", "tags", "description", "amount_min", "amount_max", "term_min_months",
    "term_max_months", "rate_min", "rate_max", "regions", "industries", "sizes", "min_grade",
    "min_score", "min_years", "min_tax_grade", "exclude_black_list",
)  # fmt: skip
MAX_AMOUNT = Decimal("100000000000")  # 1000 亿: anything above is a typo
MAX_RATE = Decimal("36")  # annual percent; above it no court protects the interest
MAX_TERM = 360
# status → the statuses it may move to (retired is final)
STATUS_MOVES = {
    "draft": {"published", "retired"},
    "published": {"suspended", "retired"},
    "suspended": {"published", "retired"},
    "retired": set(),
}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decimal(field: str, value: Any, *, label: str) -> Decimal:
    if _empty(value):
        raise ValidationFailed(field, _("请填写%(label)s", label=label))
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValidationFailed(field, _("%(label)s不是有效的数字", label=label)) from None
    if not number.is_finite():
        raise ValidationFailed(field, _("%(label)s不是有效的数字", label=label))
    if abs(number) > MAX_AMOUNT:  # before any quantize: "1e27" has no two-decimal form
        raise ValidationFailed(field, _("%(label)s过大", label=label))
    return number


def _int(field: str, value: Any, *, label: str, optional: bool = False) -> int | None:
    if _empty(value):
        if optional:
            return None
        raise ValidationFailed(field, _("请填写%(label)s", label=label))
    if isinstance(value, bool):
        raise ValidationFailed(field, _("%(label)s应为整数", label=label))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed(field, _("%(label)s应为整数", label=label)) from None
    if number != number.to_integral_value():
        raise ValidationFailed(field, _("%(label)s应为整数", label=label))
    return int(number)


def _code_list(field: str, value: Any, normalize=str.upper) -> list[str]:
    """A list of codes from a list or a comma / space separated text, normalized, sorted and
    without repeats; anything else names `field`."""
    if _empty(value):
        return []
    if isinstance(value, str):
        value = value.replace("，", ",").replace(" ", ",").split(",")
    if not isinstance(value, list | tuple):
        raise ValidationFailed(field, _("应为代码列表"))
    return sorted({normalize(str(v).strip()) for v in value if str(v).strip()})


def _check_codes(field: str, codes: list[str], model, label: str) -> str:
    if not codes:
        return ""
    known = set(db.session.scalars(select(model.code).where(model.code.in_(codes))))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationFailed(
            field, _("未知的%(label)s代码：%(codes)s", label=label, codes="、".join(unknown))
        )
    return "," + ",".join(codes) + ","


def _sizes(value: Any) -> str:
    """Enterprise sizes as ",micro,small," in the standard's order (empty = any)."""
    chosen = set(_code_list("sizes", value, str.lower))
    unknown = sorted(chosen - set(SIZES))
    if unknown:
        raise ValidationFailed(
            "sizes",
            _("未知的企业规模：%(codes)s（可选：%(all)s）", codes="、".join(unknown),
              all="、".join(str(SIZE_LABELS[Size(s)]) for s in SIZES)),
        )  # fmt: skip
    if not chosen or chosen == set(SIZES):
        return ""
    return "," + ",".join(s for s in SIZES if s in chosen) + ","


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """The validated column values of a full product description."""
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValidationFailed("name", _("请填写产品名称"))
    if len(name) > 200:
        raise ValidationFailed("name", _("产品名称不能超过 200 字"))
    kind = str(data.get("type") or "").strip()
    if kind not in PRODUCT_TYPES:
        raise ValidationFailed("type", _("产品类型应为 credit、collateral 或 guarantee"))
    tags = data.get("tags") or []
    if isinstance(tags, str):
        tags = tags.replace("，", ",").split(",")
    if not isinstance(tags, list | tuple):
        raise ValidationFailed("tags", _("标签应为列表"))
    tags = [str(t).strip()[:20] for t in tags if str(t).strip()][:10]

    amount_min = money(_decimal("amount_min", data.get("amount_min"), label=_("最低金额")))
    amount_max = money(_decimal("amount_max", data.get("amount_max"), label=_("最高金额")))
    if amount_min <= 0:
        raise ValidationFailed("amount_min", _("最低金额应大于 0"))
    if amount_max > MAX_AMOUNT:
        raise ValidationFailed("amount_max", _("最高金额过大"))
    if amount_min > amount_max:
        raise ValidationFailed("amount_max", _("最高金额不能小于最低金额"))

    term_min = _int("term_min_months", data.get("term_min_months"), label=_("最短期限"))
    term_max = _int("term_max_months", data.get("term_max_months"), label=_("最长期限"))
    assert term_min is not None and term_max is not None
    if term_min < 1:
        raise ValidationFailed("term_min_months", _("最短期限至少 1 个月"))
    if term_max > MAX_TERM:
        raise ValidationFailed("term_max_months", _("最长期限不能超过 %(n)d 个月", n=MAX_TERM))
    if term_min > term_max:
        raise ValidationFailed("term_max_months", _("最长期限不能小于最短期限"))

    rate_min = _decimal("rate_min", data.get("rate_min"), label=_("最低年利率"))
    rate_max = _decimal("rate_max", data.get("rate_max"), label=_("最高年利率"))
    for field, rate in (("rate_min", rate_min), ("rate_max", rate_max)):
        if rate <= 0 or rate > MAX_RATE:
            raise ValidationFailed(field, _("年利率应在 0 至 %(max)s%% 之间", max=MAX_RATE))
        if rate != rate.quantize(Decimal("0.0001")):
            raise ValidationFailed(field, _("年利率最多保留四位小数"))
    if rate_min > rate_max:
        raise ValidationFailed("rate_max", _("最高年利率不能小于最低年利率"))
    rate_min, rate_max = rate_min.quantize(Decimal("0.0001")), rate_max.quantize(Decimal("0.0001"))

    min_grade = str(data.get("min_grade") or "").strip().upper() or None
    grades = active_grade_order()
    if min_grade is not None and min_grade not in grades:
        raise ValidationFailed("min_grade", _("信用等级应为 %(g)s 之一", g="/".join(grades)))
    min_score = _int("min_score", data.get("min_score"), label=_("最低评分"), optional=True)
    if min_score is not None and not 0 <= min_score <= 1000:
        raise ValidationFailed("min_score", _("最低评分应在 0 至 1000 之间"))
    min_years = _int("min_years", data.get("min_years"), label=_("最短经营年限"), optional=True)
    if min_years is not None and not 0 <= min_years <= 100:
        raise ValidationFailed("min_years", _("最短经营年限应在 0 至 100 之间"))
    min_tax = str(data.get("min_tax_grade") or "").strip().upper() or None
    if min_tax is not None and min_tax not in TAX_GRADES:
        raise ValidationFailed(
            "min_tax_grade", _("纳税信用级别应为 %(g)s 之一", g="/".join(TAX_GRADES))
        )
    exclude = data.get("exclude_black_list", True)
    if isinstance(exclude, str):
        exclude = exclude.strip().lower() in {"1", "true", "y", "yes", "on"}
    return {
        "name": name,
        "type": kind,
        "tags": tags,
        "description": str(data.get("description") or "").strip()[:2000],
        "amount_min": amount_min,
        "amount_max": amount_max,
        "term_min_months": term_min,
        "term_max_months": term_max,
        "rate_min": rate_min,
        "rate_max": rate_max,
        "regions": _check_codes(
            "regions", _code_list("regions", data.get("regions")), Region, _("地区")
        ),
        "industries": _check_codes(
            "industries", _code_list("industries", data.get("industries")), Industry, _("行业")
        ),
        "sizes": _sizes(data.get("sizes")),
        "min_grade": min_grade,
        "min_score": min_score,
        "min_years": min_years,
        "min_tax_grade": min_tax,
        "exclude_black_list": bool(exclude),
    }


def _check_status(status: str) -> str:
    if status not in PRODUCT_STATES:
        raise ValidationFailed("status", _("未知的产品状态：%(s)s", s=status))
    return status


def create_product(bank_id: int, data: Mapping[str, Any]) -> Product:
    """A new product of the bank; draft unless `status` says published."""
    values = _clean(data)
    status = _check_status(str(data.get("status") or "draft"))
    if status not in ("draft", "published"):
        raise ValidationFailed("status", _("新产品只能是草稿或直接发布"))
    product = Product(bank_id=bank_id, status=status, version=1, **values)
    if status == "published":
        product.published_at = utcnow()
    db.session.add(product)
    db.session.flush()
    return product


def get_bank_product(product_id: int, bank_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or product.bank_id != bank_id:
        raise NotFound(_("产品不存在"))
    return product


def get_published(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or product.status != "published":
        raise NotFound(_("产品不存在或未上架"), code="product_not_found")
    return product


def _check_version(product: Product, expected: Any) -> None:
    if expected is not None and str(expected) != str(product.version):
        raise Conflict(_("产品已被他人修改，请刷新后重试"), code="stale_version", field="version")


def update_product(
    product_id: int, bank_id: int, data: Mapping[str, Any], *, expected_version: Any = None
) -> Product:
    """Change any of the fields given (the rest kept); `status` moves along STATUS_MOVES."""
    product = get_bank_product(product_id, bank_id)
    _check_version(product, expected_version)
    if product.status == "retired":
        raise Conflict(_("产品已下架停用，不能再修改"), code="product_retired")
    current = product_to_dict(product)
    merged = {**current, **{k: v for k, v in data.items() if k in FIELDS}}
    values = _clean(merged)
    for key, value in values.items():
        setattr(product, key, value)
    if "status" in data and data["status"] != product.status:
        _move(product, _check_status(str(data["status"])))
    product.version += 1
    db.session.flush()
    return product


def _move(product: Product, status: str) -> None:
    if status not in STATUS_MOVES[product.status]:
        raise Conflict(
            _("产品不能从“%(a)s”变为“%(b)s”", a=product.status, b=status),
            code="invalid_status_change",
        )
    product.status = status
    if status == "published":
        product.published_at = utcnow()


def set_status(product_id: int, bank_id: int, status: str, *, expected_version: Any = None):
    """Publish, suspend or retire."""
    product = get_bank_product(product_id, bank_id)
    _check_version(product, expected_version)
    _move(product, _check_status(status))
    product.version += 1
    db.session.flush()
    return product


def published() -> Select[tuple[Product]]:
    """The published products, the oldest first."""
    return select(Product).where(Product.status == "published").order_by(Product.id)


def list_bank_products(bank_id: int) -> list[Product]:
    return list(
        db.session.scalars(
            select(Product).where(Product.bank_id == bank_id).order_by(Product.id.desc())
        )
    )


def product_to_dict(product: Product) -> dict[str, Any]:
    """The product contract of the API (money as decimal strings, rates in percent)."""
    return {
        "id": product.id,
        "bank": product.bank.code if product.bank else None,
        "bank_name": product.bank.name if product.bank else None,
        "name": product.name,
        "type": product.type,
        "tags": list(product.tags or []),
        "description": product.description,
        "amount_min": str(product.amount_min),
        "amount_max": str(product.amount_max),
        "term_min_months": product.term_min_months,
        "term_max_months": product.term_max_months,
        "rate_min": str(product.rate_min),
        "rate_max": str(product.rate_max),
        "regions": product.region_codes,
        "industries": product.industry_codes,
        "sizes": product.size_codes,
        "min_grade": product.min_grade,
        "min_score": product.min_score,
        "min_years": product.min_years,
        "min_tax_grade": product.min_tax_grade,
        "exclude_black_list": product.exclude_black_list,
        "status": product.status,
        "version": product.version,
    }
