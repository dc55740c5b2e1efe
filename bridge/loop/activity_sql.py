"""The activity table's SQL that another table's read joins (issue 19: each table's SQL in its
owner's package; `bridge.loop.store` owns the table). Plain text and no import."""

# The listing and the observatory's pages read each record's activity in their one query, as `a`.
JOIN_ON_PROJECT = "LEFT JOIN activity a ON a.project_id = p.id"
