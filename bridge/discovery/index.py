"""The catalogue's text index, persisted: built with scikit-learn when the catalogue's content
changed, read back otherwise, so that `similar` and `find --text` score with numpy alone (importing
scikit-learn costs more than the whole answer).

The index is stored in `discovery_cache` (key `similar-index`) with the fingerprint of what it was
built from: every record's (ref, content hash, archived) and the index's FORMAT. The CLI and the
sync (the forum's "similar projects" sections) use the same index, so they choose alike.
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from bridge.discovery import index_store
from bridge.discovery.text import TextIndex

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from bridge.dbapi import Rows

KEY = "similar-index"
# Bumped whenever what the index holds or how it is built changes (the analyzer, the document,
# the weighing): an index of another format is stale whatever the catalogue.
FORMAT = "text-index-4"  # 3: concept tokens (bridge.discovery.concepts); 4: updates
_ARRAYS = ("idf", "data", "indices", "indptr")
# Stored smaller: weights as float32 (build_index rounds them so), columns as int32; idf as is.
_STORED_AS = {"data": np.float32, "indices": np.int32}


def fingerprint(rows: Iterable[tuple[str, str | None, bool]]) -> str:
    """Fingerprint of what the index depends on (the catalogue's one fingerprint,
    bridge.discovery.index_store.fingerprint, with the index's FORMAT)."""
    return index_store.fingerprint(rows, FORMAT)


# Changes a persisted index takes as updates (rows replaced, bridge.discovery.text.update_index)
# before it is built anew, so that the idf follows the catalogue; a change bringing a word the
# vocabulary lacks is built anew at once.
def update_budget(records: int) -> int:
    return max(20, records // 20)


def dump(index: TextIndex) -> dict[str, Any]:
    """The index as a JSON value: refs and terms as lists, the arrays as one base64 .npz."""
    buffer = io.BytesIO()
    arrays = {name: getattr(index, name) for name in _ARRAYS}
    stored = {k: v.astype(_STORED_AS.get(k, v.dtype)) for k, v in arrays.items()}
    np.savez(buffer, allow_pickle=False, **stored)
    return {
        "format": FORMAT,
        "refs": list(index.refs),
        "terms": list(index.terms),
        "arrays": base64.b64encode(buffer.getvalue()).decode("ascii"),
        "build": index.build,
    }


def load(data: Mapping[str, Any]) -> TextIndex | None:
    """An index from `dump`'s value; None when it is of another format."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        return None
    with np.load(io.BytesIO(base64.b64decode(data["arrays"])), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in _ARRAYS}
    # Held as float64 and int64 for the arithmetic, as build_index holds them.
    arrays["data"] = arrays["data"].astype(np.float64)
    arrays["indices"] = arrays["indices"].astype(np.int64)
    return TextIndex(
        refs=tuple(data["refs"]),
        terms=tuple(data["terms"]),
        build=str(data.get("build") or ""),
        **arrays,
    )


# The rows the last `catalogue_key` was computed from, by key: `catalogue_index` compares them
# with those its stored index was built from (read before the records, as the key is).
_ROWS_OF: dict[str, dict[str, list[Any]]] = {}


def catalogue_key(source: Rows | Engine | Connection) -> str:
    """The catalogue's fingerprint now. Read it *before* the records: a change in between then
    stores an index under the older key, which the next call finds stale (never the reverse)."""
    rows = index_store.catalogue_rows(source)
    key = fingerprint(rows)
    _ROWS_OF.clear()
    _ROWS_OF[key] = {ref: [content or "", bool(archived)] for ref, content, archived in rows}
    return key


def changed_refs(before: Mapping[str, Any], now: Mapping[str, Any]) -> set[str]:
    """Refs added, removed, or whose (content hash, archived) differ."""
    return {ref for ref in set(before) | set(now) if before.get(ref) != now.get(ref)}


def catalogue_index(
    source: Rows | Engine | Connection,
    key: str,
    records: Sequence[Mapping[str, Any]],
    *,
    notify: Callable[[str], None] | None = None,
    save: Callable[[], Engine] | None = None,
) -> TextIndex:
    """The text index of the catalogue `records` were read from (every record, archived ones
    included, as `projects list --json` gives them; `key`: `catalogue_key` read before them):
    read back when the catalogue did not change since it was built, else built (scikit-learn)
    and stored through the engine `save` gives (not stored when None). `notify` is told when a
    build starts and how long it took (the CLI says so on stderr)."""
    from bridge.discovery.rank import index_documents

    stored = index_store.load(source, KEY)
    documents = index_documents(records)
    old = load(stored[1]) if stored is not None else None
    if (
        stored is not None
        and stored[0] == key
        and old is not None
        and set(old.refs) == set(documents)
    ):
        return old
    hashes = _ROWS_OF.get(key)
    if hashes is None:  # a key not made by this process's catalogue_key: read the rows again
        rows = index_store.catalogue_rows(source)
        hashes = {ref: [content or "", bool(archived)] for ref, content, archived in rows}
    updated = _updated(old, stored[1] if stored is not None else None, hashes, documents)
    if updated is not None:
        index, count = updated
    else:
        from bridge.discovery.text import build_index

        started = time.monotonic()
        if notify is not None:
            notify(
                f"building the similarity index of {len(documents):,} records "
                "(the catalogue changed)…"
            )
        index, count = build_index(documents), 0
        if notify is not None:
            notify(f"similarity index built and stored in {time.monotonic() - started:.1f} s")
    if save is not None:  # the engine to store it with, made only now (a read needs none)
        index_store.save(save(), KEY, key, dump(index) | {"hashes": hashes, "updates": count})
    return index


def _updated(
    old: TextIndex | None,
    stored: Mapping[str, Any] | None,
    hashes: Mapping[str, Any],
    documents: Mapping[str, str],
) -> tuple[TextIndex, int] | None:
    """The stored index updated with the records that changed since it was stored, and how many
    updates it has taken since its build; None when it must be built anew (none stored, of
    another format, or more changes since its build than `update_budget`)."""
    if old is None or stored is None or not old.build or "hashes" not in stored:
        return None
    from bridge.discovery.text import analyze, update_index

    changed = changed_refs(stored["hashes"], hashes)
    count = int(stored.get("updates") or 0) + len(changed)
    if count > update_budget(len(hashes)):
        return None
    known = old.vocabulary
    for ref in changed:
        text = documents.get(ref)
        if text is not None and any(term not in known for term in analyze(text)):
            # A word no record had: only a build makes it findable (scikit-learn's vectorizer
            # cannot add a term), and every record must be found by each of its words.
            return None
    index = update_index(old, {ref: documents.get(ref) for ref in changed})
    if set(index.refs) != set(documents):  # the rows and the records disagree: build anew
        return None
    return index, count
