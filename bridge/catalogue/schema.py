"""What a valid record is (contract §4): the one place where records are validated.

Import, the CLI and the store all go through `validate_records`; the store accepts nothing but
the `ValidRecord`s it returns. Every problem is reported at once, each as file, record (index and
ref), field and reason, so an administrator can fix a whole spreadsheet in one pass.

Normalisation is deliberately small, so that a record comes back out as it went in: text is
stripped of surrounding whitespace (an empty text is an absent field), country and region codes
are upper-cased, whole-number floats are whole numbers. Nothing else is changed.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from bridge.catalogue import evidence as ev

# Problem, RawRecord and Severity are plain data in their own module (export reads none of this
# module's pydantic models); every caller may import them from here too.
from bridge.catalogue.inspiration import self_link
from bridge.catalogue.numbers import read_numbers
from bridge.catalogue.problems import Problem as Problem
from bridge.catalogue.problems import RawRecord as RawRecord
from bridge.catalogue.problems import Severity as Severity

# The ref rule lives in `refs` (a local ref, or a harvested `<source-slug>:<id>`).
from bridge.catalogue.refs import REF_RE as REF_RE
from bridge.catalogue.refs import source_slug
from bridge.catalogue.regions import CONTROL_CHARS_RE, REGION_RE
from bridge.catalogue.views import BodyView, ContactView, DocumentView, ProjectView
from bridge.models.enums import Area, DocumentKind, FundingSource, Kind, Phase, Proximity
from bridge.rules.discourse import is_valid_username

MAX_POPULATION = 10**10  # above any place on Earth, well inside the database's 64-bit integer
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
# A pragmatic address check (RFC 5322 allows more, mail servers accept less): one @, a local part
# of the usual characters without empty dot-separated pieces, a domain of dot-separated labels
# ending in a top-level domain of two or more letters. Unicode letters are allowed (IDN).
_LOCAL_RE = re.compile(r"^[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*$")
_DOMAIN_RE = re.compile(r"^([^\W_]([\w-]*[^\W_])?\.)+[^\W\d_]{2,}$")
# Issue 14 item 9. Bidi embeddings, overrides and isolates reorder what follows them, so a title
# or a council's name could display as another; no one-line name needs them (the Unicode bidi
# algorithm lays right-to-left names out unaided), so one-line fields refuse them. Free text
# keeps them (a quotation may need them; a paragraph contains their effect). C1 controls are
# accepted everywhere: real publishers' files carry them as mojibake (the Generalitat's municipal
# table writes "Castell d\x92Aro", JRC descriptions end quotes with "\xe2\x80\x9d" read as
# Latin-1) and the data goes in as given. Terminals escape both (bridge.terminal); browsers
# show C1 controls as nothing and end a bidi override's effect with its paragraph.
_BIDI_OVERRIDE_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


# A value quoted in a message is cut short: a hostile file (a chain of YAML aliases, a list
# nested thousands deep) must not make the message itself enormous.
_SHOWN = reprlib.Repr()  # (keyword arguments need Python 3.12)
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlong = 2, 60, 60, 40
_SHOWN.maxlist = _SHOWN.maxdict = _SHOWN.maxtuple = 4


def shown(value: Any) -> str:
    return _SHOWN.repr(value)


def _error(reason: str) -> PydanticCustomError:
    return PydanticCustomError("bridge", reason.replace("{", "{{").replace("}", "}}"))


# --------------------------------------------------------------------------- field rules


def _text(
    max_length: int | None, *, single_line: bool = False, required: bool = False, nfc: bool = False
):
    def check(value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise _error("required field is empty")
            return None
        if not isinstance(value, str):
            kind = type(value).__name__
            raise _error(f"must be text, not {kind} {shown(value)} (in YAML, quote it)")
        value = value.strip()
        if nfc:  # one form for what looks the same (issue 28: titles compared and stored in NFC)
            value = unicodedata.normalize("NFC", value)
        if CONTROL_CHARS_RE.search(value):
            raise _error("contains a control character")
        if single_line and ("\n" in value or "\r" in value):
            raise _error("must be a single line")
        if single_line and _BIDI_OVERRIDE_RE.search(value):
            raise _error(
                "contains a bidirectional override character (U+202A to U+202E, U+2066 to "
                "U+2069), which makes a one-line name or title read as something else"
            )
        if max_length is not None and len(value) > max_length:
            raise _error(f"is {len(value)} characters long; at most {max_length} allowed")
        return value

    return BeforeValidator(check)


def _enum(enum: type[Enum], what: str, *, required: bool = False, default: Any = None):
    valid = [m.value for m in enum]

    def check(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise _error(f"required field is empty; valid values: {', '.join(valid)}")
            return default
        if isinstance(value, str) and value.strip() in valid:
            return enum(value.strip())
        raise _error(f"{shown(value)} is not a valid {what}; valid values: {', '.join(valid)}")

    return BeforeValidator(check)


def _number_value(value: Any, what: str) -> float | int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = ""
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+,\d+\s*", value):
            hint = " (use a point as the decimal separator)"
        raise _error(f"must be {what}, not {shown(value)}{hint}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _error(f"must be {what}, not {shown(value)}")
    return value


def _whole(value: Any) -> int | None:
    """A whole number as read (an integral float becomes an int), or None when absent."""
    value = _number_value(value, "a whole number")
    if value is None:
        return None
    if isinstance(value, float):
        if not value.is_integer():
            raise _error(f"must be a whole number, not {shown(value)}")
        value = int(value)
    return value


def _whole_not_negative(value: Any) -> int | None:
    value = _whole(value)
    if value is None:
        return None
    if value < 0:
        raise _error(f"must not be negative (got {shown(value)})")
    if value > MAX_POPULATION:
        raise _error(f"{shown(value)} is too large (at most {MAX_POPULATION:,})")
    return value


def _in_range(low: float, high: float):
    def check(value: Any) -> float | None:
        value = _number_value(value, "a number")
        if value is None:
            return None
        if not low <= value <= high:
            raise _error(f"{shown(value)} is out of range ({low:g} to {high:g})")
        return float(value)

    return BeforeValidator(check)


def _boolean(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise _error(f"must be true or false, not {shown(value)}")


def _country(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _error("required field is empty")
    code = value.strip().upper() if isinstance(value, str) else ""
    if not COUNTRY_RE.match(code):
        raise _error(f"must be an ISO 3166-1 alpha-2 code such as ES, not {shown(value)}")
    return code


def _region(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or not REGION_RE.match(code):
        raise _error(f"must be an ISO 3166-2 code such as ES-CT, not {shown(value)}")
    return code


def _ref(value: Any) -> str:
    if not isinstance(value, str):
        raise _error(f"must be text, not {shown(value)}")
    value = value.strip()
    if not value:
        raise _error("required field is empty")
    if not REF_RE.match(value):
        raise _error(
            f"{shown(value)} is not a valid ref: use 3 to 64 lowercase letters, digits and '-' "
            "(a harvested record's ref is '<source-slug>:<id>')"
        )
    return value


def _inspired_by(value: Any) -> list[str]:
    """Issue 22 point 5: the refs of the projects a record built on, each by the one ref rule
    (a harvested `<source-slug>:<id>` too), each once. Whether they name stored records is
    the store's to say (`store.import_records`), against the catalogue and the import."""
    refs = _list(value)
    found: list[str] = []
    for n, item in enumerate(refs):
        try:
            ref = _ref(item)
        except PydanticCustomError as exc:
            raise _error(f"[{n}]: {exc.message()}") from None
        if ref in found:
            raise _error(f"[{n}]: {ref!r} is listed twice")
        found.append(ref)
    return found


