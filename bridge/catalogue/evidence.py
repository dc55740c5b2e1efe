"""Evidence a council can compare (issue 25, contract §4b): the record's structured evidence and
what is derived from it. Pure.

A record's evidence is the part of its canonical form under EVIDENCE_KEYS (cost, funding, dates,
team, KPIs, good-practice criteria) plus `savings_hours_per_year` beside `savings_eur_per_year`.
It is stored as one JSON text (`project.evidence`, its canonical form), so the catalogue's store
and readers carry it whole and its fingerprint is part of the record's.

Derived, never typed twice: per-inhabitant figures over the council's official population (the
gazetteer's `place`), or the record's own figure when it is not placed, said as a caveat; months
from start to implementation. Amounts stay nominal (euros of the year the record gives): no price
index is applied, and the output says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bridge.models.enums import Sort

# The structured parts, in the contract's order, and each one's fields in order.
COST_FIELDS = ("one_off_eur", "yearly_eur", "year")
FUNDING_FIELDS = ("source", "share")
DATE_FIELDS = ("started", "piloted", "implemented")
TEAM_FIELDS = ("people", "external")
KPI_FIELDS = ("name", "unit", "before", "after", "period", "source")
CRITERIA = ("innovation", "results", "transferability", "sustainability", "participation")
CRITERIA_FIELDS = (*CRITERIA, "justification")
EVIDENCE_KEYS = ("cost", "funding", "dates", "team", "kpis", "criteria")

# The CSV/xlsx columns they add (nested objects as dotted columns, lists as JSON in their cell).
CSV_COLUMNS: tuple[str, ...] = (
    "savings_hours_per_year",
    *(f"cost.{name}" for name in COST_FIELDS),
    "funding",
    *(f"dates.{name}" for name in DATE_FIELDS),
    *(f"team.{name}" for name in TEAM_FIELDS),
    "kpis",
    *(f"criteria.{name}" for name in CRITERIA_FIELDS),
)
NUMBER_COLUMNS = frozenset(
    {
        "savings_hours_per_year",
        "cost.one_off_eur",
        "cost.yearly_eur",
        "cost.year",
        "team.people",
        *(f"criteria.{name}" for name in CRITERIA),
    }
)
JSON_COLUMNS = frozenset({"funding", "kpis"})

# What each column means, in Catalan and English (the template's help sheet).
HELP: dict[str, tuple[str, str]] = {
    "savings_hours_per_year": (
        "3. Hores de personal estalviades l'any (com es van mesurar: a «savings»)",
        "3. Staff hours saved a year (how they were measured: in 'savings')",
    ),
    "cost.one_off_eur": ("Cost únic (inversió), en euros", "One-off cost (investment), in euros"),
    "cost.yearly_eur": ("Cost anual (manteniment), en euros", "Yearly cost (running), in euros"),
    "cost.year": ("Any dels euros dels costos (p. ex. 2023)", "Year of the costs' euros (2023)"),
    "funding": (
        'Finançament, JSON: [{"source": "ngeu", "share": 0.6}, {"source": "own", "share": 0.4}]'
        " (fonts: llista; parts de 0 a 1, que sumen com a molt 1)",
        'Funding, JSON: [{"source": "ngeu", "share": 0.6}, {"source": "own", "share": 0.4}]'
        " (sources: list; shares 0 to 1, summing to at most 1)",
    ),
    "dates.started": ("Data d'inici (AAAA-MM-DD o AAAA-MM)", "Start date (YYYY-MM-DD or YYYY-MM)"),
    "dates.piloted": ("Data de la prova pilot", "Date of the pilot"),
    "dates.implemented": (
        "Data d'implantació (no abans de l'inici)",
        "Date implemented (not before the start)",
    ),
    "team.people": ("Persones que hi van treballar", "People who worked on it"),
    "team.external": (
        "Hi va treballar un proveïdor extern? (true/false)",
        "Did an external provider work on it? (true/false)",
    ),
    "kpis": (
        'Resultats, JSON: [{"name": "trucades al mes", "unit": "trucades", "before": 4200, '
        '"after": 2600, "period": "2023", "source": "https://…"}]',
        'Results, JSON: [{"name": "phone calls a month", "unit": "calls", "before": 4200, '
        '"after": 2600, "period": "2023", "source": "https://…"}]',
    ),
    "criteria.innovation": (
        "Autoavaluació: innovació (1 a 5)",
        "Self-assessment: innovation (1-5)",
    ),
    "criteria.results": ("Autoavaluació: resultats (1 a 5)", "Self-assessment: results (1-5)"),
    "criteria.transferability": (
        "Autoavaluació: transferibilitat (1 a 5)",
        "Self-assessment: transferability (1-5)",
    ),
    "criteria.sustainability": (
        "Autoavaluació: sostenibilitat (1 a 5)",
        "Self-assessment: sustainability (1-5)",
    ),
    "criteria.participation": (
        "Autoavaluació: participació ciutadana (1 a 5)",
        "Self-assessment: citizen participation (1-5)",
    ),
    "criteria.justification": (
        "Justificació de l'autoavaluació (opcional)",
        "Why those self-assessments (optional)",
    ),
}


def _number(value: Any) -> Any:
    """Whole floats as integers, as the canonical form writes every number."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _part(values: Mapping[str, Any] | None, names: tuple[str, ...]) -> dict[str, Any]:
    if not values:
        return {}
    return {name: _number(values[name]) for name in names if _present(values.get(name))}


