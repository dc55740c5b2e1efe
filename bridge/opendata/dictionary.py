"""The data dictionary of the open-data package: every column of every table, once.

Each column says where its value comes from (a path into the record dict that `projects list
--json` prints, or into one contact or document), its Frictionless type, a description in
Catalan and English and its constraints. The Frictionless schemas of datapackage.json and the
rows of the CSV files are both built from these tuples, so a column cannot be described one way
and written another. The rules themselves are the catalogue's (`catalogue.schema`, the enums).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bridge.catalogue.regions import REGION_RE
from bridge.catalogue.schema import COUNTRY_RE, REF_RE
from bridge.models.enums import Area, DocumentKind, FundingSource, Kind, Phase, Proximity, values


class FieldType(StrEnum):
    string = "string"
    integer = "integer"
    number = "number"
    datetime = "datetime"


@dataclass(frozen=True)
class Column:
    name: str
    type: FieldType
    ca: str
    en: str
    source: tuple[str, ...]  # path into the row's source dict
    required: bool = False
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    uri: bool = False
    unit: str | None = None  # of a quantity: "EUR", "EUR/year", "hours/year", "months"…

    def descriptor(self) -> dict[str, Any]:
        """The Frictionless field: `description` in English, `description_ca` in Catalan, and
        the unit of a quantity."""
        field: dict[str, Any] = {"name": self.name, "type": self.type.value}
        if self.uri:
            field["format"] = "uri"
        field["description"] = self.en
        field["description_ca"] = self.ca
        if self.unit:
            field["unit"] = self.unit
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.pattern:
            constraints["pattern"] = self.pattern
        if self.minimum is not None:
            constraints["minimum"] = _number(self.minimum)
        if self.maximum is not None:
            constraints["maximum"] = _number(self.maximum)
        if constraints:
            field["constraints"] = constraints
        return field


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _bare(pattern: re.Pattern[str]) -> str:
    """Frictionless matches the whole value: the anchors of the catalogue's regex are implied."""
    return pattern.pattern.removeprefix("^").removesuffix("$")


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    ca: str
    en: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "fields": [column.descriptor() for column in self.columns],
            "primaryKey": list(self.primary_key),
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {
                    "fields": list(fk.fields),
                    "reference": {"resource": fk.resource, "fields": list(fk.reference)},
                }
                for fk in self.foreign_keys
            ]
        return schema


TEXT, INT, NUM, TIME = FieldType.string, FieldType.integer, FieldType.number, FieldType.datetime
_REF = Column(
    "ref",
    TEXT,
    "Identificador estable de la fitxa al catàleg DigiCanvis.",
    "Stable identifier of the record in the DigiCanvis catalogue.",
    ("ref",),
    required=True,
    pattern=_bare(REF_RE),
)
_POSITION = Column(
    "position",
    INT,
    "Ordre dins la fitxa (0 és el primer).",
    "Order within the record (0 is the first).",
    ("position",),
    required=True,
    minimum=0,
)
_TO_PROJECT = (ForeignKey(("ref",), "projects", ("ref",)),)


def _place(key: str, type_: FieldType, ca: str, en: str, **rules: Any) -> Column:
    return Column(f"place_{key}", type_, ca, en, ("place", key), **rules)


# Issue 25: the structured evidence, flat (funding as one share column per source; KPIs in their
# own table), and what is derived from it (per inhabitant, months to implement, the basis).
def _evidence(
    name: str, type_: FieldType, ca: str, en: str, path: tuple[str, ...], **rules: Any
) -> Column:
    return Column(name, type_, ca, en, path, **rules)