def _timestamp(value: Any) -> str | None:
    """An ISO 8601 date or date-time (or a year, or a month, as sources write `modified`), kept
    as written."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        value = value.isoformat() if hasattr(value, "isoformat") else value
    if not isinstance(value, str) or not re.fullmatch(
        r"\d{4}(-\d{2}(-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)?)?", value.strip()
    ):
        raise _error(f"must be an ISO 8601 date or date-time, not {shown(value)}")
    return value.strip()


def _email(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise _error(f"must be an email address, not {shown(value)}")
    address = value.strip()
    local, at, domain = address.rpartition("@")
    if (
        not at
        or len(address) > 254
        or len(local) > 64
        or not _LOCAL_RE.match(local)
        or not _DOMAIN_RE.match(domain)
    ):
        raise _error(f"{shown(value)} is not a valid email address")
    return address


def _url(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise _error(f"must be an http(s) URL, not {shown(value)}")
    url = value.strip()
    if any(ch.isspace() for ch in url) or CONTROL_CHARS_RE.search(url):
        raise _error(f"{shown(url)} is not a valid URL (it contains spaces or control characters)")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        scheme = f"{parts.scheme}:" if parts.scheme else "no scheme"
        raise _error(f"only http and https URLs are allowed, not {scheme} ({shown(url)})")
    if not parts.hostname:
        raise _error(f"{shown(url)} has no host")
    return url


def _url_required(value: Any) -> str:
    url = _url(value)
    if url is None:
        raise _error("required field is empty")
    return url


def _forum_username(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not is_valid_username(value.strip()):
        raise _error(
            f"{shown(value)} is not a forum username (letters, digits, '_', '.', '-'; no '@')"
        )
    return value.strip()


def _whole_between(low: int, high: int):
    def check(value: Any) -> int | None:
        value = _whole(value)
        if value is None:
            return None
        if not low <= value <= high:
            raise _error(f"{shown(value)} is out of range ({low} to {high})")
        return value

    return BeforeValidator(check)


def _any_number(value: Any) -> float | None:
    value = _number_value(value, "a number")
    return None if value is None else float(value)


def _flag(value: Any) -> bool | None:
    """A yes/no field that may come from a CSV or spreadsheet cell, where it is the text
    `true`/`false` (contract §4: booleans as true/false)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, bool):
        return value
    raise _error(f"must be true or false, not {shown(value)}")


