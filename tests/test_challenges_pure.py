"""The pure parts of the challenges (issue 12): the population a text names, what a list read
tells the pull to do, and the reply's safety whatever the catalogue or the engine put in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bridge.challenges.matching import Suggestion, councils_in, population_in, suggest
from bridge.challenges.runner import Listed, Step, decide
from bridge.challenges.store import Known
from bridge.discovery.reasons import Reason, ReasonKind
from bridge.models.challenges import ChallengeStatus
from bridge.settings import Settings, load_settings
from bridge.sync.render import render_challenge_reply

CONFIG = Path(__file__).resolve().parent.parent / "config" / "bridge.toml"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def bridge_settings() -> Settings:
    return load_settings(CONFIG)


T1 = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "population"),
    [
        ("we are a council of 18,000 inhabitants drowning in calls", 18000),
        ("som un ajuntament de 18.000 habitants", 18000),
        ("un municipio de 18 000 habitantes", 18000),
        ("un municipi de 18\u00a0000 habitants", 18000),
        ("un poble de 350 habitants", 350),
        ("Barcelona, 1.620.343 habitants", 1620343),
        ("tenim 3 oficines i 40 treballadors", None),
        ("l'any 2024 vam obrir la seu", None),
    ],
)
def test_population_named_in_a_challenge(text: str, population: int | None) -> None:
    assert population_in(text) == population


def _known(status: ChallengeStatus, **kw) -> Known:
    values = dict(
        topic_id=7,
        title="t",
        author="marta",
        first_post_id=70,
        bumped_at=T0,
        post_version=1,
        post_updated_at="x",
        posts_count=2,
        text_hash="h",
        status=status,
        matched_refs=("a",),
        reply_post_id=71,
        reply_hash="r",
        reply_started_at=None,
        last_error=None,
        attempts=0,
    )
    values.update(kw)
    return Known(**values)  # type: ignore[arg-type]


def _listed(**kw) -> Listed:
    values = dict(topic_id=7, title="t", bumped_at=T0, posts_count=2, closed=False)
    values.update(kw)
    return Listed(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("item", "known", "step"),
    [
        (_listed(), None, Step.read),  # new
        (_listed(topic_id=99), None, Step.skip),  # the category's own definition topic
        (_listed(closed=True), None, Step.close),
        (_listed(closed=True), _known(ChallengeStatus.closed), Step.skip),
        (_listed(), _known(ChallengeStatus.closed), Step.read),  # reopened
        (_listed(), _known(ChallengeStatus.pending), Step.read),  # refused last time: retried
        (_listed(), _known(ChallengeStatus.answered), Step.check),  # an edit does not bump
        (_listed(), _known(ChallengeStatus.reply_deleted), Step.skip),  # respected
        (_listed(), _known(ChallengeStatus.ignored), Step.skip),
        # Unanswered and alone in its topic (a no-match row from before issue 21, not replied
        # to): the list's bumped_at tells an edit.
        (
            _listed(posts_count=1),
            _known(ChallengeStatus.no_match, posts_count=1, reply_post_id=None),
            Step.skip,
        ),
        (
            _listed(posts_count=1, bumped_at=T1),
            _known(ChallengeStatus.no_match, posts_count=1, reply_post_id=None),
            Step.read,
        ),
        (_listed(posts_count=3), _known(ChallengeStatus.no_match), Step.check),
        # Issue 21: replied "nothing matches yet": its first post is no longer its last, so an
        # edit does not bump it; checked like an answered one.
        (_listed(posts_count=2), _known(ChallengeStatus.no_match, posts_count=2), Step.check),
    ],
)
def test_what_a_list_read_leads_to(item: Listed, known: Known | None, step: Step) -> None:
    assert decide(item, known, definition_topic_id=99) == step


def test_the_reply_is_safe_whatever_its_parts_contain(bridge_settings: Settings) -> None:
    nasty = Suggestion(
        ref="x",
        title="# Xatbot <script>alert(1)</script> @admin [quote]x[/quote]",
        topic_url="javascript:alert(1)",
        council="Ajuntament\n## de @tothom",
        population_band="10,001–50,000",
        phase="implemented",
        reasons=(
            Reason(ReasonKind.SHARED_WORDS, words=("<b>xatbot</b>", "@staff")),
            Reason(ReasonKind.SAME_TECHNOLOGY, value="x" * 5000),
        ),
        forum_users=(("Laia <i>", "laia"), ("Evil", "bad name/../../admin")),
    )
    raw = render_challenge_reply([nasty], settings=bridge_settings)
    assert "<script" not in raw and "<b>" not in raw and "<i>" not in raw
    assert not re.search(r"(?<![\w/])@\w", raw), "no mention of anyone"
    assert "[quote]" not in raw and "javascript:" not in raw.replace("javascript\\:", "")
    assert "](javascript" not in raw
    assert "[Laia &lt;i&gt;](/u/laia)" in raw or "(/u/laia)" in raw
    assert "/u/bad" not in raw, "an invalid username is never linked"
    assert not any(line.startswith("#") for line in raw.splitlines())
    assert len(raw) < 2_000, "reasons are cut"


def test_the_reasons_are_worded_in_the_forums_language(bridge_settings: Settings) -> None:
    """A Catalan forum reads why a project is listed in Catalan, thousands as Catalan writes
    them (the CLI and --json keep contract §3's English)."""
    suggestion = Suggestion(
        ref="x",
        title="Xatbot",
        topic_url="/t/-/7",
        council="Ajuntament d'Olot",
        population_band="10,001–50,000",
        phase="pilot",
        reasons=(
            Reason(ReasonKind.BAND, value="10,001–50,000", same=True),
            Reason(ReasonKind.DISTANCE, km=1234.0),
            Reason(ReasonKind.SAME_PHASE, value="pilot"),
        ),
        forum_users=(),
    )
    for language in ("ca", "es", "en"):
        cfg = bridge_settings.model_copy(update={"language": language})
        raw = render_challenge_reply([suggestion], settings=cfg)
        reasons = next(line for line in raw.splitlines() if cfg.label("challenge_reasons") in line)
        if language == "en":
            assert "same population band 10,001–50,000; 1,234 km away; same phase (Pilot)" in raw
        else:
            assert "same" not in reasons and "away" not in reasons, reasons
            assert "10.001–50.000" in reasons and "1.234 km" in reasons
            assert cfg.label("pilot") in reasons


def test_no_match_reply_and_languages(bridge_settings: Settings) -> None:
    for language in ("ca", "es", "en"):
        cfg = bridge_settings.model_copy(update={"language": language})
        raw = render_challenge_reply([], settings=cfg)
        assert raw.startswith(cfg.label("challenge_none"))
        assert cfg.label("challenge_footer") in raw


def test_archived_records_are_never_suggested() -> None:
    records = [
        {
            "ref": "live-xatbot",
            "title": "Xatbot del padró",
            "area": "citizen-care",
            "phase": "pilot",
            "local_body": {"name": "Ajuntament A"},
            "description": "Un xatbot respon sobre el padró.",
        },
        {
            "ref": "old-xatbot",
            "title": "Xatbot antic del padró",
            "area": "citizen-care",
            "phase": "pilot",
            "archived": True,
            "local_body": {"name": "Ajuntament B"},
            "description": "Un xatbot respon sobre el padró.",
        },
    ]
    refs = [s.ref for s in suggest(records, "Xatbot per al padró", "qui en té?", limit=5)]
    assert refs == ["live-xatbot"]


@pytest.mark.parametrize(
    ("text", "councils"),
    [
        ("Som l'Ajuntament d'Olot i volem un xatbot", ["Ajuntament de Olot"]),
        ("Somos el Ayuntamiento de Sant Cugat del Vallès", ["Ajuntament de Sant Cugat del Vallès"]),
        ("The City of Girona needs help", ["Ajuntament de Girona"]),
        ("Ajuntament de la Seu d'Urgell", ["Ajuntament de Seu d'Urgell"]),
        ("we have no council to name", []),
    ],
)
def test_councils_named_in_a_challenge(text: str, councils: list[str]) -> None:
    assert councils_in(text) == councils


def _chatbot(ref: str, town: str, population: int) -> dict[str, Any]:
    place = {"code": ref, "name": town, "country": "ES", "population": population}
    return {
        "ref": ref,
        "title": "Xatbot del padró",
        "area": "citizen-care",
        "kind": "service",
        "phase": "pilot",
        "local_body": {"name": f"Ajuntament de {town}", "country": "ES"},
        "place": place,
        "description": "Un xatbot respon les preguntes del veïnat sobre el padró.",
    }


def test_a_council_named_in_a_challenge_ranks_councils_like_it_first() -> None:
    records = [
        _chatbot("big-xatbot", "Gran Ciutat", 600_000),
        _chatbot("small-xatbot", "Poble", 900),
    ]
    asked: list[str] = []

    def resolve(council: str) -> dict[str, Any] | None:
        asked.append(council)
        return {"name": "Vilapetita", "country": "ES", "population": 1_200}

    text = "Som l'Ajuntament de Vilapetita: qui té un xatbot per al padró?"
    answer = suggest(records, "Xatbot", text, limit=2, resolve=resolve)
    assert asked == ["Ajuntament de Vilapetita"]
    assert [s.ref for s in answer] == ["small-xatbot", "big-xatbot"]
    # Unknown or ambiguous councils leave the ranking to the text alone.
    plain = suggest(records, "Xatbot", text, limit=2, resolve=lambda _c: None)
    assert {s.ref for s in plain} == {"small-xatbot", "big-xatbot"}


def test_a_named_council_is_found_in_the_gazetteer(engine, bridge_settings: Settings) -> None:
    """The resolver the answerer gives the matcher: the built-in Catalan gazetteer places Olot;
    an unknown town is None (the ranking then rests on the text)."""
    from bridge.challenges.answer import Answerer

    answerer = Answerer(None, engine, bridge_settings, None, list)  # type: ignore[arg-type]
    olot = answerer._place_of("Ajuntament de Olot")
    assert olot is not None and olot["code"] == "17114" and olot["population"] > 30_000
    assert answerer._place_of("Ajuntament de Vilainventada del Mar") is None
