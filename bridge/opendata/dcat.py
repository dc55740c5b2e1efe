"""catalog.jsonld: a DCAT-AP description of the open data, for portals that harvest (Spain's and
the EU's data portals harvest DCAT-AP).

It carries what DCAT-AP 3.0 makes mandatory (its SHACL shapes, `sh:minCount 1`): the catalogue's
title, description and publisher; the dataset's title and description; each distribution's
access URL; the agent's name. It adds what the issue and the profile recommend: homepage,
keywords, the EU data theme, spatial coverage, `modified`, contact point, licence, languages, and
per file its download URL, media type, format and size. Controlled values are the EU Publications
Office's authority tables (data themes, countries, languages, file types, licences).

The output conforms to DCAT-AP 3.0.0's official SHACL shapes (releases/3.0.0/shacl/
dcat-ap-SHACL.ttl of the SEMIC DCAT-AP repository, kept in tests/data/): tests/
test_opendata_valid.py runs pyshacl over it, without inference, as a portal's validator does.
The tests also check the mandatory properties with rdflib.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import pycountry

from bridge.opendata.package import CATALOG, DATAPACKAGE, Publisher
from bridge.opendata.tables import iso_utc

EU = "http://publications.europa.eu/resource/authority"
IANA = "http://www.iana.org/assignments/media-types"
THEMES = f"{EU}/data-theme"
LANGUAGES = {"ca": "CAT", "es": "SPA", "en": "ENG"}
# EU and ISO disagree on two alpha-2 codes that the catalogue's sources use (JRC writes EL, UK).
_EU_ALPHA2 = {"EL": "GRC", "UK": "GBR"}

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "prov": "http://www.w3.org/ns/prov#",
}


@dataclass(frozen=True)
class Distribution:
    filename: str
    title: str
    description: str
    media_type: str
    file_type: str  # code in the EU file-type table
    size: int
    conforms_to: str | None = None


@dataclass(frozen=True)
class Coverage:
    """Where the public records' local bodies are: countries (ISO alpha-3) and a bounding box."""

    countries: tuple[str, ...]
    bbox: tuple[float, float, float, float] | None  # min lon, min lat, max lon, max lat


@cache  # a handful of countries, 10,000 records
def _alpha3(alpha2: str) -> str | None:
    if alpha2 in _EU_ALPHA2:
        return _EU_ALPHA2[alpha2]
    country = pycountry.countries.get(alpha_2=alpha2)
    return country.alpha_3 if country else None


def coverage(records: Iterable[Mapping[str, Any]]) -> Coverage:
    countries: set[str] = set()
    lats: list[float] = []
    lons: list[float] = []
    for record in records:
        body = record.get("local_body") or {}
        code = _alpha3(str(body.get("country", "")))
        if code:
            countries.add(code)
        place = record.get("place") or {}
        # The gazetteer's position when the record was placed, else the record's own.
        lat = place.get("latitude", body.get("latitude"))
        lon = place.get("longitude", body.get("longitude"))
        if lat is not None and lon is not None:
            lats.append(float(lat))
            lons.append(float(lon))
    bbox = (min(lons), min(lats), max(lons), max(lats)) if lats else None
    return Coverage(tuple(sorted(countries)), bbox)


def _texts(texts: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"@value": texts[lang], "@language": lang} for lang in LANGUAGES if lang in texts]


def _id(uri: str) -> dict[str, str]:
    return {"@id": uri}


def _wkt(bbox: tuple[float, float, float, float]) -> str:
    w, s, e, n = (repr(float(v)) for v in bbox)
    return f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"