_ISO_DATE_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")


def _date(value: Any) -> str | None:
    """An ISO date (2024-03-01) or year-month (2024-03), kept as written. A date YAML or a
    spreadsheet already read as a date (a midnight time included) is the same date."""
    import datetime as dt

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise _error(f"must be a date, not a date and time {shown(value.isoformat())}")
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise _error(f"must be a date as YYYY-MM-DD or YYYY-MM, not {shown(value)}")
    text = value.strip().removesuffix("T00:00:00")
    if not _ISO_DATE_RE.match(text):
        raise _error(f"must be a date as YYYY-MM-DD or YYYY-MM, not {shown(value)}")
    if len(text) == 10:
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise _error(f"{shown(text)} is not a date of the calendar") from None
    return text


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise _error(f"must be a list, not {type(value).__name__}")
    return value


Text = Annotated[str | None, _text(None)]
Line200 = Annotated[str | None, _text(200, single_line=True)]
RequiredText = Annotated[str, _text(None, required=True)]


# --------------------------------------------------------------------------- the record


class _Model(BaseModel):
    # Unknown fields are errors (a typo must not lose data silently); values are frozen.
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalBodyIn(_Model):
    name: Annotated[str, _text(500, single_line=True, required=True)]
    country: Annotated[str, BeforeValidator(_country)]
    region: Annotated[str | None, BeforeValidator(_region)] = None
    kind: Annotated[str | None, _text(100, single_line=True)] = None
    municipality_code: Annotated[str | None, _text(20, single_line=True)] = None
    population: Annotated[int | None, BeforeValidator(_whole_not_negative)] = None
    latitude: Annotated[float | None, _in_range(-90, 90)] = None
    longitude: Annotated[float | None, _in_range(-180, 180)] = None

    @model_validator(mode="after")
    def _consistent(self) -> LocalBodyIn:
        if self.region and not self.region.startswith(f"{self.country}-"):
            raise _error(f"region {self.region} is not in country {self.country}")
        if (self.latitude is None) != (self.longitude is None):
            raise _error("give both latitude and longitude, or neither")
        return self