EVIDENCE_COLUMNS: tuple[Column, ...] = (
    _evidence("savings_hours_per_year", NUM, "Hores de personal estalviades l'any.",
              "Staff hours saved a year.", ("savings_hours_per_year",), minimum=0,
              unit="hours/year"),
    _evidence("cost_one_off_eur", NUM, "Cost únic (inversió), en euros de l'any cost_year.",
              "One-off cost (investment), in euros of cost_year.", ("cost", "one_off_eur"),
              minimum=0, unit="EUR"),
    _evidence("cost_yearly_eur", NUM, "Cost anual (manteniment), en euros de l'any cost_year.",
              "Yearly (running) cost, in euros of cost_year.", ("cost", "yearly_eur"),
              minimum=0, unit="EUR/year"),
    _evidence("cost_year", INT, "Any dels euros dels costos (nominals, sense actualitzar).",
              "Year of the costs' euros (nominal, no price index applied).", ("cost", "year"),
              minimum=1900, maximum=2100, unit="year"),
    *(
        _evidence(f"funding_{source.value}_share", NUM,
                  f"Part del finançament de la font «{source.value}» (0 a 1).",
                  f"Share of the funding from source '{source.value}' (0 to 1).",
                  ("funding_share", source.value), minimum=0, maximum=1, unit="share (0-1)")
        for source in FundingSource
    ),
    *(
        _evidence(f"date_{key}", TEXT, f"Data ({key}): AAAA-MM-DD o AAAA-MM.",
                  f"Date {key}: YYYY-MM-DD or YYYY-MM.", ("dates", key),
                  pattern=r"\d{4}-\d{2}(-\d{2})?", unit="date")
        for key in ("started", "piloted", "implemented")
    ),
    _evidence("team_people", INT, "Persones que hi van treballar.", "People who worked on it.",
              ("team", "people"), minimum=0, unit="people"),
    _evidence("team_external", TEXT, "Hi va treballar un proveïdor extern: true o false.",
              "Whether an external provider worked on it: true or false.",
              ("team", "external"), enum=("true", "false")),
    *(
        _evidence(f"criteria_{key}", INT, f"Autoavaluació ({key}), de 1 a 5.",
                  f"Self-assessment ({key}), 1 to 5.", ("criteria", key), minimum=1, maximum=5,
                  unit="score (1-5)")
        for key in ("innovation", "results", "transferability", "sustainability",
                    "participation")
    ),
    _evidence("criteria_justification", TEXT, "Justificació de l'autoavaluació.",
              "Why those self-assessments.", ("criteria", "justification")),
    _evidence("cost_per_inhabitant_eur", NUM,
              "Derivat: cost únic per habitant (població a evidence_population).",
              "Derived: one-off cost per inhabitant (population in evidence_population).",
              ("evidence", "cost_per_inhabitant_eur"), minimum=0, unit="EUR/inhabitant"),
    _evidence("yearly_cost_per_inhabitant_eur", NUM, "Derivat: cost anual per habitant.",
              "Derived: yearly cost per inhabitant.",
              ("evidence", "yearly_cost_per_inhabitant_eur"), minimum=0,
              unit="EUR/inhabitant/year"),
    _evidence("savings_per_inhabitant_eur", NUM, "Derivat: estalvi anual per habitant.",
              "Derived: yearly savings per inhabitant.",
              ("evidence", "savings_per_inhabitant_eur"), minimum=0,
              unit="EUR/inhabitant/year"),
    _evidence("months_to_implement", NUM, "Derivat: mesos de l'inici a la implantació.",
              "Derived: months from start to implementation.",
              ("evidence", "months_to_implement"), unit="months"),
    _evidence("evidence_population", INT,
              "Població sobre la qual es calculen les xifres per habitant.",
              "Population the per-inhabitant figures are over.",
              ("evidence", "population"), minimum=0, unit="inhabitants"),
    _evidence("evidence_population_source", TEXT,
              "D'on surt: gazetteer (la població oficial del nomenclàtor) o record (la de la "
              "fitxa, quan l'ens no està localitzat).",
              "Where it comes from: gazetteer (the official population) or record (the "
              "record's own, when the council is not placed).",
              ("evidence", "population_source"), enum=("gazetteer", "record")),
    _evidence("evidence_caveats", TEXT,
              "Advertiments, separats per espais: unresolved (ens no localitzat), missing "
              "(sense població), year_unstated (el registre no diu l'any de la població).",
              "Caveats, space-separated: unresolved (council not placed), missing (no "
              "population), year_unstated (the registry does not state the population's year).",
              ("evidence", "caveats")),
)  # fmt: skip

