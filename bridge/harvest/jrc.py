"""The JRC public-sector inventory (Innovative Public Services Explorer, "update 2022", as
published: ../shared/data/projects_jrc_ipsx_cases_2022.csv) mapped to the fitxa. The mapping is
here and only here.

- `id` is the source's identifier; `name` the title; `description` the description;
- the lead organisation is the local body (`lead_organisation_name`, or the country named in
  `geocoverage` when the row names none), its category the body's kind, `geocoverage_codes`'
  first code its country (the JRC writes EL and UK, as the EU does);
- `technology` and the process `type` are the analysis' technology;
- the COFOG `primary_sector` decides the area, `type` the kind (a service, else a process),
  `status` the phase; the row's `url` is a document and the original's page.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from bridge.harvest.model import Item, SourceDocument, SourceFailed, SourceKind

PUBLISHER = "European Commission, Joint Research Centre (Innovative Public Services Explorer)"
# SOURCES.md: JRC / European Commission material, under the Commission's reuse policy.
LICENCE = "https://creativecommons.org/licenses/by/4.0/"

COLUMNS = frozenset(
    {
        "id",
        "name",
        "url",
        "description",
        "geocoverage",
        "geocoverage_codes",
        "lead_organisation_name",
        "lead_organisation_category",
        "primary_sector",
        "technology",
        "type",
        "status",
    }
)
AREA_BY_SECTOR = {
    "General public services": "services-formalities",
    "Public order and safety": "citizen-care",
    "Social protection": "social-services",
    "Health": "social-services",
    "Education": "social-services",
    "Economic affairs": "planning-management",
    "Housing and community amenities": "planning-management",
    "Environmental protection": "planning-management",
    "Recreation, culture and religion": "participation-open-government",
}
OTHER_AREA = "comprehensive-transformation"
PHASE_BY_STATUS = {
    "Implemented": "implemented",
    "In production": "implemented",
    "Not in use anymore": "implemented",
    "Pilot": "pilot",
    "In development": "prototype",
    "Planned": "prototype",
}
_HTTP = re.compile(r"^\s*https?://[^\s/]+\S*\s*$")


def matches(header: list[str]) -> bool:
    return set(header) >= COLUMNS


def delimiter_of(text: str) -> str:
    # As the import reads CSV: spreadsheets in Catalan or Spanish locales save with ";".
    first_line = text.split("\n", 1)[0]
    return ";" if ";" in first_line and "," not in first_line else ","


def header_of(text: str) -> list[str]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text))
    return [cell.strip() for cell in next(reader, [])]


def read(text: str) -> SourceDocument:
    delimiter = delimiter_of(text)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = [name.strip() for name in reader.fieldnames or []]
    if not matches(header):
        missing = ", ".join(sorted(COLUMNS - set(header)))
        raise SourceFailed(f"not the JRC inventory's layout: columns missing: {missing}")
    items: list[Item] = []
    skipped: list[str] = []
    seen: set[str] = set()
    try:
        for row in reader:
            if None in row:
                raise SourceFailed(f"line {reader.line_num}: more cells than the header's columns")
            if any(value is None for value in row.values()):
                raise SourceFailed(
                    f"line {reader.line_num}: fewer cells than the header's columns: "
                    "a partial file?"
                )
            row = {key.strip(): (value or "") for key, value in row.items()}
            source_id = row["id"].strip()
            if not source_id:
                raise SourceFailed(f"line {reader.line_num}: no id")
            if source_id in seen:
                raise SourceFailed(f"line {reader.line_num}: id {source_id} appears twice")
            seen.add(source_id)
            record, why = _record(row)
            if record is None:
                skipped.append(f"id {source_id}: {why}")
                continue
            url = row["url"].strip() if _HTTP.match(row["url"]) else None
            items.append(Item(source_id, record, None, url))
    except csv.Error as exc:
        raise SourceFailed(f"not valid CSV: {exc} (line {reader.line_num})") from None
    notes = ("read as ';'-separated CSV",) if delimiter == ";" else ()
    return SourceDocument(
        SourceKind.jrc, tuple(items), LICENCE, PUBLISHER, tuple(skipped), None, notes
    )


def _record(row: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    country = row["geocoverage_codes"].strip()[:2]
    organisation = row["lead_organisation_name"] or row["geocoverage"]
    # A fitxa needs a country (ISO code) and a body: rows "across countries" name neither.
    if not re.fullmatch(r"[A-Z]{2}", country):
        return None, "no country code (geocoverage_codes is empty)"
    if not organisation.strip():
        return None, "no lead organisation"
    body: dict[str, Any] = {"name": organisation, "country": country}
    if row["lead_organisation_category"].strip():
        body["kind"] = row["lead_organisation_category"]
    record: dict[str, Any] = {
        "title": row["name"],
        "local_body": body,
        "description": row["description"],
        "analysis": {"technology": f"{row['technology']}: {row['type']}"},
        "area": AREA_BY_SECTOR.get(row["primary_sector"], OTHER_AREA),
        "kind": "service" if "Service" in row["type"] else "process",
        "phase": PHASE_BY_STATUS.get(row["status"], "prototype"),
    }
    if _HTTP.match(row["url"]):
        record["documents"] = [{"kind": "other", "title": "JRC inventory", "url": row["url"]}]
    return record, ""
