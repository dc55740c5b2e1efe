"""The `[opendata]` section of the TOML file: who publishes the open data, where, under what
licence.

Everything here is about the description of the download (Frictionless and DCAT-AP metadata); the
data itself comes from the catalogue. Defaults let `digicanvis opendata DIR` work on embedded
defaults; a real publisher sets at least `base_url`, `publisher` and a contact.
"""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

_URL = r"^https?://[^/\s]+\S*$"
# The built-in base URL: a placeholder under `.example` (RFC 2606 reserves it, so it is served
# nowhere). A package published with it has download URLs that lead nowhere (issue 28).
EXAMPLE_BASE_URL = "https://observatori.digicanvis.example/opendata"


class DataTheme(StrEnum):
    """The EU data themes (http://publications.europa.eu/resource/authority/data-theme), which
    DCAT-AP uses for `dcat:theme`; the value is the code, `label` its English name."""

    AGRI = "AGRI"
    ECON = "ECON"
    EDUC = "EDUC"
    ENER = "ENER"
    ENVI = "ENVI"
    GOVE = "GOVE"
    HEAL = "HEAL"
    INTR = "INTR"
    JUST = "JUST"
    REGI = "REGI"
    SOCI = "SOCI"
    TECH = "TECH"
    TRAN = "TRAN"

    @property
    def label(self) -> str:
        return _THEME_LABELS[self]


_THEME_LABELS = {
    DataTheme.AGRI: "Agriculture, fisheries, forestry and food",
    DataTheme.ECON: "Economy and finance",
    DataTheme.EDUC: "Education, culture and sport",
    DataTheme.ENER: "Energy",
    DataTheme.ENVI: "Environment",
    DataTheme.GOVE: "Government and public sector",
    DataTheme.HEAL: "Health",
    DataTheme.INTR: "International issues",
    DataTheme.JUST: "Justice, legal system and public safety",
    DataTheme.REGI: "Regions and cities",
    DataTheme.SOCI: "Population and society",
    DataTheme.TECH: "Science and technology",
    DataTheme.TRAN: "Transport",
}


class Licence(BaseModel):
    """One licence: `id` and `url` go in datapackage.json; `dcat_uri` (the EU licence authority,
    which DCAT-AP recommends) in catalog.jsonld, `url` when it is not given."""

    id: str = "CC-BY-4.0"
    title: str = "Creative Commons Attribution 4.0 International"
    url: str = Field(default="https://creativecommons.org/licenses/by/4.0/", pattern=_URL)
    dcat_uri: str | None = Field(
        default="http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
        pattern=_URL,
    )


class Source(BaseModel):
    title: str
    url: str | None = Field(default=None, pattern=_URL)


def _default_sources() -> list[Source]:
    return [
        Source(title="Catàleg DigiCanvis: fitxes de projecte redactades pels ens locals"),
        Source(title="Fòrum DigiCanvis (Discourse): xifres d'activitat dels temes"),
        Source(
            title="Generalitat de Catalunya / Idescat: Municipis Catalunya Geo",
            url="https://analisi.transparenciacatalunya.cat/Urbanisme-infraestructures/Municipis-Catalunya-Geo/9aju-tpwc",
        ),
        Source(
            title="IGN / CNIG: Nomenclátor Geográfico de Municipios y Entidades de Población",
            url="https://centrodedescargas.cnig.es/",
        ),
        Source(
            title="Eurostat GISCO: Local Administrative Units (LAU)",
            url="https://ec.europa.eu/eurostat/web/gisco/geodata/statistical-units/local-administrative-units",
        ),
    ]


def _texts(ca: str, es: str, en: str) -> dict[str, str]:
    return {"ca": ca, "es": es, "en": en}


class OpenDataConfig(BaseModel):
    # Where the files of DIR are served; every DCAT distribution URL is under it.
    base_url: str = Field(default=EXAMPLE_BASE_URL, pattern=_URL)
    name: str = Field(default="digicanvis-catalogue", pattern=r"^[a-z0-9._-]+$")
    publisher: str = "DigiCanvis"
    publisher_url: str | None = Field(default=None, pattern=_URL)
    # The observatory's page; DISCOURSE_URL, then base_url, when not given.
    homepage: str | None = Field(default=None, pattern=_URL)
    contact_name: str = "DigiCanvis"
    contact_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    contact_url: str | None = Field(default=None, pattern=_URL)
    licence: Licence = Licence()
    # Government and public sector; regions and cities; science and technology.
    themes: list[DataTheme] = Field(
        default_factory=lambda: [DataTheme.GOVE, DataTheme.REGI, DataTheme.TECH]
    )
    # Places the catalogue is about besides the countries of its records, as URIs.
    spatial: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=_default_sources)
    title: dict[str, str] = Field(
        default_factory=lambda: _texts(
            "Observatori DigiCanvis: projectes de transformació digital dels ens locals",
            "Observatorio DigiCanvis: proyectos de transformación digital de los entes locales",
            "DigiCanvis observatory: digital-transformation projects of local governments",
        )
    )
    description: dict[str, str] = Field(
        default_factory=lambda: _texts(
            "Catàleg públic de projectes de transformació digital d'ajuntaments i altres ens "
            "locals, de Catalunya (Km0) i de fora: fitxa de cada projecte, ens local i municipi, "
            "documentació, persones de contacte públiques i activitat del fòrum.",
            "Catálogo público de proyectos de transformación digital de ayuntamientos y otros "
            "entes locales, de Cataluña (Km0) y de fuera: ficha de cada proyecto, ente local y "
            "municipio, documentación, personas de contacto públicas y actividad del foro.",
            "Public catalogue of digital-transformation projects of councils and other local "
            "bodies, in Catalonia (Km0) and elsewhere: each project's record, local body and "
            "municipality, documents, public contacts and forum activity.",
        )
    )
    keywords: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "ca": ["transformació digital", "administració local", "ajuntaments", "innovació"],
            "es": ["transformación digital", "administración local", "ayuntamientos", "innovación"],
            "en": ["digital transformation", "local government", "municipalities", "innovation"],
        }
    )

    @field_validator("spatial")
    @classmethod
    def _uris(cls, value: list[str]) -> list[str]:
        for uri in value:
            if not re.match(_URL, uri):
                raise ValueError(f"{uri!r} is not an http(s) URI")
        return value

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def base_url_is_an_example(self) -> bool:
        """Whether base_url is a placeholder: on a `.example` host, the built-in one included."""
        host = urlsplit(self.base_url).hostname or ""
        return host == "example" or host.endswith(".example")
