"""The sync state's SQL that another table's read joins (issue 19: each table's SQL in its
owner's package; `bridge.sync.state` owns the table). Plain text and no import, so the
catalogue's listing joins it without loading the sync engine."""

# `projects list` reads each record's state in its one query (issue 15), as `s`.
JOIN_ON_PROJECT = "LEFT JOIN sync_state s ON s.project_id = p.id"
