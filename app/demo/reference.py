"""The reference lists (GB/T 2260 Shaanxi regions, GB/T 4754-2017 industries) as the
generator needs them, read from fixtures/reference/ (the same files the migrations load)."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "reference"


@dataclass(frozen=True)
class Reference:
    regions: dict[str, tuple[str, str, str]]  # code → (name, level, parent_code)
    sections: dict[str, str]  # letter → name
    divisions: dict[str, list[str]]  # section letter → its two-digit divisions

    def city_of(self, region: str) -> str:
        _name, level, parent = self.regions[region]
        return parent if level == "county" else region

    def short_name(self, city: str) -> str:
        """西安市 → 西安."""
        return self.regions[city][0].removesuffix("市")

    def section_of(self, industry: str) -> str:
        if industry in self.sections:
            return industry
        for section, divisions in self.divisions.items():
            if industry[:2] in divisions:
                return section
        raise KeyError(industry)

    def weighted_regions(
        self, city_weights: Mapping[str, float], boosts: Mapping[str, float]
    ) -> list[tuple[str, float]]:
        """(county code, weight): each city's weight shared among its counties by boost."""
        out = []
        for city, weight in city_weights.items():
            counties = [
                c for c, (_n, lvl, p) in self.regions.items() if p == city and lvl == "county"
            ]
            total = sum(boosts.get(c, 1) for c in counties)
            out += [(c, weight * boosts.get(c, 1) / total) for c in counties]
        return out


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def load_reference() -> Reference:
    regions = {
        r["code"]: (r["name"], r["level"], r["parent_code"]) for r in _rows("regions_shaanxi.csv")
    }
    sections: dict[str, str] = {}
    divisions: dict[str, list[str]] = {}
    for r in _rows("industries_gbt4754_2017.csv"):
        if r["level"] == "section":
            sections[r["code"]] = r["name"]
        elif r["level"] == "division":
            divisions.setdefault(r["parent_code"], []).append(r["code"])
    return Reference(regions=regions, sections=sections, divisions=divisions)
