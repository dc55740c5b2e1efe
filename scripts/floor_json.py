#!/usr/bin/env python3
"""The floor for `projects list --json` (issue 15): the standard library alone reading the
listing's own output from a file and writing it out again (`json.load`, then `json.dumps` to
stdout). No listing can do much better than this, so `scripts/bench_cli.py` compares with it.

    python scripts/floor_json.py LISTING.json > /dev/null
"""

import json
import sys

with open(sys.argv[1], encoding="utf-8") as handle:
    records = json.load(handle)
sys.stdout.write(json.dumps(records, ensure_ascii=False))
sys.stdout.write("\n")