class ContactIn(_Model):
    name: Line200 = None
    role: Line200 = None
    email: Annotated[str | None, BeforeValidator(_email)] = None
    phone: Annotated[str | None, _text(50, single_line=True)] = None
    forum_username: Annotated[str | None, BeforeValidator(_forum_username)] = None
    public: Annotated[bool, BeforeValidator(_boolean)] = False
    # Issue 22: false = never invited to a connection request's topic.
    invite: Annotated[bool, BeforeValidator(_boolean)] = True

    @model_validator(mode="after")
    def _someone(self) -> ContactIn:
        if not (self.name or self.email or self.phone or self.forum_username):
            raise _error("a contact needs at least a name, an email, a phone or a forum_username")
        return self


class DocumentIn(_Model):
    kind: Annotated[
        DocumentKind, _enum(DocumentKind, "document kind", default=DocumentKind.other)
    ] = DocumentKind.other
    title: Text = None
    url: Annotated[str, BeforeValidator(_url_required)]


class AnalysisIn(_Model):
    barriers: Text = None
    benefits: Text = None
    technology: Text = None


# Evidence (issue 25, contract §4b): all optional; the rules across fields (dates in order, shares
# summing to at most 1) are in `_cross_field_problems`, so each problem names its own field.
Amount = Annotated[float | None, _in_range(0, 1e15)]


class CostIn(_Model):
    one_off_eur: Amount = None
    yearly_eur: Amount = None
    year: Annotated[int | None, _whole_between(1900, 2100)] = None


class FundingIn(_Model):
    source: Annotated[FundingSource, _enum(FundingSource, "funding source", required=True)]
    share: Annotated[float | None, _in_range(0, 1)] = None


class DatesIn(_Model):
    started: Annotated[str | None, BeforeValidator(_date)] = None
    piloted: Annotated[str | None, BeforeValidator(_date)] = None
    implemented: Annotated[str | None, BeforeValidator(_date)] = None


class TeamIn(_Model):
    people: Annotated[int | None, _whole_between(0, 1_000_000)] = None
    external: Annotated[bool | None, BeforeValidator(_flag)] = None


class KpiIn(_Model):
    name: Annotated[str, _text(200, single_line=True, required=True)]
    unit: Annotated[str | None, _text(50, single_line=True)] = None
    before: Annotated[float | None, BeforeValidator(_any_number)] = None
    after: Annotated[float | None, BeforeValidator(_any_number)] = None
    period: Annotated[str | None, _text(100, single_line=True)] = None
    source: Annotated[str | None, _text(500, single_line=True)] = None


Score = Annotated[int | None, _whole_between(1, 5)]


class CriteriaIn(_Model):
    innovation: Score = None
    results: Score = None
    transferability: Score = None
    sustainability: Score = None
    participation: Score = None
    justification: Text = None


def _optional_object(value: Any) -> Any:
    return None if value in ("", {}) else value


class ProvenanceIn(_Model):
    """Where a harvested record came from (contract §4b): set by `harvest` only."""

    source: Annotated[str, _text(2000, single_line=True, required=True)]
    source_id: Annotated[str, _text(200, single_line=True, required=True)]
    licence: Annotated[str | None, _text(500, single_line=True)] = None
    publisher: Annotated[str | None, _text(500, single_line=True)] = None
    harvested_at: Annotated[str, BeforeValidator(_timestamp)]
    modified: Annotated[str | None, BeforeValidator(_timestamp)] = None
    # The original's own page (its topic, landing page or URL), linked from the record.
    url: Annotated[str | None, BeforeValidator(_url)] = None


