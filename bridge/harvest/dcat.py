"""A DCAT-AP catalogue (JSON-LD, RDF/XML or Turtle), read with rdflib.

Two kinds of catalogue are harvested. One that describes a data package (a distribution whose
download URL is a `datapackage.json`, as DigiCanvis' own `catalog.jsonld` does) is followed to
that package, whose rows are the records. Otherwise each `dcat:Dataset` is one project: its
title, description, publisher (the local body), spatial coverage (the country), landing page,
licence and `modified`; what DCAT does not say of a fitxa (area, kind, phase) comes from the
source's defaults.
"""

from __future__ import annotations

from typing import Any

import pycountry
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from bridge.harvest.model import Defaults, Item, SourceDocument, SourceFailed, SourceKind

_LANGUAGES = ("en", "ca", "es", None)


def parse(data: bytes, fmt: str, base: str) -> Graph:
    graph = Graph()
    try:
        graph.parse(data=data, format=fmt, publicID=base)
    except Exception as exc:  # rdflib raises many kinds for a malformed document
        raise SourceFailed(
            f"not a valid {fmt} document: {type(exc).__name__}: {exc}"[:300]
        ) from None
    return graph


def package_url(graph: Graph) -> str | None:
    """The download URL of a distribution that is a Frictionless data package, if any."""
    for distribution in graph.subjects(RDF.type, DCAT.Distribution):
        for prop in (DCAT.downloadURL, DCAT.accessURL):
            for url in graph.objects(distribution, prop):
                if str(url).endswith("datapackage.json"):
                    return str(url)
    return None


def read(graph: Graph, defaults: Defaults, max_records: int) -> SourceDocument:
    datasets = sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=str)
    if not datasets:
        raise SourceFailed("a catalogue with no dcat:Dataset and no data package: nothing to read")
    if len(datasets) > max_records:
        raise SourceFailed(f"{len(datasets):,} datasets; at most {max_records:,} are harvested")
    catalogue = next(iter(graph.subjects(RDF.type, DCAT.Catalog)), None)
    catalogue_publisher = _agent_name(graph, catalogue) if catalogue is not None else None
    catalogue_licence = _licence(graph, catalogue) if catalogue is not None else None
    items: list[Item] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for dataset in datasets:
        source_id = _text(graph, dataset, DCTERMS.identifier) or str(dataset)
        if source_id in seen:
            raise SourceFailed(f"identifier {source_id} is used by two datasets")
        seen.add(source_id)
        title = _text(graph, dataset, DCTERMS.title)
        description = _text(graph, dataset, DCTERMS.description)
        body_name = _agent_name(graph, dataset) or catalogue_publisher
        if not title or not description or not body_name:
            missing = [n for n, v in (("title", title), ("description", description),
                                      ("publisher", body_name)) if not v]  # fmt: skip
            skipped.append(f"{source_id}: no {', '.join(missing)}")
            continue
        record: dict[str, Any] = {
            "title": title,
            "description": description,
            "local_body": {"name": body_name, "country": _country(graph, dataset) or ""},
        }
        landing = next(iter(graph.objects(dataset, DCAT.landingPage)), None)
        url = str(landing) if isinstance(landing, URIRef) else None
        if url is None and isinstance(dataset, URIRef) and str(dataset).startswith("http"):
            url = str(dataset)
        if url:
            record["documents"] = [{"kind": "other", "title": "DCAT landing page", "url": url}]
        items.append(
            Item(source_id, defaults.fill(record), _text(graph, dataset, DCTERMS.modified), url)
        )
    licence = next((found for d in datasets if (found := _licence(graph, d))), catalogue_licence)
    return SourceDocument(
        SourceKind.dcat, tuple(items), licence, catalogue_publisher, tuple(skipped)
    )


def _text(graph: Graph, subject: Any, prop: URIRef) -> str | None:
    values = [v for v in graph.objects(subject, prop) if isinstance(v, Literal)]
    for language in _LANGUAGES:
        for value in values:
            if value.language == language:
                return str(value).strip() or None
    return str(values[0]).strip() or None if values else None


def _agent_name(graph: Graph, subject: Any) -> str | None:
    for agent in graph.objects(subject, DCTERMS.publisher):
        if isinstance(agent, Literal):
            return str(agent)
        name = _text(graph, agent, FOAF.name)
        if name:
            return name
    return None


def _licence(graph: Graph, subject: Any) -> str | None:
    for licence in graph.objects(subject, DCTERMS.license):
        return str(licence)
    for distribution in graph.objects(subject, DCAT.distribution):
        for licence in graph.objects(distribution, DCTERMS.license):
            return str(licence)
    return None


def _country(graph: Graph, dataset: Any) -> str | None:
    """ISO alpha-2 from an EU authority country IRI (…/country/ESP) or a 2-letter literal."""
    for spatial in graph.objects(dataset, DCTERMS.spatial):
        code = str(spatial).rstrip("/").rsplit("/", 1)[-1]
        if len(code) == 2 and code.isalpha():
            return code.upper()
        if len(code) == 3 and code.isalpha():
            found = pycountry.countries.get(alpha_3=code.upper())
            if found:
                return str(found.alpha_2)
    return None