def evidence_dict(parts: Mapping[str, Any] | None) -> dict[str, Any]:
    """The canonical form of a record's structured evidence (keys in EVIDENCE_KEYS order, absent
    parts omitted), from plain dicts (a validated record's dump, or the stored JSON)."""
    if not parts:
        return {}
    out: dict[str, Any] = {}
    cost = _part(parts.get("cost"), COST_FIELDS)
    if cost:
        out["cost"] = cost
    funding = [_part(f, FUNDING_FIELDS) for f in parts.get("funding") or ()]
    if funding:
        out["funding"] = funding
    for key, names in (("dates", DATE_FIELDS), ("team", TEAM_FIELDS)):
        part = _part(parts.get(key), names)
        if part:
            out[key] = part
    kpis = [_part(k, KPI_FIELDS) for k in parts.get("kpis") or ()]
    if kpis:
        out["kpis"] = kpis
    criteria = _part(parts.get("criteria"), CRITERIA_FIELDS)
    if criteria:
        out["criteria"] = criteria
    return out


def encode(evidence: Mapping[str, Any] | None) -> str | None:
    """What `project.evidence` stores: the canonical form as JSON, None when there is none."""
    return json.dumps(evidence, ensure_ascii=False, separators=(",", ":")) if evidence else None


def decode(stored: str | Mapping[str, Any] | None) -> dict[str, Any]:
    if not stored:
        return {}
    if isinstance(stored, str):
        return dict(json.loads(stored))
    return dict(stored)


# --------------------------------------------------------------------------- dates


_DATE_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def date_parts(text: str) -> tuple[int, ...]:
    """(year, month) or (year, month, day) of an ISO date or year-month (validated before)."""
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError(text)
    return tuple(int(g) for g in match.groups() if g is not None)


def before(a: str, b: str) -> bool:
    """Whether date `a` is strictly before `b`, compared at the precision both have (2024-03 is
    not before 2024-03-15)."""
    pa, pb = date_parts(a), date_parts(b)
    n = min(len(pa), len(pb))
    return pa[:n] < pb[:n]


def months_between(a: str, b: str) -> float:
    """Months from `a` to `b`, to one decimal; a year-month counts from its first day."""
    pa, pb = date_parts(a), date_parts(b)
    ya, ma, da = (*pa, 1)[:3]
    yb, mb, db = (*pb, 1)[:3]
    return round((yb - ya) * 12 + (mb - ma) + (db - da) / 30.4375, 1)


