"""The forum client: the only code that does HTTP to Discourse.

`bridge.forum.client.ForumClient` speaks to the forum; `bridge.forum.errors` holds what it raises.
Nothing is imported here, so code that only needs the errors does not load requests/pydiscourse.
"""
