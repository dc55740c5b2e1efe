"""The demo's challenge (issue 12 point 7): a practitioner opens a sample challenge in the
demo's emulator, one pull answers it, and the answer is shown."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from bridge.challenges import store
from bridge.challenges.answer import ChallengeForum
from bridge.challenges.runner import pull_challenges
from bridge.settings import Settings

# A practitioner's challenge, as the issue tells it (Catalan, the demo's forum language).
SAMPLE_AUTHOR = "marta.practicant"
SAMPLE_TITLE = "Ens ofeguem en trucades sobre el padró: qui té un xatbot?"
SAMPLE_BODY = (
    "Som un ajuntament de 18.000 habitants i l'oficina d'atenció ciutadana rep cada dia desenes "
    "de trucades sobre el padró i els volants d'empadronament. Algú ha posat en marxa un xatbot "
    "o un assistent conversacional que les respongui? Com ho vau fer i amb qui podem parlar?"
)


def run_demo_challenge(
    emulator: Any, engine: Engine, settings: Settings, client: ChallengeForum
) -> dict[str, Any]:
    """Open the sample challenge in the (in-process) emulator as a practitioner, pull, and
    return what was answered: `{"topic_url", "title", "matched_refs", "reply", "requests"}`."""
    category = store.load_category(engine, settings.challenges.slug)
    if category is None:
        raise RuntimeError("the challenges category was not created by the sync")
    author = emulator.state.ensure_user(SAMPLE_AUTHOR)
    first = emulator.state.create_topic(
        {"category": category.category_id, "title": SAMPLE_TITLE, "raw": SAMPLE_BODY}, author
    )
    before = getattr(client, "requests_made", 0)
    run = pull_challenges(engine, settings, client)
    row = store.load_one(engine, first.topic_id)
    reply = None
    if row is not None and row.reply_post_id is not None:
        reply = str(client.get_post(row.reply_post_id).get("raw") or "")
    return {
        "topic_url": f"{settings.discourse_url}/t/-/{first.topic_id}",
        "title": SAMPLE_TITLE,
        "status": row.status.value if row else None,
        "matched_refs": list(row.matched_refs) if row else [],
        "reply": reply,
        "requests": getattr(client, "requests_made", 0) - before,
        "failures": run.as_json()["failures"],
    }
