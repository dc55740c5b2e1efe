"""`digicanvis requests list` (issue 22): contact, visit and collaboration requests made in the
forum and where each stands. Through the database driver alone, like the other read commands."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bridge.cli.app import JsonOption, catalogue_documents, out, printed_plainly, sub_app

if TYPE_CHECKING:
    from bridge.dbapi import Rows

requests_app = sub_app(
    "requests",
    "Contact, visit and collaboration requests made in the forum's connections category.",
)


class Shown(StrEnum):
    """What `--status` accepts (bridge.models.enums.RequestStatus; `ignored` included)."""

    open = "open"
    answered = "answered"
    agreed = "agreed"
    stale = "stale"
    closed = "closed"
    ignored = "ignored"


@requests_app.command("list")
def list_requests(
    status: Annotated[
        list[Shown] | None,
        typer.Option("--status", help="Only requests in this status (repeatable)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Requests, newest first: the project and council asked, the kind, the status, when asked
    and answered. Ignored requests (no catalogue link, an archived project, the bridge's own
    topic) are listed only with `--status ignored`. Never an email: who asked is a forum user.
    """
    from bridge.connections.read_store import public_document, rows

    wanted = {s.value for s in status} if status else None

    def read(found: Rows, discourse_url: str | None) -> Iterator[dict[str, Any]]:
        for row in rows(found):
            if row["status"].value in wanted if wanted else row["status"].value != "ignored":
                yield public_document(row, discourse_url)

    documents = catalogue_documents(read)
    if printed_plainly(documents, json_output, "no requests"):
        return
    for d in documents:
        answered = f", answered {d['answered_at'][:10]}" if d["answered_at"] else ""
        note = f" ({d['note']})" if d["note"] else ""
        out.print(
            f"{d['topic_id']}\t{d['status']}{note}\t{d['kind']}\t{d['ref'] or '—'}\t"
            f"{d['council'] or '—'}\tasked {d['asked_at'][:10]}{answered}\t{d['topic_url']}",
            markup=False,
        )
