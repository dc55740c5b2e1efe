"""Import mappings (issue 28 point 5): a file that is almost right, made right without editing it.

A mapping is a TOML file (`digicanvis import --map MAPPING.toml`, or the name of one shipped in
`bridge/catalogue/mappings/`, e.g. `--map jrc`). It says, for a file's own columns:

    name = "What these files are"
    locale = "ca"                        # how the file writes numbers (default: the record's)
    ignore = ["internal id"]             # the file's columns that hold nothing for a record

    [columns]                            # a source column is a record's field
    "Títol del projecte" = "title"
    "Àmbit" = { field = "area", values = { "Atenció ciutadana" = "citizen-care" } }
    "Habitants" = { field = "local_body.population", locale = "ca" }

    [constants]                          # a field every record has, unless the file gives it
    "local_body.country" = "ES"

    [fields."ref"]                       # a field made of several columns
    template = "jrc-{id}"                # {column} is that column's value, stripped
    slug = true                          # lower-case letters, digits and '-' (a valid ref)
    [fields."local_body.name"]
    columns = ["lead_organisation_name", "geocoverage"]     # the first that is not empty
    [fields."local_body.country"]
    column = "geocoverage_codes"
    extract = "^([A-Z]{2})"              # the first group of this expression
    [fields."phase"]
    column = "url"
    match = { "web\\.archive\\.org" = "pilot" }            # the first expression found decides
    default = "implemented"              # when the source is empty or no map gives a value

    [[lists.documents]]                  # a list field's items, each field as above
    kind = { constant = "article" }
    url = { column = "url" }
    title = { template = "{name}" }
    require_url = "url"                  # an item without one http(s) URL there is left out

    [skip]                               # rows that are not records, each said in a warning
    when_empty = ["description"]

A value a map does not name passes through as written, so the contract's codes still work and a
value nobody mapped is reported by validation, field and record named. Pure apart from reading
the TOML file; the values it produces are validated like any other record's.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from bridge.catalogue.numbers import LOCALE_STYLES, NumberStyle

SHIPPED = ("jrc", "decidim", "consul")
_URL_RE = re.compile(r"^https?://[^\s/]+\S*$")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]+)\}")


class MappingError(Exception):
    """The mapping file is not a valid mapping (the message is meant for a person)."""


@dataclass(frozen=True)
class Rule:
    """How one field's value is made from a row."""

    columns: tuple[str, ...] = ()
    template: str | None = None
    constant: Any = None
    values: MappingType[str, Any] = field(default_factory=dict)
    match: tuple[tuple[re.Pattern[str], Any], ...] = ()
    extract: re.Pattern[str] | None = None
    default: Any = None
    slug: bool = False
    unique: bool = False  # numbered ("-2", "-3") where an earlier row made the same value
    locale: NumberStyle | None = None

    def sources(self) -> set[str]:
        used = set(self.columns)
        if self.template:
            used |= set(_PLACEHOLDER_RE.findall(self.template))
        return used

    def value(self, row: MappingType[str, Any]) -> Any:
        if self.constant is not None:
            return self.constant
        if self.template is not None:
            text: Any = _PLACEHOLDER_RE.sub(lambda m: _text(row.get(m.group(1))), self.template)
        else:
            text = next((row[c] for c in self.columns if _text(row.get(c))), None)
        if self.extract is not None and text is not None:
            found = self.extract.search(_text(text))
            text = found.group(1) if found else None
        if text is None or _text(text) == "":
            return self.default
        key = _text(text)
        if key in self.values:
            return self.values[key]
        for pattern, result in self.match:
            if pattern.search(key):
                return result
        if (self.values or self.match) and self.default is not None:
            return self.default
        return slugify(key) if self.slug else text


@dataclass(frozen=True)
class ListRule:
    """One item of a list field (a document, a contact) made from each row."""

    fields: MappingType[str, Rule]
    require_url: str | None = None


