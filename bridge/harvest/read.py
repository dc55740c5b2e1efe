"""One source read into records: fetched (conditionally), recognised, parsed. Nothing is written
here; a source that cannot be read raises SourceFailed with the reason."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from bridge.catalogue.sources import SourceError, decode
from bridge.harvest.fetch import (
    Fetched,
    FetchError,
    Validators,
    fetch,
    is_url,
    resource_location,
)
from bridge.harvest.model import Defaults, Limits, SourceDocument, SourceFailed


@dataclass(frozen=True)
class Unchanged:
    """The source is as it was at its last harvest (HTTP 304, or the very same bytes)."""

    why: str


@dataclass(frozen=True)
class Read:
    document: SourceDocument
    location: str  # where it was read (after same-host redirects)
    validators: Validators
    digest: str


def read_source(
    location: str,
    *,
    validators: Validators | None,
    known_digest: str | None,
    defaults: Defaults,
    limits: Limits,
) -> Read | Unchanged:
    fetched = _fetch(location, validators, limits)
    if fetched.body is None:
        return Unchanged("not modified since the last harvest (HTTP 304)")
    digest = hashlib.sha256(fetched.body).hexdigest()
    if known_digest == digest:
        return Unchanged("the same bytes as at the last harvest")
    document = _recognise(fetched, defaults, limits)
    if not document.items:
        why = f" ({len(document.skipped)} rows could not be records)" if document.skipped else ""
        raise SourceFailed(f"no record could be read{why}")
    return Read(document, fetched.location, fetched.validators, digest)


def _fetch(location: str, validators: Validators | None, limits: Limits) -> Fetched:
    try:
        return fetch(
            location, validators=validators, timeout=limits.timeout, max_bytes=limits.max_bytes
        )
    except FetchError as exc:
        raise SourceFailed(str(exc)) from None


def _recognise(fetched: Fetched, defaults: Defaults, limits: Limits) -> SourceDocument:
    # The readers (rdflib among them) are loaded only when a source has changed: an unchanged
    # source is answered without them.
    from bridge.harvest import jrc, package

    body = fetched.body or b""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    content_type = (fetched.content_type or "").split(";")[0].strip().lower()
    # An HTML page (a login page, a portal's view of the file) by its own first bytes; a server
    # that labels a real JSON-LD or RDF/XML file text/html is not believed over the file.
    looks_html = head.startswith((b"<!doctype html", b"<html"))
    if looks_html or (content_type == "text/html" and not head.startswith((b"{", b"[", b"<?xml"))):
        raise SourceFailed(
            "an HTML page, not a DCAT catalogue, a data package or a CSV "
            f"(content type {content_type or 'not given'}): is the address the file's?"
        )
    if head.startswith((b"{", b"[")):
        document = package.descriptor_of(body)
        if document is None:
            raise SourceFailed("not valid JSON (malformed or cut short)")
        if package.looks_like(document):
            return _package(fetched.location, document, limits)
        if isinstance(document, (dict, list)) and b'"@' in body[:65536]:
            return _dcat(fetched, body, "json-ld", defaults, limits)
        raise SourceFailed("JSON that is neither a data package nor a JSON-LD catalogue")
    if head.startswith(b"<"):
        return _dcat(fetched, body, "xml", defaults, limits)
    if (
        content_type == "text/turtle"
        or fetched.location.endswith(".ttl")
        or head.startswith((b"@prefix", b"prefix", b"@base"))
    ):
        return _dcat(fetched, body, "turtle", defaults, limits)
    try:
        text = decode(body, windows_1252=True).text
    except SourceError as exc:
        raise SourceFailed(exc.reason) from None
    if jrc.matches(jrc.header_of(text)):
        return jrc.read(text)
    raise SourceFailed(
        "not a DCAT catalogue, a data package or a CSV of a known layout (known: the JRC "
        "public-sector inventory's columns)"
    )


def _dcat(
    fetched: Fetched, body: bytes, fmt: str, defaults: Defaults, limits: Limits
) -> SourceDocument:
    # Counted in the bytes before rdflib builds a graph: a catalogue of a million datasets is
    # refused in milliseconds instead of parsed for minutes.
    from bridge.harvest import dcat, package

    mentions = body.count(b"Dataset")
    if mentions > limits.max_records:
        raise SourceFailed(
            f"about {mentions:,} datasets; at most {limits.max_records:,} are harvested"
        )
    graph = dcat.parse(body, fmt, fetched.location)
    followed = dcat.package_url(graph)
    if followed:
        if not is_url(fetched.location):
            # A local copy of a published directory: its package is the one beside it, not
            # the one at the address it was published under.
            beside = os.path.join(os.path.dirname(fetched.location), "datapackage.json")
            if os.path.isfile(beside):
                followed = beside
        try:
            inner = fetch(followed, timeout=limits.timeout, max_bytes=limits.max_bytes)
        except FetchError as exc:
            raise SourceFailed(f"the catalogue's data package ({followed}): {exc}") from None
        document = package.descriptor_of(inner.body or b"")
        if not package.looks_like(document):
            raise SourceFailed(f"the catalogue's data package ({followed}) is not one")
        return _package(inner.location, document, limits)
    return dcat.read(graph, defaults, limits.max_records)


def _package(location: str, descriptor: dict, limits: Limits) -> SourceDocument:
    from bridge.harvest import package

    def get(path: str) -> bytes:
        try:
            target = resource_location(location, path)
        except FetchError as exc:
            raise SourceFailed(str(exc)) from None
        found = _fetch(target, None, limits)
        return found.body or b""

    return package.read(descriptor, get)