def order_problems(dates: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(field, reason) for each date earlier than one it must follow."""
    if not dates:
        return []
    problems = []
    given = [(name, dates[name]) for name in DATE_FIELDS if dates.get(name)]
    for i, (name, value) in enumerate(given):
        for earlier, earlier_value in given[:i]:
            if before(value, earlier_value):
                problems.append(
                    (f"dates.{name}", f"{value} is before dates.{earlier} ({earlier_value})")
                )
                break
    return problems


# --------------------------------------------------------------------------- derived


class PopulationCaveat(StrEnum):
    """Why a per-inhabitant figure must be read with care (issue 25 point 4)."""

    # The council is not placed in the gazetteer: the record's own population is used.
    unresolved = "unresolved"
    # No population is known: no per-inhabitant figure.
    missing = "missing"
    # The registry's population is of a year it does not state, the amounts of `cost.year`.
    year_unstated = "year_unstated"


# How `projects show` says each caveat (the forum's words are labels of the TOML file).
CAVEAT_TEXT = {
    PopulationCaveat.unresolved: "the council is not placed in the gazetteer",
    PopulationCaveat.missing: "no population known, no per-inhabitant figures",
    PopulationCaveat.year_unstated: "the registry does not state the population's year",
}


class PopulationSource(StrEnum):
    gazetteer = "gazetteer"
    record = "record"


@dataclass(frozen=True)
class PopulationBasis:
    population: int | None
    source: PopulationSource | None
    caveats: tuple[PopulationCaveat, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "population": self.population,
            "source": self.source.value if self.source else None,
            "year": None,  # the registries do not state it (see PopulationCaveat.year_unstated)
            "caveats": [c.value for c in self.caveats],
        }


def population_basis(record: Mapping[str, Any]) -> PopulationBasis:
    """The population per-inhabitant figures divide by: the gazetteer's (official), else the
    record's own, else none; with the caveats that apply."""
    place = record.get("place") or {}
    body = record.get("local_body") or {}
    cost_year = (record.get("cost") or {}).get("year")
    caveats: list[PopulationCaveat] = []
    if place.get("population"):
        population, source = int(place["population"]), PopulationSource.gazetteer
    elif body.get("population"):
        population, source = int(body["population"]), PopulationSource.record
        caveats.append(PopulationCaveat.unresolved)
    else:
        return PopulationBasis(None, None, (PopulationCaveat.missing,))
    if cost_year is not None:
        caveats.append(PopulationCaveat.year_unstated)
    return PopulationBasis(population, source, tuple(caveats))


def _per(amount: Any, population: int | None) -> float | None:
    if amount is None or not population:
        return None
    return round(float(amount) / population, 2)


def derived(record: Mapping[str, Any]) -> dict[str, Any]:
    """`projects show --json`'s `evidence` (contract §4b): each figure None when its inputs are
    missing, and the population it used with its caveats. Amounts are nominal."""
    basis = population_basis(record)
    cost = record.get("cost") or {}
    dates = record.get("dates") or {}
    months = (
        months_between(dates["started"], dates["implemented"])
        if dates.get("started") and dates.get("implemented")
        else None
    )
    return {
        "cost_per_inhabitant_eur": _per(cost.get("one_off_eur"), basis.population),
        "yearly_cost_per_inhabitant_eur": _per(cost.get("yearly_eur"), basis.population),
        "savings_per_inhabitant_eur": _per(record.get("savings_eur_per_year"), basis.population),
        "months_to_implement": months,
        "population_basis": basis.as_dict(),
        "currency": "EUR",
        "prices": "nominal",  # no price index applied: euros of cost.year
        "euros_of_year": cost.get("year"),
    }


class EvidenceSort(StrEnum):
    """`find --sort`'s choices: the evidence orders of `Sort`, an enum of their own so that the
    CLI offers only these (the values are `Sort`'s)."""

    cost_per_inhabitant = Sort.cost_per_inhabitant.value
    savings_per_inhabitant = Sort.savings_per_inhabitant.value
    time_to_implement = Sort.time_to_implement.value


# Ordering by a derived figure (issue 25): the figure, and which way is best first (cheapest,
# most saved, quickest). Records without the figure come last, by ref.
SORTS: dict[str, tuple[str, int]] = {
    Sort.cost_per_inhabitant: ("cost_per_inhabitant_eur", 1),
    Sort.savings_per_inhabitant: ("savings_per_inhabitant_eur", -1),
    Sort.time_to_implement: ("months_to_implement", 1),
}


def sort_figure(sort: str, record: Mapping[str, Any]) -> float | None:
    """The figure a record is sorted by (None: the record does not have it)."""
    value = derived(record)[SORTS[sort][0]]
    return None if value is None else float(value)


def sort_key(sort: str) -> Callable[[Mapping[str, Any]], tuple[bool, float, str]]:
    sign = SORTS[sort][1]

    def key(record: Mapping[str, Any]) -> tuple[bool, float, str]:
        value = sort_figure(sort, record)
        return (value is None, 0.0 if value is None else sign * value, record["ref"])

    return key


def has_evidence(record: Mapping[str, Any]) -> bool:
    return any(record.get(key) for key in EVIDENCE_KEYS) or (
        record.get("savings_hours_per_year") is not None
    )


# --------------------------------------------------------------------------- free-text savings

# "12.000 €", "12,000 euros", "€12,000", "300 hores", "1.200 h/any": a number and a unit that
# can be read without doubt (issue 25: free text stays; import says what it could read).
_AMOUNT = r"(\d{1,3}(?:[.,\s]\d{3})+|\d+)(?:[.,](\d{1,2}))?"
_EUROS_RE = re.compile(rf"(?:€\s*{_AMOUNT}|{_AMOUNT}\s*(?:€|eur(?:os?)?\b))", re.IGNORECASE)
_HOURS_RE = re.compile(rf"{_AMOUNT}\s*(?:h\b|hores\b|horas\b|hours\b)", re.IGNORECASE)


def _value(whole: str, decimals: str | None) -> float:
    digits = re.sub(r"[.,\s]", "", whole)
    return float(f"{digits}.{decimals}") if decimals else float(digits)


@dataclass(frozen=True)
class ReadableSaving:
    field: str  # savings_eur_per_year or savings_hours_per_year
    value: float
    text: str  # what was read


def readable_savings(text: str | None) -> list[ReadableSaving]:
    """The amounts of euros and of hours that free-text savings state unambiguously: exactly one
    of each kind (two different amounts of euros are not one figure)."""
    if not text:
        return []
    found = []
    for field, pattern in (
        ("savings_eur_per_year", _EUROS_RE),
        ("savings_hours_per_year", _HOURS_RE),
    ):
        matches = list(pattern.finditer(text))
        if len(matches) != 1:
            continue
        match = matches[0]
        groups = [g for g in match.groups()]
        whole = next(g for g in groups[0::2] if g is not None)
        decimals = groups[groups.index(whole) + 1]
        found.append(ReadableSaving(field, _value(whole, decimals), match.group(0).strip()))
    return found
