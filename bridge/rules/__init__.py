"""Pure rules, the bottom layer (issue 19): no database, no forum, no settings. `discourse.py`
(Discourse's own rules, each with its source), `status.py` (the one answer to "pending":
`effective_status`). Everything else may import them; they import nothing of the bridge but
each other and `bridge.models.enums`."""
