"""The webhook receiver as one WSGI application (`digicanvis webhook`): deliveries verified and
recorded (bridge.loop), challenges answered at once when the forum's API is at hand (issue 12),
and /healthz and /metrics beside it (issue 26)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bridge.forum.client import ForumClient
    from bridge.loop.health import WSGIApp
    from bridge.settings import Settings


def receiver(engine: Engine, cfg: Settings, client: ForumClient | None, secret: str) -> WSGIApp:
    """The application the receiver serves. `client`: the forum client challenges are answered
    with (None: they wait for `pull`)."""
    from bridge.db import session_scope
    from bridge.loop.events import make_processor
    from bridge.loop.health import HealthApp, with_health
    from bridge.loop.webhook import make_app

    processor = make_processor(lambda: session_scope(engine))
    if client is not None:
        from bridge.challenges.runner import with_challenges
        from bridge.connections.step import with_requests

        processor = with_challenges(processor, engine, cfg, client)
        processor = with_requests(processor, engine, cfg, client)  # issue 22
    application = make_app(secret, processor, max_body_bytes=cfg.webhook.max_body_bytes)
    return with_health(application, HealthApp(engine))
