"""Challenges (issue 12, contract §5): a practitioner opens a topic in the challenges category and
the bridge answers it with one reply listing the catalogue projects that match.

- `category.py`: the `[challenges]` category, found or created by `sync` and cached;
- `matching.py`: the one caller of the discovery engine (and the population named in a text);
- `answer.py`: one challenge read, matched, answered or its reply edited, crash-safely;
- `runner.py`: `decide` (pure: from a list read and what is stored, what to read and what to
  leave), the pull step and the webhook handler around them; `demo.py`: the demo's challenge;
- `store.py`: their SQL.
"""
