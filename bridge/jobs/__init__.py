"""Jobs: what composes the engines into one run a person or the scheduler asks for.

The layer above the engines (sync, pull, discovery, challenges, open data, harvest) and below
the CLI (issue 19 point 2): `demo.py` (the whole thing against a local emulator), `schedule.py`
(one scheduled run: harvest, sync, pull, open data). A job reports through the callables it is
given and raises on what stops it, so the CLI only parses, calls and prints; nothing here
imports Typer or rich.
"""
