"""The rule for refs, in one place (contract §4 and §4b).

A record of this catalogue's own has a ref of 3 to 64 lowercase letters, digits and `-`. A record
harvested from another observatory (issue 23) has `<source-slug>:<id>`: its source's slug (1 to 24
lowercase letters, digits and `-`, starting with a letter or digit), a colon, and the source's own
identifier brought to the same characters; 64 characters at most in all. The colon is the
namespace: no local ref can hold one, so a harvested record never collides with, nor overwrites, a
record of this catalogue's own, and two sources never share a namespace (their slugs are unique).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_REF = 64
LOCAL_REF_RE = re.compile(r"^[a-z0-9-]{3,64}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
HARVESTED_REF_RE = re.compile(r"^(?=.{3,64}$)[a-z0-9][a-z0-9-]{0,23}:[a-z0-9-]+$")
# Either form: what the catalogue accepts as a ref (and the open data's pattern for `ref`).
REF_RE = re.compile(r"^(?:[a-z0-9-]{3,64}|(?=.{3,64}$)[a-z0-9][a-z0-9-]{0,23}:[a-z0-9-]+)$")

_OTHER = re.compile(r"[^a-z0-9-]+")


def slug_of(text: str) -> str:
    """Lowercase ASCII letters, digits and single hyphens (accents folded)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"-+", "-", _OTHER.sub("-", folded)).strip("-")


def harvested_ref(slug: str, source_id: str) -> str:
    """The ref of the record `source_id` of source `slug`. The identifier is kept when it already
    is made of ref characters and fits; otherwise it is folded and a short hash of the original
    is added, so two identifiers that fold alike ("A:1", "a-1") never share a ref."""
    room = MAX_REF - len(slug) - 1
    if re.fullmatch(r"[a-z0-9-]+", source_id) and len(source_id) <= room:
        return f"{slug}:{source_id}"
    digest = hashlib.sha256(source_id.encode("utf-8")).hexdigest()[:10]
    folded = slug_of(source_id)[: room - len(digest) - 1].strip("-")
    return f"{slug}:{folded}-{digest}" if folded else f"{slug}:{digest}"


def source_slug(ref: str) -> str | None:
    """The slug of a harvested ref's source; None for a ref of this catalogue's own."""
    slug, colon, _ = ref.partition(":")
    return slug if colon else None
