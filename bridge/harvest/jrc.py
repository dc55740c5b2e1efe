"""The JRC public-sector inventory (Innovative Public Services Explorer, "update 2022", as
published: ../shared/data/projects_jrc_ipsx_cases_2022.csv) read as a harvest source.

The columns are mapped to the fitxa by the shipped import mapping
(`bridge/catalogue/mappings/jrc.toml`, the one the import's `--map jrc` uses), so the mapping is
written once; this module reads the file as the harvest needs it (the layout check, one item per
case with the source's id and the original's page, the rows left out and why).
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from typing import Any

from bridge.catalogue.mapping import ImportMapping, as_record, derived, load_mapping, skip_reason
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


@cache
def _mapping() -> ImportMapping:
    return load_mapping("jrc")


def _record(row: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    mapping = _mapping()
    made = derived(mapping, row)
    # A fitxa needs a country (ISO code) and a body: rows "across countries" name neither.
    if skip_reason(mapping, row, made) or "local_body.country" not in made.fields:
        return None, "no country code (geocoverage_codes is empty)"
    if "local_body.name" not in made.fields:
        return None, "no lead organisation"
    record = as_record(mapping, made)
    del record["ref"]  # the harvest's ref is the source's: `<source-slug>:<id>` (catalogue.refs)
    return record, ""
