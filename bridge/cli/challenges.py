"""`digicanvis challenges list`: the challenges seen in the forum and what the bridge answered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from bridge.cli.app import app, catalogue_rows, catalogue_settings, out, print_json

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bridge.dbapi import Rows

challenges_app = typer.Typer(
    help="Challenges posed in the forum's challenges category and the bridge's answers.",
    no_args_is_help=True,
)
app.add_typer(challenges_app, name="challenges")


def challenge_documents(source: Rows | Engine, discourse_url: str | None) -> list[dict[str, Any]]:
    """Every challenge the bridge saw, newest first, as `challenges list --json` prints it."""
    from bridge.challenges import read_store
    from bridge.dbapi import rows_of
    from bridge.models.enums import ChallengeStatus

    with rows_of(source) as rows:
        found = read_store.rows(rows)
    documents = []
    for row in found:
        if row["status"] == ChallengeStatus.ignored:
            continue
        url = f"{discourse_url or ''}/t/-/{row['topic_id']}"
        reply_url = (
            f"{discourse_url or ''}/p/{row['reply_post_id']}" if row["reply_post_id"] else None
        )
        documents.append(
            {
                "topic_id": row["topic_id"],
                "title": row["title"],
                "author": row["author"],
                "url": url,
                "open": row["status"] != ChallengeStatus.closed,
                "status": row["status"].value,
                "answered": row["reply_post_id"] is not None
                and row["status"] != ChallengeStatus.reply_deleted,
                "reply_post_id": row["reply_post_id"],
                "reply_url": reply_url,
                "reply_deleted": row["status"] == ChallengeStatus.reply_deleted,
                "matched_refs": list(row["matched_refs"] or []),
                # Replies the challenge received, the bridge's own answer included.
                "replies": max(0, int(row["posts_count"] or 0) - 1),
                "last_error": row["last_error"],
                "first_seen_at": row["first_seen_at"].isoformat(),
            }
        )
    return documents


@challenges_app.command("list")
def list_challenges(
    all_: Annotated[
        bool, typer.Option("--all", help="Also list closed challenges (left alone).")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout (for scripts).")
    ] = False,
) -> None:
    """Open challenges: whether answered, the catalogue projects matched, the replies received.

    `pull` (and `webhook`, at once) answers new and edited challenges; a reply a moderator
    deleted is never posted again and shows here as "reply deleted".
    """
    # Through the driver alone, as the other read commands (issue 20: no SQLAlchemy, no pydantic).
    cfg = catalogue_settings()
    with catalogue_rows(cfg) as rows:
        documents = [d for d in challenge_documents(rows, cfg.discourse_url) if all_ or d["open"]]
    if json_output:
        print_json(documents)
        return
    if not documents:
        out.print("no challenges yet", markup=False)
        return
    for d in documents:
        state = d["status"].replace("_", " ")
        refs = ", ".join(d["matched_refs"]) or "-"
        out.print(
            f"{d['topic_id']:>6}  {state:<13} {d['replies']:>3} replies  {d['title']}  [{refs}]",
            markup=False,
        )
        if d["last_error"]:
            out.print(f"        error: {d['last_error']}", markup=False)


def challenge_status(source: Rows | Engine) -> dict[str, Any]:
    """The challenges part of `status --json`: replies a moderator deleted, refused replies."""
    docs = challenge_documents(source, None)
    open_docs = [d for d in docs if d["open"]]
    return {
        "open": len(open_docs),
        "answered": sum(1 for d in open_docs if d["answered"]),
        "reply_deleted": [
            {"topic_id": d["topic_id"], "title": d["title"]} for d in docs if d["reply_deleted"]
        ],
        "failed": [
            {"topic_id": d["topic_id"], "error": d["last_error"]}
            for d in open_docs
            if d["last_error"]
        ],
    }


def print_challenge_status(report: dict[str, Any]) -> None:
    out.print(f"challenges: {report['open']} open, {report['answered']} answered", markup=False)
    for item in report["reply_deleted"]:
        out.print(
            f"challenge {item['topic_id']}: a moderator deleted the bridge's reply (not re-posted)",
            markup=False,
        )
    for item in report["failed"]:
        out.print(
            f"challenge {item['topic_id']}: reply failed, retried next pull: {item['error']}",
            markup=False,
        )