REQUEST_COLUMNS: tuple[Column, ...] = (
    Column("requests", INT, "Sol·licituds de contacte, visita o col·laboració rebudes al fòrum.",
           "Contact, visit and collaboration requests received in the forum.",
           ("requests", "count"), minimum=0),
    Column("requests_answered", INT, "D'aquestes, les respostes (o acordades).",
           "Of those, the answered (or agreed) ones.", ("requests", "answered"), minimum=0),
    Column("requests_median_days", NUM, "Mediana de dies de la sol·licitud a la resposta.",
           "Median days from request to answer.", ("requests", "median_days"), minimum=0,
           unit="days"),
    Column("visits_agreed", INT, "Visites acordades.", "Visits agreed.",
           ("requests", "visits_agreed"), minimum=0),
    Column("collaborations_agreed", INT, "Col·laboracions acordades.",
           "Collaborations agreed.", ("requests", "collaborations_agreed"), minimum=0),
)  # fmt: skip

PROJECTS = Table(
    "projects",
    "Fitxes de projecte públiques (una fila per fitxa no arxivada).",
    "Public project records (one row per record that is not archived).",
    (
        _REF,
        Column(
            "title",
            TEXT,
            "1. Títol del projecte.",
            "1. Title of the project.",
            ("title",),
            required=True,
        ),
        Column(
            "local_body_name",
            TEXT,
            "2. Ens local que l'ha dut a terme, tal com l'escriu la fitxa.",
            "2. Local body that carried it out, as the record writes it.",
            ("local_body", "name"),
            required=True,
        ),
        Column(
            "local_body_country",
            TEXT,
            "País de l'ens local (ISO 3166-1 alfa-2).",
            "Country of the local body (ISO 3166-1 alpha-2).",
            ("local_body", "country"),
            required=True,
            pattern=_bare(COUNTRY_RE),
        ),
        Column(
            "local_body_region",
            TEXT,
            "Regió de l'ens local (ISO 3166-2, p. ex. ES-CT).",
            "Region of the local body (ISO 3166-2, e.g. ES-CT).",
            ("local_body", "region"),
            pattern=_bare(REGION_RE),
        ),
        Column(
            "local_body_kind",
            TEXT,
            "Tipus d'ens (ajuntament, consell comarcal, diputació...).",
            "Kind of body (council, county council, provincial council...).",
            ("local_body", "kind"),
        ),
        Column(
            "local_body_municipality_code",
            TEXT,
            "Codi oficial del municipi de l'ens, tal com el dona la fitxa.",
            "Official code of the body's municipality, as the record gives it.",
            ("local_body", "municipality_code"),
        ),
        Column(
            "local_body_population",
            INT,
            "Habitants, segons la fitxa.",
            "Inhabitants, as the record gives them.",
            ("local_body", "population"),
            minimum=0,
        ),
        Column(
            "local_body_latitude",
            NUM,
            "Latitud de l'ens segons la fitxa (graus WGS 84).",
            "Latitude of the body as the record gives it (WGS 84 degrees).",
            ("local_body", "latitude"),
            minimum=-90,
            maximum=90,
        ),
        Column(
            "local_body_longitude",
            NUM,
            "Longitud de l'ens segons la fitxa (graus WGS 84).",
            "Longitude of the body as the record gives it (WGS 84 degrees).",
            ("local_body", "longitude"),
            minimum=-180,
            maximum=180,
        ),
        Column(
            "description",
            TEXT,
            "3. Què és el projecte.",
            "3. What the project is.",
            ("description",),
            required=True,
        ),
        Column(
            "value",
            TEXT,
            "3. Valor per a la ciutadania i per a l'administració.",
            "3. Value for citizens and for the administration.",
            ("value",),
        ),
        Column("savings", TEXT, "3. Estalvis, en paraules.", "3. Savings, in words.", ("savings",)),
        Column(
            "savings_eur_per_year",
            NUM,
            "3. Estalvi estimat, en euros l'any.",
            "3. Estimated savings, in euros a year.",
            ("savings_eur_per_year",),
            minimum=0,
            unit="EUR/year",
        ),
        *EVIDENCE_COLUMNS,
        Column(
            "analysis_barriers",
            TEXT,
            "4. Barreres i dificultats.",
            "4. Barriers and difficulties.",
            ("analysis", "barriers"),
        ),
        Column(
            "analysis_benefits",
            TEXT,
            "4. Beneficis i oportunitats.",
            "4. Benefits and opportunities.",
            ("analysis", "benefits"),
        ),
        Column(
            "analysis_technology",
            TEXT,
            "4. Tecnologia, metodologia i eines.",
            "4. Technology, methodology and tools.",
            ("analysis", "technology"),
        ),
        Column(
            "area",
            TEXT,
            "Àmbit: atenció ciutadana, serveis i tràmits, serveis socials, participació i govern "
            "obert, planificació i gestió, transformació integral.",
            "Area: citizen care, services and formalities, social services, participation and "
            "open government, planning and management, comprehensive transformation.",
            ("area",),
            required=True,
            enum=tuple(values(Area)),
        ),
        Column(
            "kind",
            TEXT,
            "Tipus de canvi: servei, procés o organització.",
            "Kind of change: service, process or organisation.",
            ("kind",),
            required=True,
            enum=tuple(values(Kind)),
        ),
        Column(
            "phase",
            TEXT,
            "5. Fase: prototip, pilot o implantat.",
            "5. Phase: prototype, pilot or implemented.",
            ("phase",),
            required=True,
            enum=tuple(values(Phase)),
        ),
        Column(
            "proximity",
            TEXT,
            "Proximitat efectiva: km0 (un ens de la regió de l'observatori, Catalunya si no es "
            "diu altra cosa) o foreign (de fora); la fitxa la pot fixar.",
            "Effective proximity: km0 (a body in the observatory's home region, Catalonia "
            "unless configured otherwise) or foreign (elsewhere); a record may set it.",
            ("proximity",),
            required=True,
            enum=tuple(values(Proximity)),
        ),
        _place(
            "code",
            TEXT,
            "Codi oficial del municipi (o LAU) on és l'ens, segons el nomenclàtor.",
            "Official code of the municipality (or LAU) where the body is, from the gazetteer.",
        ),
        _place(
            "name", TEXT, "Nom oficial d'aquest municipi.", "Official name of that municipality."
        ),
        _place(
            "country",
            TEXT,
            "País del municipi (ISO 3166-1 alfa-2).",
            "Country of the municipality (ISO 3166-1 alpha-2).",
            pattern=_bare(COUNTRY_RE),
        ),
        _place(
            "population",
            INT,
            "Població oficial del municipi.",
            "Official population of the municipality.",
            minimum=0,
        ),
        _place(
            "latitude",
            NUM,
            "Latitud del municipi (graus WGS 84).",
            "Latitude of the municipality (WGS 84 degrees).",
            minimum=-90,
            maximum=90,
        ),
        _place(
            "longitude",
            NUM,
            "Longitud del municipi (graus WGS 84).",
            "Longitude of the municipality (WGS 84 degrees).",
            minimum=-180,
            maximum=180,
        ),
        _place(
            "area_km2",
            NUM,
            "Superfície del municipi, en km².",
            "Area of the municipality, in km².",
            minimum=0,
        ),
        _place(
            "comarca",
            TEXT,
            "Comarca del municipi, quan el registre la dona.",
            "County (comarca) of the municipality, where the registry gives it.",
        ),
        _place(
            "province",
            TEXT,
            "Província del municipi, quan el registre la dona.",
            "Province of the municipality, where the registry gives it.",
        ),
        _place(
            "nuts3",
            TEXT,
            "Codi NUTS 3 del municipi, quan el registre el dona.",
            "NUTS 3 code of the municipality, where the registry gives it.",
        ),
        Column(
            "topic_url",
            TEXT,
            "Adreça absoluta del tema de la fitxa al fòrum; buida si encara no s'hi ha publicat o "
            "si l'adreça del fòrum (DISCOURSE_URL) no estava configurada en escriure el paquet.",
            "Absolute address of the record's topic in the forum; empty until it is published "
            "there, or when the forum's address (DISCOURSE_URL) was not configured when the "
            "package was written.",
            ("topic_url",),
            uri=True,
        ),
        Column(
            "forum_replies",
            INT,
            "Respostes al tema del fòrum.",
            "Replies to the forum topic.",
            ("activity", "replies"),
            required=True,
            minimum=0,
        ),
        Column(
            "forum_views",
            INT,
            "Visites del tema del fòrum.",
            "Views of the forum topic.",
            ("activity", "views"),
            required=True,
            minimum=0,
        ),
        Column(
            "forum_likes",
            INT,
            "'M'agrada' del tema del fòrum.",
            "Likes of the forum topic.",
            ("activity", "likes"),
            required=True,
            minimum=0,
        ),
        Column(
            "forum_participants",
            INT,
            "Persones que han escrit al tema del fòrum.",
            "People who have posted in the forum topic.",
            ("activity", "participants"),
            required=True,
            minimum=0,
        ),
        Column(
            "forum_last_posted_at",
            TIME,
            "Data i hora (UTC) de l'últim missatge del tema.",
            "Date and time (UTC) of the topic's latest post.",
            ("activity", "last_posted_at"),
        ),
        Column(
            "modified",
            TIME,
            "Data i hora (UTC) de l'últim canvi de la fitxa al catàleg.",
            "Date and time (UTC) of the record's latest change in the catalogue.",
            ("modified",),
            required=True,
        ),
        # Issue 22 point 5: who took up whose project (also as rows: `inspirations`).
        Column(
            "inspired_by",
            TEXT,
            "Referències (ref) de les fitxes publicades en què es basa aquest projecte, separades "
            "per espais; buida si no se n'ha declarat cap.",
            "Refs of the published records this project built on, separated by spaces; empty "
            "when none is declared.",
            ("inspired_by",),
        ),
        # Issue 23: a harvested record says where it came from (empty for this catalogue's own).
        Column(
            "source",
            TEXT,
            "Per a una fitxa recollida d'un altre observatori, l'adreça de la font.",
            "For a record harvested from another observatory, the address of its source.",
            ("provenance", "source"),
        ),
        Column(
            "source_id",
            TEXT,
            "Identificador de la fitxa a la seva font.",
            "Identifier of the record in its source.",
            ("provenance", "source_id"),
        ),
        Column(
            "source_licence",
            TEXT,
            "Llicència de la font.",
            "Licence of the source.",
            ("provenance", "licence"),
        ),
        Column(
            "source_url",
            TEXT,
            "Pàgina de la fitxa original.",
            "Page of the original record.",
            ("provenance", "url"),
            uri=True,
        ),
        # Issue 22: how contact, visit and collaboration requests to it went. Aggregates only:
        # never who asked.
        *REQUEST_COLUMNS,
    ),
    primary_key=("ref",),
)

