"""`PlanError`: the sync's options name something they cannot (bridge.sync.plan re-exports it).
Its own module, without the planner's imports, so that the CLI and a no-op sync can catch it
without loading the renderer and the ranking behind the planner (issue 20)."""

from __future__ import annotations

from collections.abc import Iterable


class PlanError(ValueError):
    """Bad options: an unknown ref, or --recreate-deleted for a topic that is not deleted."""

    @classmethod
    def unknown(cls, refs: Iterable[str]) -> PlanError:
        refs = sorted(refs)
        return cls(f"unknown ref{'s' if len(refs) > 1 else ''}: {', '.join(refs)}")