def catalog(
    publisher: Publisher,
    distributions: Sequence[Distribution],
    where: Coverage,
    modified: datetime | None,
    sources: Sequence[str] = (),
) -> dict[str, Any]:
    """`sources`: where harvested records that are re-published came from (issue 23), said as
    the dataset's `dct:source` and `prov:wasDerivedFrom`."""
    cfg = publisher.config
    base = publisher.url(CATALOG)
    catalogue_id, dataset_id = f"{base}#catalogue", f"{base}#dataset"
    publisher_id = cfg.publisher_url or f"{base}#publisher"
    # DCAT-AP's range shapes (releases/3.0.0/html/shacl/range.ttl) want each referenced resource
    # typed; the file says so itself rather than relying on the authority tables being loaded.
    classes: dict[str, str] = {}

    def ref(uri: str, cls: str) -> dict[str, str]:
        classes.setdefault(uri, cls)
        return _id(uri)

    licence = ref(cfg.licence.dcat_uri or cfg.licence.url, "dct:LicenseDocument")
    languages = [
        ref(f"{EU}/language/{code}", "dct:LinguisticSystem") for code in LANGUAGES.values()
    ]
    homepage = ref(publisher.homepage, "foaf:Document")
    stamp = {"@value": iso_utc(modified), "@type": "xsd:dateTime"} if modified else None

    spatial: list[dict[str, Any]] = [
        ref(f"{EU}/country/{code}", "dct:Location") for code in where.countries
    ]
    spatial += [ref(uri, "dct:Location") for uri in cfg.spatial]
    if where.bbox:
        spatial.append(
            {
                "@id": f"{base}#extent",
                "@type": "dct:Location",
                "dcat:bbox": {"@value": _wkt(where.bbox), "@type": "gsp:wktLiteral"},
            }
        )
    contact: dict[str, Any] = {
        "@id": f"{base}#contact",
        "@type": ["vcard:Kind", "vcard:Organization"],
        "vcard:fn": cfg.contact_name,
        "vcard:hasURL": _id(cfg.contact_url or publisher.homepage),
    }
    if cfg.contact_email:
        contact["vcard:hasEmail"] = _id(f"mailto:{cfg.contact_email}")

    catalogue: dict[str, Any] = {
        "@id": catalogue_id,
        "@type": "dcat:Catalog",
        "dct:title": _texts(cfg.title),
        "dct:description": _texts(cfg.description),
        "dct:publisher": _id(publisher_id),
        "foaf:homepage": homepage,
        "dct:language": languages,
        "dct:license": licence,
        "dcat:themeTaxonomy": _id(THEMES),
        "dcat:dataset": _id(dataset_id),
    }
    dataset: dict[str, Any] = {
        "@id": dataset_id,
        "@type": "dcat:Dataset",
        "dct:identifier": dataset_id,
        "dct:title": _texts(cfg.title),
        "dct:description": _texts(cfg.description),
        "dcat:keyword": [
            {"@value": word, "@language": lang}
            for lang in LANGUAGES
            for word in cfg.keywords.get(lang, [])
        ],
        "dcat:theme": [_id(f"{THEMES}/{theme.value}") for theme in cfg.themes],
        "dct:spatial": spatial,
        "dct:publisher": _id(publisher_id),
        "dcat:contactPoint": contact,
        "dct:license": licence,
        "dct:language": languages,
        "dcat:landingPage": homepage,
        "dcat:distribution": [_id(f"{base}#{d.filename}") for d in distributions],
    }
    if sources:
        dataset["dct:source"] = [_id(uri) for uri in sources]
        dataset["prov:wasDerivedFrom"] = [_id(uri) for uri in sources]
    if stamp:
        catalogue["dct:modified"] = stamp
        dataset["dct:modified"] = stamp
    graph: list[dict[str, Any]] = [
        catalogue,
        {"@id": publisher_id, "@type": "foaf:Agent", "foaf:name": cfg.publisher},
        dataset,
    ]
    for d in distributions:
        # The shapes want access and download URLs of class rdfs:Resource (dcat-ap-SHACL.ttl,
        # DistributionShape), checked without inference: typed here like every reference.
        url = ref(publisher.url(d.filename), "rdfs:Resource")
        node: dict[str, Any] = {
            "@id": f"{base}#{d.filename}",
            "@type": "dcat:Distribution",
            "dct:title": d.title,
            "dct:description": d.description,
            "dcat:accessURL": url,
            "dcat:downloadURL": url,
            "dcat:mediaType": ref(f"{IANA}/{d.media_type}", "dct:MediaType"),
            "dct:format": ref(f"{EU}/file-type/{d.file_type}", "dct:MediaTypeOrExtent"),
            "dct:license": licence,
            # DCAT-AP 3.0.0 ranges byteSize over xsd:nonNegativeInteger (2.x said xsd:decimal).
            "dcat:byteSize": {"@value": str(d.size), "@type": "xsd:nonNegativeInteger"},
        }
        if d.conforms_to:
            node["dct:conformsTo"] = ref(d.conforms_to, "dct:Standard")
        graph.append(node)
    # The themes as concepts of their scheme, with the names DCAT-AP requires of a concept.
    graph.append(
        {
            "@id": THEMES,
            "@type": "skos:ConceptScheme",
            "dct:title": {"@value": "Data theme", "@language": "en"},
        }
    )
    for theme in cfg.themes:
        graph.append(
            {
                "@id": f"{THEMES}/{theme.value}",
                "@type": "skos:Concept",
                "skos:prefLabel": {"@value": theme.label, "@language": "en"},
                "skos:inScheme": _id(THEMES),
            }
        )
    graph += [{"@id": uri, "@type": cls} for uri, cls in sorted(classes.items())]
    return {"@context": CONTEXT, "@graph": graph}


__all__ = ["DATAPACKAGE", "Coverage", "Distribution", "catalog", "coverage"]