DOCUMENTS = Table(
    "documents",
    "6. Documentació de cada fitxa: articles, demostracions, vídeos, presentacions.",
    "6. Documentation of each record: articles, demos, videos, presentations.",
    (
        _REF,
        _POSITION,
        Column(
            "kind",
            TEXT,
            "Tipus: article, demo, video, presentation o other.",
            "Kind: article, demo, video, presentation or other.",
            ("kind",),
            required=True,
            enum=tuple(values(DocumentKind)),
        ),
        Column("title", TEXT, "Títol del document.", "Title of the document.", ("title",)),
        Column(
            "url",
            TEXT,
            "Adreça del document (http o https).",
            "Address of the document (http or https).",
            ("url",),
            required=True,
            uri=True,
        ),
    ),
    primary_key=("ref", "position"),
    foreign_keys=_TO_PROJECT,
)

CONTACTS = Table(
    "contacts",
    "Persones de contacte públiques de cada fitxa: nom, càrrec i perfil al fòrum. Mai no hi "
    "ha cap adreça electrònica ni cap telèfon: qui vulgui contactar ho fa pel fòrum.",
    "Public contacts of each record: name, role and forum profile. There is never an email "
    "address or a phone number: whoever wants to get in touch does so through the forum.",
    (
        _REF,
        _POSITION,
        Column("name", TEXT, "Nom de la persona.", "Name of the person.", ("name",)),
        Column("role", TEXT, "Càrrec o paper en el projecte.", "Role in the project.", ("role",)),
        Column(
            "forum_username",
            TEXT,
            "Nom d'usuari al fòrum.",
            "Username in the forum.",
            ("forum_username",),
        ),
        Column(
            "forum_profile",
            TEXT,
            "Adreça absoluta del perfil al fòrum; buida si l'adreça del fòrum (DISCOURSE_URL) no "
            "estava configurada en escriure el paquet.",
            "Absolute address of the profile in the forum; empty when the forum's address "
            "(DISCOURSE_URL) was not configured when the package was written.",
            ("forum_profile",),
            uri=True,
        ),
    ),
    primary_key=("ref", "position"),
    foreign_keys=_TO_PROJECT,
)