@dataclass(frozen=True)
class ImportMapping:
    name: str
    source: str  # where it was read from, for messages
    fields: MappingType[str, Rule]  # record field (dotted) → rule
    lists: MappingType[str, tuple[ListRule, ...]] = field(default_factory=dict)
    constants: MappingType[str, Any] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    skip_when_empty: tuple[str, ...] = ()
    locale: NumberStyle | None = None

    def used_columns(self) -> set[str]:
        used = set(self.ignore) | {c for c in self.skip_when_empty if c not in self.fields}
        for rule in self.fields.values():
            used |= rule.sources()
        for items in self.lists.values():
            for item in items:
                for rule in item.fields.values():
                    used |= rule.sources()
        return used


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def slugify(text: str) -> str:
    """A ref from any text: accents folded, lower case, runs of other characters one '-', at
    most 64 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:64].strip("-")


# --------------------------------------------------------------------------- loading

_RULE_KEYS = {
    "field", "column", "columns", "template", "constant", "values", "match", "extract",
    "default", "slug", "unique", "locale",
}  # fmt: skip
_TOP_KEYS = {"name", "locale", "ignore", "columns", "constants", "fields", "lists", "skip"}


def _locale(value: Any, where: str) -> NumberStyle | None:
    if value is None:
        return None
    if value not in LOCALE_STYLES:
        raise MappingError(f"{where}: unknown locale {value!r} (one of {', '.join(LOCALE_STYLES)})")
    return LOCALE_STYLES[value]


def _regex(text: Any, where: str) -> re.Pattern[str]:
    if not isinstance(text, str):
        raise MappingError(f"{where}: a regular expression must be text")
    try:
        return re.compile(text)
    except re.error as exc:
        raise MappingError(f"{where}: not a valid regular expression: {exc}") from None


def _rule(spec: Any, where: str) -> Rule:
    if isinstance(spec, str):
        return Rule(columns=(spec,))
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: expected a column name or a table")
    unknown = set(spec) - _RULE_KEYS
    if unknown:
        raise MappingError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} (valid: "
            f"{', '.join(sorted(_RULE_KEYS))})"
        )
    columns = spec.get("columns", [spec["column"]] if "column" in spec else [])
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise MappingError(f"{where}: 'columns' must be a list of column names")
    if not (columns or "template" in spec or "constant" in spec):
        raise MappingError(f"{where}: give 'column', 'columns', 'template' or 'constant'")
    values = spec.get("values", {})
    match = spec.get("match", {})
    if not isinstance(values, dict) or not isinstance(match, dict):
        raise MappingError(f"{where}: 'values' and 'match' must be tables")
    return Rule(
        columns=tuple(columns),
        template=spec.get("template"),
        constant=spec.get("constant"),
        values={str(k).strip(): v for k, v in values.items()},
        match=tuple((_regex(k, f"{where}.match"), v) for k, v in match.items()),
        extract=_regex(spec["extract"], f"{where}.extract") if "extract" in spec else None,
        default=spec.get("default"),
        slug=bool(spec.get("slug", False)),
        unique=bool(spec.get("unique", False)),
        locale=_locale(spec.get("locale"), where),
    )


def parse_mapping(document: dict[str, Any], source: str) -> ImportMapping:
    unknown = set(document) - _TOP_KEYS
    if unknown:
        raise MappingError(
            f"unknown section(s) {', '.join(sorted(unknown))} "
            f"(valid: {', '.join(sorted(_TOP_KEYS))})"
        )
    fields: dict[str, Rule] = {}
    for column, spec in document.get("columns", {}).items():
        if isinstance(spec, str):
            fields[spec] = Rule(columns=(column,))
        elif isinstance(spec, dict) and isinstance(spec.get("field"), str):
            rest = {k: v for k, v in spec.items() if k != "field"}
            fields[spec["field"]] = _rule({**rest, "column": column}, f"columns.{column!r}")
        else:
            raise MappingError(f"columns.{column!r}: expected a field name or {{field = …}}")
    for name, spec in document.get("fields", {}).items():
        fields[name] = _rule(spec, f"fields.{name}")
    lists: dict[str, tuple[ListRule, ...]] = {}
    for name, items in document.get("lists", {}).items():
        if not isinstance(items, list):
            raise MappingError(f"lists.{name}: expected [[lists.{name}]] items")
        built = []
        for n, item in enumerate(items, start=1):
            required = item.get("require_url")
            rules = {
                k: _rule(v, f"lists.{name}[{n}].{k}") for k, v in item.items() if k != "require_url"
            }
            built.append(ListRule(rules, required))
        lists[name] = tuple(built)
    skip = document.get("skip", {})
    ignore = document.get("ignore", [])
    if not isinstance(ignore, list):
        raise MappingError("ignore: expected a list of column names")
    return ImportMapping(
        name=str(document.get("name", source)),
        source=source,
        fields=fields,
        lists=lists,
        constants=dict(document.get("constants", {})),
        ignore=frozenset(str(c) for c in ignore),
        skip_when_empty=tuple(skip.get("when_empty", ())),
        locale=_locale(document.get("locale"), "locale"),
    )


def load_mapping(spec: str) -> ImportMapping:
    """A mapping file, or the name of a shipped one (`jrc`, `decidim`, `consul`)."""
    if spec in SHIPPED:
        text = (
            resources.files("bridge.catalogue")
            .joinpath(f"mappings/{spec}.toml")
            .read_text(encoding="utf-8")
        )
        source = f"{spec} (shipped)"
    else:
        from bridge.catalogue.sources import SourceError, decode, read_bytes

        try:
            text = decode(read_bytes(spec, limit=1 << 20), windows_1252=False).text
        except SourceError as exc:
            shipped = ", ".join(SHIPPED)
            raise MappingError(f"{spec}: {exc.reason} (shipped mappings: {shipped})") from None
        source = str(Path(spec))
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{source}: not valid TOML: {exc}") from None
    try:
        return parse_mapping(document, source)
    except MappingError as exc:
        raise MappingError(f"{source}: {exc}") from None


# --------------------------------------------------------------------------- applying


@dataclass(frozen=True)
class Mapped:
    """What a mapping made of one row: fields by dotted name, list fields, and warnings."""

    fields: dict[str, Any]
    lists: dict[str, list[dict[str, Any]]]
    notes: tuple[tuple[str, str], ...]  # (field, what) said in warnings


def skip_reason(mapping: ImportMapping, row: MappingType[str, Any], made: Mapped) -> str | None:
    """Why the mapping leaves this row out: a source column, or a field it makes, is empty."""
    empty = [
        c
        for c in mapping.skip_when_empty
        if not _text(made.fields.get(c) if c in mapping.fields else row.get(c))
    ]
    if empty:
        return f"row skipped, as the mapping says: {', '.join(repr(c) for c in empty)} empty"
    return None


def derived(
    mapping: ImportMapping, row: MappingType[str, Any], seen: dict[str, set[str]] | None = None
) -> Mapped:
    """The fields the mapping makes of a row's source columns, and its list items. `seen` holds
    the values earlier rows made for `unique` fields (a file's rows share it)."""
    seen = {} if seen is None else seen
    values: dict[str, Any] = {}
    notes: list[tuple[str, str]] = []
    for name, rule in mapping.fields.items():
        value = rule.value(row)
        if value is not None and _text(value) != "":
            if rule.unique:
                taken = seen.setdefault(name, set())
                first, n = str(value), 2
                while str(value) in taken:
                    suffix = f"-{n}"
                    value, n = first[: 64 - len(suffix)] + suffix, n + 1
                if value != first:
                    notes.append((name, f"{first!r} was made for an earlier row; {value!r} here"))
                taken.add(str(value))
            values[name] = value
    lists: dict[str, list[dict[str, Any]]] = {}
    for name, items in mapping.lists.items():
        for item in items:
            made = {k: r.value(row) for k, r in item.fields.items()}
            made = {k: v for k, v in made.items() if v is not None and _text(v) != ""}
            if item.require_url:
                url = _text(made.get(item.require_url))
                if not url:
                    continue  # nothing to link: no item, nothing lost
                if not _URL_RE.match(url):
                    shown = url if len(url) <= 60 else url[:57] + "…"
                    notes.append((name, f"{shown!r} is not one http(s) URL; that item is left out"))
                    continue
            if made:
                lists.setdefault(name, []).append(made)
    return Mapped(values, lists, tuple(notes))


def as_record(mapping: ImportMapping, made: Mapped) -> dict[str, Any]:
    """What a mapping made of one row as a nested record (dotted names as objects, the list items,
    the mapping's constants where no field gives them): for readers that make records without a
    file's own columns (the harvest's JRC reader), so that a shipped mapping is the only place its
    source's columns are read."""
    record: dict[str, Any] = {}
    for name, value in {**mapping.constants, **made.fields}.items():
        *parents, leaf = name.split(".")
        node = record
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    record.update(made.lists)
    return record