class RecordIn(_Model):
    ref: Annotated[str, BeforeValidator(_ref)]
    title: Annotated[str, _text(500, single_line=True, required=True, nfc=True)]
    local_body: LocalBodyIn
    contacts: Annotated[list[ContactIn], BeforeValidator(_list)] = []
    description: RequiredText
    value: Text = None
    savings: Text = None
    savings_eur_per_year: Annotated[float | None, _in_range(0, 1e15)] = None
    savings_hours_per_year: Annotated[float | None, _in_range(0, 1e12)] = None
    analysis: Annotated[
        AnalysisIn | None, BeforeValidator(lambda v: None if v in ("", {}) else v)
    ] = None
    area: Annotated[Area, _enum(Area, "area", required=True)]
    kind: Annotated[Kind, _enum(Kind, "kind", required=True)]
    phase: Annotated[Phase, _enum(Phase, "phase", required=True)]
    documents: Annotated[list[DocumentIn], BeforeValidator(_list)] = []
    inspired_by: Annotated[list[str], BeforeValidator(_inspired_by)] = []
    cost: Annotated[CostIn | None, BeforeValidator(_optional_object)] = None
    funding: Annotated[list[FundingIn], BeforeValidator(_list)] = []
    dates: Annotated[DatesIn | None, BeforeValidator(_optional_object)] = None
    team: Annotated[TeamIn | None, BeforeValidator(_optional_object)] = None
    kpis: Annotated[list[KpiIn], BeforeValidator(_list)] = []
    criteria: Annotated[CriteriaIn | None, BeforeValidator(_optional_object)] = None
    proximity: Annotated[Proximity | None, _enum(Proximity, "proximity")] = None
    provenance: ProvenanceIn | None = None

    @model_validator(mode="after")
    def _namespaced(self) -> RecordIn:
        # A harvested ref and a provenance go together: a local record cannot take a source's
        # namespace, and a harvested record always says where it came from.
        if source_slug(self.ref) is not None and self.provenance is None:
            raise _error("a ref with a ':' is a harvested record's and needs its provenance")
        if source_slug(self.ref) is None and self.provenance is not None:
            raise _error("provenance is set by harvest only: its ref is '<source-slug>:<id>'")
        return self

    def evidence(self) -> dict[str, Any]:
        """The structured evidence in its canonical form (`evidence.evidence_dict`)."""
        return ev.evidence_dict(
            self.model_dump(mode="json", include=set(ev.EVIDENCE_KEYS), exclude_none=True)
        )

    def view(self, body: BodyView | None = None) -> ProjectView:
        """The record as the store writes it; `body` replaces the local body when it is shared."""
        analysis = self.analysis or AnalysisIn()
        return ProjectView(
            ref=self.ref,
            title=self.title,
            local_body=body or self.body_view(),
            description=self.description,
            value=self.value,
            savings=self.savings,
            savings_eur_per_year=self.savings_eur_per_year,
            savings_hours_per_year=self.savings_hours_per_year,
            evidence=self.evidence() or None,
            analysis_barriers=analysis.barriers,
            analysis_benefits=analysis.benefits,
            analysis_technology=analysis.technology,
            area=self.area,
            kind=self.kind,
            phase=self.phase,
            proximity=self.proximity,
            contacts=[ContactView(**c.model_dump()) for c in self.contacts],
            documents=[DocumentView(**d.model_dump()) for d in self.documents],
            inspired_by=sorted(self.inspired_by),
            provenance=self.provenance.model_dump(exclude_none=True) if self.provenance else None,
        )

    def body_view(self) -> BodyView:
        return BodyView(**self.local_body.model_dump())


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class ValidRecord:
    file: str
    index: int
    record: RecordIn
    line: int | None = None
    warnings: tuple[Problem, ...] = ()  # what validation normalised

    @property
    def ref(self) -> str:
        return self.record.ref

    def problem(
        self, field: str | None, reason: str, severity: Severity = Severity.error
    ) -> Problem:
        return Problem(self.file, reason, self.index, self.ref, field, self.line, severity)


