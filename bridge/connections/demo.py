"""The demo's connection request (issue 22): a practitioner asks to visit a sample project,
one pull records it, invites its contacts and posts the bridge's note; the project's contact
answers, and the next pull sees the request answered."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from bridge.connections import store
from bridge.connections.forum_writes import ConnectionForum
from bridge.connections.step import pull_requests
from bridge.settings import Settings

SAMPLE_REF = "bcn-sentilo-sensors"
SAMPLE_ASKER = "jordi.practicant"
SAMPLE_TITLE = "Podríem visitar-vos per veure com funciona Sentilo?"
SAMPLE_ANSWER = (
    "Hola Jordi! Us hi esperem quan vulgueu: escriviu-nos i acordem un dia per ensenyar-vos la "
    "plataforma i com la fem servir."
)


def run_demo_request(
    emulator: Any, engine: Engine, settings: Settings, client: ConnectionForum
) -> dict[str, Any] | None:
    """Ask, pull, answer (as the project's contact), pull; what happened at each step. None when
    the catalogue has no sample project to ask about (a demo run on another catalogue)."""
    category = store.load_category(engine, settings.connections.slug)
    topic = next(
        (
            (r["topic_id"], r["contacts"])
            for r in _records(engine, settings)
            if r["ref"] == SAMPLE_REF and r["topic_id"]
        ),
        None,
    )
    if topic is None:
        return None
    if category is None:
        raise RuntimeError("the connections category is missing after the demo's sync")
    asker = emulator.state.ensure_user(SAMPLE_ASKER)
    for contact in topic[1]:  # the sample's contacts have forum accounts in the demo's forum
        if contact.get("forum_username"):
            emulator.state.ensure_user(contact["forum_username"])
    raw = (
        "Som l'Ajuntament de Manlleu i ens agradaria fer una visita per veure com funciona "
        f"aquesta plataforma de sensors: {settings.discourse_url}/t/-/{topic[0]}"
    )
    first = emulator.state.create_topic(
        {"category": category.category_id, "title": SAMPLE_TITLE, "raw": raw}, asker
    )
    before = getattr(client, "requests_made", 0)
    asked = pull_requests(engine, settings, client).as_json()
    row = store.by_topic(engine, [first.topic_id]).get(first.topic_id) or {}
    note = None
    if row.get("reply_post_id"):
        note = str(emulator.state.posts[row["reply_post_id"]].raw)
    requests_asked = getattr(client, "requests_made", 0) - before
    contact = next((c["forum_username"] for c in topic[1] if c.get("forum_username")), None)
    answerer = emulator.state.ensure_user(contact or "equip.sentilo")
    emulator.state.reply(first.topic_id, SAMPLE_ANSWER, answerer)
    pull_requests(engine, settings, client)
    after = store.by_topic(engine, [first.topic_id]).get(first.topic_id) or {}
    return {
        "topic_url": f"{settings.discourse_url}/t/-/{first.topic_id}",
        "title": SAMPLE_TITLE,
        "ref": row.get("ref"),
        "kind": row["kind"].value if row.get("kind") else None,
        "asked": row["status"].value if row.get("status") else None,
        "invited": asked.get("invited", 0),
        "invite_failures": asked.get("failures", []),
        "note": note,
        "requests": requests_asked,
        "answered_by": answerer.username,
        "status": after["status"].value if after.get("status") else None,
    }


def _records(engine: Engine, settings: Settings) -> list[dict[str, Any]]:
    from bridge.catalogue.read_store import list_records

    return list_records(engine, settings.home_region, settings.discourse_url)