KPIS = Table(
    "kpis",
    "Resultats de cada fitxa com a indicadors (issue 25): nom, unitat, valor abans i després, "
    "període i font.",
    "Results of each record as indicators (issue 25): name, unit, value before and after, "
    "period and source.",
    (
        _REF,
        _POSITION,
        Column("name", TEXT, "Nom de l'indicador.", "Name of the indicator.", ("name",),
               required=True),
        Column("unit", TEXT, "Unitat de before i after.", "Unit of before and after.", ("unit",)),
        Column("before", NUM, "Valor abans del projecte, en la unitat de la columna unit.",
               "Value before the project, in the unit of column unit.", ("before",)),
        Column("after", NUM, "Valor després, en la unitat de la columna unit.",
               "Value after, in the unit of column unit.", ("after",)),
        Column("period", TEXT, "Període dels valors.", "Period of the values.", ("period",)),
        Column("source", TEXT, "Font dels valors (text o adreça).",
               "Source of the values (words or an address).", ("source",)),
    ),
    primary_key=("ref", "position"),
    foreign_keys=_TO_PROJECT,
)  # fmt: skip

# Issue 22 point 5: the relation between records, one row a link. The catalogue's DCAT-AP
# description is one dataset for the whole catalogue (records are rows, not datasets), so a
# `dct:relation` between records has nothing to hang on there: the relation is this table, with
# both ends foreign keys to `projects`, as Frictionless relates rows.
INSPIRATIONS = Table(
    "inspirations",
    "Qui ha reprès el projecte de qui: cada fila diu que una fitxa es basa en una altra.",
    "Who took up whose project: each row says that a record built on another.",
    (
        _REF,
        Column(
            "inspired_by",
            TEXT,
            "Referència (ref) de la fitxa en què es basa.",
            "Ref of the record it built on.",
            ("inspired_by",),
            required=True,
            pattern=_bare(REF_RE),
        ),
    ),
    primary_key=("ref", "inspired_by"),
    foreign_keys=(*_TO_PROJECT, ForeignKey(("inspired_by",), "projects", ("ref",))),
)

TABLES: tuple[Table, ...] = (PROJECTS, DOCUMENTS, CONTACTS, KPIS, INSPIRATIONS)
