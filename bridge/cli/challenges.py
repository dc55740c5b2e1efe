"""`digicanvis challenges list`: the challenges seen in the forum and what the bridge answered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bridge.cli.app import JsonOption, catalogue_documents, out, printed_plainly, sub_app

if TYPE_CHECKING:
    pass

challenges_app = sub_app(
    "challenges",
    "Challenges posed in the forum's challenges category and the bridge's answers.",
)


@challenges_app.command("list")
def list_challenges(
    all_: Annotated[
        bool, typer.Option("--all", help="Also list closed challenges (left alone).")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Open challenges: whether answered, the catalogue projects matched, the replies received.

    `pull` (and `webhook`, at once) answers new and edited challenges; a reply a moderator
    deleted is never posted again and shows here as "reply deleted".
    """
    # Through the driver alone, as the other read commands (issue 20: no SQLAlchemy, no pydantic).
    from bridge.challenges.read_store import challenge_documents

    documents = [d for d in catalogue_documents(challenge_documents) if all_ or d["open"]]
    if printed_plainly(documents, json_output, "no challenges yet"):
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
