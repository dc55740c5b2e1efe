"""`digicanvis doctor`: is this installation ready for its forum? (issue 26)."""

from __future__ import annotations

from typing import Annotated

import typer

from bridge.cli.app import app, out, print_json, settings

_MARKS = {"ok": "✓", "problem": "✗", "unchecked": "?", "note": "·"}


@app.command()
def doctor(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON document: every check and the exit code.")
    ] = False,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            "--webhook-url",
            help="The public URL Discourse should post to (e.g. https://bridge.example/webhooks/"
            "discourse); without it any web hook whose URL ends in /webhooks/discourse counts.",
        ),
    ] = None,
) -> None:
    """Check the configuration, the database and the live forum, without changing anything.

    One line per check: ✓ fine, ✗ a problem (with the Discourse admin page and setting that
    fixes it), ? could not be checked, · worth knowing. Checked: the database (reachable, at the
    latest migration) and the sync lock; the API key (accepted, its user an admin); the site
    settings the bridge depends on against what the catalogue needs (longest post, most tags,
    shortest and longest title); categories and tags present or creatable; the web hook (URL,
    JSON, events, secret).

    Exit status: 0 all good, 1 a problem found, 2 something could not be checked.
    """
    from bridge.doctor.checks import exit_code
    from bridge.doctor.run import run_checks

    cfg = settings()
    client = None
    if cfg.forum_configured:
        from bridge.forum.client import ForumClient

        client = ForumClient.from_settings(cfg)
    try:
        found = run_checks(cfg, client, webhook_url=webhook_url)
    finally:
        if client is not None:
            client.close()
    code = exit_code(found)
    if as_json:
        print_json({"checks": [c.as_json() for c in found], "exit_code": code})
    else:
        for check in found:
            out.print(f"{_MARKS[check.status.value]} {check.name}: {check.detail}", markup=False)
            if check.fix and check.status.value != "ok":
                out.print(f"    fix: {check.fix}", markup=False)
    raise typer.Exit(code)
