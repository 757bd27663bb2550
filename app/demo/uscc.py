"""Generate valid unified social credit codes for demo and test data."""

from __future__ import annotations

import random

from stdnum.cn import uscc

_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_check(body: str) -> str:
    """GB 11714 organisation-code check character for 8 body characters."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def make_uscc(region_code: str, rng: random.Random, kind: str = "92") -> str:
    """A valid USCC: registry (9 = market regulator) and kind (1 = company, 2 = individual
    business), the six-digit region, the nine-character organisation code, the check."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    prefix = "91" if kind == "91" else kind
    number = prefix + region_code + body + _org_check(body)
    return number + uscc.calc_check_digit(number)


def uscc_for_serial(region_code: str, serial: int, salt: int = 0, kind: str = "91") -> str:
    """A valid USCC whose organisation-code body is a bijection of `serial` (mod 10**8):
    distinct serials give distinct codes, with no set of issued codes to keep."""
    body = f"{(serial * 7_919_191 + salt * 104_729 + 13_579) % 100_000_000:08d}"
    number = kind + region_code + body + _org_check(body)
    return number + uscc.calc_check_digit(number)