# --------------------------------------------------------------------------- validation


_FIELDS_OF: dict[str, Sequence[str]] = {
    "": list(RecordIn.model_fields),
    "local_body": list(LocalBodyIn.model_fields),
    "contacts": list(ContactIn.model_fields),
    "documents": list(DocumentIn.model_fields),
    "analysis": list(AnalysisIn.model_fields),
    "cost": list(CostIn.model_fields),
    "funding": list(FundingIn.model_fields),
    "dates": list(DatesIn.model_fields),
    "team": list(TeamIn.model_fields),
    "kpis": list(KpiIn.model_fields),
    "criteria": list(CriteriaIn.model_fields),
    "provenance": list(ProvenanceIn.model_fields),
}


def _field_name(loc: Sequence[Any]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name


def _reason(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    loc = err["loc"]
    if kind == "missing":
        return "required field missing"
    if kind == "extra_forbidden":
        parent = next((p for p in reversed(loc[:-1]) if isinstance(p, str)), "")
        valid = _FIELDS_OF.get(parent, [])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown field ({hint}valid fields: {', '.join(valid)})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return (
            "must be an object with fields "
            f"{', '.join(_FIELDS_OF.get(str(loc[-1]) if loc else '', []))}"
        ).rstrip()
    return err["msg"]


def _ref_of(data: Any) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("ref"), str):
        return data["ref"].strip() or None
    return None


# One-line fields (contract §4): a line break or a run of spaces inside becomes one space, with a
# warning. Spreadsheet cells carry line breaks (Alt+Enter) that the author never meant as content.
_ONE_LINE_FIELDS: dict[str | None, tuple[str, ...]] = {
    None: ("title",),
    "local_body": ("name", "kind", "municipality_code"),
    "contacts": ("name", "role", "phone"),
}
_RUN_OF_SPACE_RE = re.compile(r"\s{2,}|[^\S ]")


def _one_line(value: Any) -> Any:
    if isinstance(value, str) and _RUN_OF_SPACE_RE.search(value.strip()):
        return " ".join(value.split())
    return value


def _normalise_lines(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The record with its one-line fields on one line, and (field, what) for each change."""
    notes: list[tuple[str, str]] = []

    def fix(holder: dict[str, Any], names: tuple[str, ...], prefix: str) -> dict[str, Any]:
        changed = dict(holder)
        for name in names:
            new = _one_line(holder.get(name))
            if new is not holder.get(name):
                changed[name] = new
                notes.append((f"{prefix}{name}", "line breaks or runs of spaces became one space"))
        return changed

    data = fix(data, _ONE_LINE_FIELDS[None], "")
    if isinstance(data.get("local_body"), dict):
        data["local_body"] = fix(data["local_body"], _ONE_LINE_FIELDS["local_body"], "local_body.")
    if isinstance(data.get("contacts"), list):
        data["contacts"] = [
            fix(c, _ONE_LINE_FIELDS["contacts"], f"contacts[{i}].") if isinstance(c, dict) else c
            for i, c in enumerate(data["contacts"])
        ]
    return data, notes


def validate_record(raw: RawRecord) -> tuple[ValidRecord | None, list[Problem]]:
    ref = _ref_of(raw.data)
    problems = [
        Problem(raw.file, reason, raw.index, ref, fld, raw.line) for fld, reason in raw.problems
    ]
    if not isinstance(raw.data, dict):
        problems.append(
            Problem(
                raw.file,
                f"a record must be an object, not {type(raw.data).__name__}",
                raw.index,
                None,
                None,
                raw.line,
            )
        )
        return None, problems
    # Fields a reader already rejected (e.g. a CSV cell that is not JSON) are not checked twice.
    data = {k: v for k, v in raw.data.items() if k not in {f for f, _ in raw.problems}}
    body = data.get("local_body")
    country = body.get("country") if isinstance(body, dict) else None
    data, unread = read_numbers(data, country)  # "12.000" by the record's locale (issue 28)
    problems += [Problem(raw.file, why, raw.index, ref, fld, raw.line) for fld, why in unread]
    data, notes = _normalise_lines(data)
    try:
        record = RecordIn.model_validate(data)
    except ValidationError as exc:
        rejected = {f for f, _ in raw.problems}  # said once, by the reader, not again as missing
        for err in exc.errors(include_url=False, include_input=False):
            if (_field_name(err["loc"]) or None) in rejected:
                continue
            problems.append(
                Problem(
                    raw.file,
                    _reason(err),
                    raw.index,
                    ref,
                    _field_name(err["loc"]) or None,
                    raw.line,
                )
            )
        return None, problems
    problems += [
        Problem(raw.file, reason, raw.index, ref, fld, raw.line)
        for fld, reason in _cross_field_problems(record)
    ]
    if problems:
        return None, problems
    warnings = tuple(
        Problem(raw.file, what, raw.index, ref, fld, raw.line, Severity.warning)
        for fld, what in [*raw.warnings, *notes]
    ) + tuple(
        Problem(raw.file, what, raw.index, ref, "savings", raw.line, Severity.advice)
        for what in _savings_advice(record)
    )
    return ValidRecord(raw.file, raw.index, record, raw.line, warnings), []


def _savings_advice(record: RecordIn) -> list[str]:
    """Free-text savings stay as written (issue 25); where they state a figure that the record's
    structured field does not carry yet, say so."""
    given = {
        "savings_eur_per_year": record.savings_eur_per_year,
        "savings_hours_per_year": record.savings_hours_per_year,
    }
    unit = {"savings_eur_per_year": "€", "savings_hours_per_year": "hours"}
    return [
        f"reads as {found.value:g} {unit[found.field]} ({found.text!r}); if that is a year's "
        f"saving, put it in {found.field} to make it comparable (the text is kept as written)"
        for found in ev.readable_savings(record.savings)
        if given[found.field] is None
    ]


def _cross_field_problems(record: RecordIn) -> list[tuple[str, str]]:
    """Rules across fields (the evidence's, a record that would build on itself), each problem on
    the field that breaks it."""
    problems = ev.order_problems(record.dates.model_dump() if record.dates else None)
    if record.ref in record.inspired_by:
        problems.append(("inspired_by", self_link(record.ref)))
    shares = [f.share for f in record.funding if f.share is not None]
    if sum(shares) > 1 + 1e-9:
        total = sum(shares)
        problems.append(("funding", f"the shares sum to {total:g}; at most 1 (100%)"))
    return problems


def validate_records(raws: Iterable[RawRecord]) -> tuple[list[ValidRecord], list[Problem]]:
    """Validate every record, then the rules across records (a ref is unique across all files)."""
    valid: list[ValidRecord] = []
    problems: list[Problem] = []
    first_seen: dict[str, tuple[str, int]] = {}
    for raw in raws:
        record, found = validate_record(raw)
        problems.extend(found)
        ref = record.ref if record else _ref_of(raw.data)
        if ref and REF_RE.match(ref):
            if ref in first_seen:
                file, index = first_seen[ref]
                where = f"record {index}" if file == raw.file else f"record {index} of {file}"
                problems.append(
                    Problem(
                        raw.file,
                        f"duplicate ref: already used by {where}",
                        raw.index,
                        ref,
                        "ref",
                        raw.line,
                    )
                )
                continue
            first_seen[ref] = (raw.file, raw.index)
        if record:
            valid.append(record)
    return valid, problems
