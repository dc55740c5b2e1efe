"""Reading the observatory's page drift through a `bridge.dbapi.Rows`: plain SQL, no
SQLAlchemy, so that `status` reports it without loading the ORM (issue 15). The document's owner,
`bridge.observatory.store`, writes it (`page_drift` in `discovery_cache`) and reports it through
this same SQL. It lives here, beside `status`'s other driver-level reads, because importing
anything of the `bridge.discovery` package loads the ranking (numpy, scikit-learn)."""

from __future__ import annotations

from typing import Any

from bridge.dbapi import Rows, as_json

PAGE_DRIFT_KEY = "page_drift"  # bridge.observatory.store writes the document under this key

_SQL = "SELECT data FROM discovery_cache WHERE key = ?"


def page_drift_report(source: Rows) -> list[dict[str, Any]]:
    """Each page topic a moderator changed, with what (repaired by the next sync under
    catalogue-wins, left under report-only), by page key."""
    found = source.all(_SQL, (PAGE_DRIFT_KEY,))
    drift = (as_json(found[0][0]) if found else None) or {}
    return [{"page": key, "what": list(drift[key].get("what") or ())} for key in sorted(drift)]
