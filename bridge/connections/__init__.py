"""Connection requests (issue 22): contact, visit and collaboration requests made in the
forum, the project's contacts invited to them, followed to an answer.

`rules.py` (pure: kind, project, targets, status, figures), `read_store.py` (driver-only reads
for `requests list` and `status`), `store.py` (all SQL of the three tables), `forum_writes.py`
(the invites and the bridge's replies, each recorded as intended before it is sent), `step.py`
(the category, the pull step and the webhook handler), `demo.py`.
"""
