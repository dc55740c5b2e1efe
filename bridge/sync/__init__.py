"""The sync engine: makes the forum match the catalogue (issue 4).

desired (what each record should look like in the forum) → plan (pure: create, adopt, update,
close, reopen, unchanged) → apply (the only part that talks to the forum, recording progress
after every action, through the forum-object kernel). `bridge.jobs.sync_run.run_sync` ties
them (and the observatory) together under the database lease.
"""
