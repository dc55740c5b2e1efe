"""The activity table's SQL that another table's read joins (issue 19: each table's SQL in its
owner's package; `bridge.loop.store` owns the table). Plain text and no import."""

# The listing reads each record's activity in its one query, as `a`.
JOIN_ON_PROJECT = "LEFT JOIN activity a ON a.project_id = p.id"

# Each record's replies by ref (records without activity absent): the observatory's pages' inputs.
REPLIES_SQL = "SELECT p.ref, a.replies FROM project p JOIN activity a ON a.project_id = p.id"
