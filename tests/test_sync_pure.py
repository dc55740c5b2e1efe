"""The pure parts of the sync engine, no I/O: external ids, titles, the renderer, the planner."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import FrozenInstanceError, replace
from pathlib import Path

import pytest

from bridge.rules.discourse import (
    MAX_TITLE_LENGTH,
    is_valid_external_id,
    prettify_title,
    title_problems,
)
from bridge.settings import load_settings
from bridge.sync.catalogue_record import CatalogueRecord
from bridge.sync.desired import desired_topics
from bridge.sync.external_id import new_external_id, recreated_external_id
from bridge.sync.plan import (
    Adopt,
    Create,
    Deleted,
    Invalid,
    PlanError,
    PlanOptions,
    Stored,
    Unchanged,
    Update,
    make_plan,
)
from bridge.sync.render import ZWJ, block, inline, render_post
from bridge.sync.titles import TitleInput, build_titles, title_key

CONFIG = Path(__file__).resolve().parents[1] / "config" / "bridge.toml"


@pytest.fixture(scope="module")
def cfg():
    return load_settings(CONFIG)


# --------------------------------------------------------------------------- external ids


@pytest.mark.parametrize("ref", ["abc", "a" * 64, "x-" * 30 + "y", "vic-wifi-2024"])
def test_external_ids_are_valid_and_stable_whatever_the_ref(ref: str) -> None:
    value = new_external_id("dc", ref)
    assert is_valid_external_id(value) and value == new_external_id("dc", ref)
    assert len(value) <= 50


def test_long_refs_sharing_a_prefix_get_different_ids() -> None:
    a, b = "a" * 60 + "-one", "a" * 60 + "-two"
    assert new_external_id("dc", a) != new_external_id("dc", b)
    assert new_external_id("prefix1234", a) != new_external_id("prefix1234", b)


def test_recreated_ids_differ_and_never_collide_with_a_natural_one() -> None:
    first = new_external_id("dc", "rec")
    second = recreated_external_id(first, "rec")
    third = recreated_external_id(second, "rec")
    assert (first, second, third) == ("dc-rec", "dc-rec_r2", "dc-rec_r3")
    # A ref can never contain "_", so no record's natural id looks like a recreated one.
    assert "_" not in new_external_id("dc", "rec-r2")
    assert is_valid_external_id(recreated_external_id(new_external_id("dc", "z" * 64), "z" * 64))


# --------------------------------------------------------------------------- titles


def test_identical_titles_get_the_local_body_and_still_identical_ones_the_ref() -> None:
    titles = build_titles(
        [
            TitleInput("a", "Una plataforma de participació", "Ajuntament de Vic"),
            TitleInput(
                "b", "una plataforma de participació.", "Ajuntament de Reus"
            ),  # same once prettified
            TitleInput("c", "Una plataforma de participació", "Ajuntament de Vic"),
            TitleInput("d", "Un projecte ben diferent dels altres", "Ajuntament de Vic"),
        ]
    )
    assert titles["b"].primary == "una plataforma de participació — Ajuntament de Reus"
    assert titles["a"].primary == "Una plataforma de participació — Ajuntament de Vic (a)"
    assert titles["c"].primary == "Una plataforma de participació — Ajuntament de Vic (c)"
    assert titles["d"].primary == "Un projecte ben diferent dels altres"
    keys = [title_key(t.primary) for t in titles.values()]
    assert len(set(keys)) == len(keys)


def test_titles_equal_on_screen_collide_whatever_their_unicode_form() -> None:
    """Issue 28 point 7: "Participació" typed on a Mac (NFD: "o" + U+0300) and on Windows (NFC:
    "ò") look the same; the collision rule must see them as the same title."""
    nfc = unicodedata.normalize("NFC", "Plataforma de participació ciutadana")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert title_key(nfc) == title_key(nfd)
    titles = build_titles(
        [TitleInput("a", nfc, "Ajuntament de Vic"), TitleInput("b", nfd, "Ajuntament de Reus")]
    )
    assert titles["a"].primary == f"{nfc} — Ajuntament de Vic"
    assert titles["b"].primary == f"{nfc} — Ajuntament de Reus"  # written as NFC too


def test_short_titles_are_completed_and_long_ones_cut_at_a_word() -> None:
    titles = build_titles(
        [TitleInput("w", "Wifi", "Ajuntament de Vic"), TitleInput("l", "paraula " * 60, "Vic")]
    )
    assert titles["w"].primary == "Wifi — Ajuntament de Vic"
    long = titles["l"].primary
    assert len(long) <= MAX_TITLE_LENGTH and long.endswith("…")
    assert re.search(r"paraula…$", long), "cut at a word"
    assert all(not title_problems(t.primary) for t in titles.values())


def test_titles_do_not_depend_on_order() -> None:
    items = [TitleInput(str(i), "Plataforma de participació", f"Poble {i % 3}") for i in range(7)]
    assert build_titles(items) == build_titles(list(reversed(items)))


def test_fallback_title_is_distinct_from_the_primary() -> None:
    for choice in build_titles(
        [TitleInput("a", "Projecte de transparència", "Ajuntament de Vic")]
    ).values():
        assert title_key(choice.fallback) != title_key(choice.primary) and "(a)" in choice.fallback


# --------------------------------------------------------------------------- renderer


def test_free_text_cannot_break_the_layout() -> None:
    text = (
        "Intro\n# Un títol\n## Un altre\nSetext\n===\n---\n* * *\n```python\nprint('<b>')\nno "
        "tancat"
    )
    out = block(text)
    lines = out.split("\n")
    assert "\\# Un títol" in lines and "\\## Un altre" in lines
    assert "\\===" in lines and "\\---" in lines and "\\* * *" in lines
    assert lines[-1] == "```", "an open fence is closed at the end of the field"
    assert "print('<b>')" in out, "code stays as written inside a fence"


def test_free_text_cannot_inject_html_or_mention() -> None:
    out = block("Hola @tothom i @staff <script>alert(1)</script> <!-- x --> escriu a pere@vic.cat")
    assert "<" not in out
    assert f"@{ZWJ}tothom" in out and f"@{ZWJ}staff" in out
    assert "pere@vic.cat" in out, "e-mail addresses are not mentions and stay as they are"
    assert not re.search(r"(?<![\w])@\w", out)
    assert block("[quote]x[/quote] [poll]") == "\\[quote]x\\[/quote] \\[poll]"
    assert "\\*" in inline("**negreta** <i>") and "<" not in inline("<i>")


def test_fence_inside_a_list_is_moved_to_column_zero() -> None:
    out = block("- element\n  ```\n  <codi>\n  ```\nfora <b>")
    assert "```\n  <codi>\n```" in out and "fora &lt;b>" in out


def _record(**overrides):
    record = {
        "ref": "vic-wifi",
        "title": "Wifi",
        "local_body": {
            "name": "Ajuntament de Vic",
            "country": "ES",
            "region": "ES-CT",
            "population": 46000,
        },
        "contacts": [
            {
                "name": "Pere",
                "role": "TIC",
                "email": "pere@vic.cat",
                "forum_username": "pere",
                "public": True,
            },
            {"name": "Anna", "forum_username": "anna", "public": False},
            {"name": "Joan", "forum_username": "bad name!", "public": True},
        ],
        "description": "Wifi gratuït a la plaça.",
        "savings_eur_per_year": 1200.5,
        "analysis": {"barriers": "Cobertura."},
        "area": "citizen-care",
        "kind": "service",
        "phase": "pilot",
        "documents": [{"kind": "video", "title": "Vídeo", "url": "https://vic.cat/v (1).mp4"}],
    }
    record.update(overrides)
    return record


def test_post_layout_has_the_six_levels_in_the_forum_language(cfg) -> None:
    raw = render_post(_record(), proximity="km0", settings=cfg)
    headings = re.findall(r"^#{2,3} (.+)$", raw, flags=re.M)
    assert headings == [
        "Ens local",
        "Persones de contacte",
        "Descripció",
        "Estalvis",
        "Anàlisi",
        "Barreres i dificultats",
        "Fase",
        "Documentació",
    ]
    assert "46.000 habitants" in raw and "1.200,50 €" in raw
    # Issue 14 item 4: a contact's forum account is a profile link, never a mention.
    assert "[pere](/u/pere)" in raw and "@pere" not in raw and "anna" not in raw, (
        "only public contacts; forum_username as a link to the profile"
    )
    assert "bad name\\!" in raw and "/u/bad" not in raw, "an invalid username is shown as text"
    assert "[Vídeo](https://vic.cat/v%20%281%29.mp4)" in raw
    assert raw.rstrip().endswith("no al fòrum.*")
    english = render_post(
        _record(), proximity="foreign", settings=cfg.model_copy(update={"language": "en"})
    )
    assert "## Local body" in english and "Outside Catalonia" in english and "€1,200.50" in english


# --------------------------------------------------------------------------- planner


def _desired(cfg, *records):
    recs = [
        CatalogueRecord(
            project_id=i + 1,
            ref=r["ref"],
            archived=r.pop("archived", False),
            content_hash=f"h{i}",
            record=r,
            proximity="km0",
        )
        for i, r in enumerate(records)
    ]
    return desired_topics(recs, cfg)


def _synced(d, **overrides) -> Stored:
    values = dict(
        project_id=d.project_id,
        external_id=f"dc-{d.ref}",
        topic_id=100 + d.project_id,
        first_post_id=500 + d.project_id,
        state="synced",
        category_id=7,
        tags=d.tags,
        title=prettify_title(d.title),
        body_hash=d.body_hash,
        closed=False,
        content_hash=d.content_hash,
    )
    values.update(overrides)
    return Stored(**values)


def test_plan_for_new_unchanged_and_changed_records(cfg) -> None:
    desired = _desired(
        cfg,
        _record(ref="new-one"),
        _record(ref="same"),
        _record(ref="moved", area="social-services"),
    )
    stored = {
        desired["same"].project_id: _synced(desired["same"]),
        desired["moved"].project_id: _synced(desired["moved"], category_id=7, body_hash="old"),
    }
    plan = make_plan(
        desired.values(), stored, {"citizen-care": 7, "social-services": 8}, PlanOptions()
    )
    by_ref = {a.ref: a for a in plan.actions}
    assert isinstance(by_ref["new-one"], Create) and by_ref["new-one"].external_id == "dc-new-one"
    assert isinstance(by_ref["same"], Unchanged) and not by_ref["same"].writes
    assert isinstance(by_ref["moved"], Update) and by_ref["moved"].changed == ("body", "category")
    assert [a.name for a in plan.actions] == ["update", "create", "unchanged"], (
        "updates before creates"
    )
    with pytest.raises(FrozenInstanceError):
        by_ref["moved"].changed = ()  # type: ignore[misc]


def test_plan_adopts_an_intent_without_topic_and_recreates_only_on_request(cfg) -> None:
    from datetime import UTC, datetime

    desired = _desired(cfg, _record(ref="inflight"), _record(ref="gone"))
    stored = {
        desired["inflight"].project_id: Stored(
            desired["inflight"].project_id, "dc-inflight", create_started_at=datetime.now(UTC)
        ),
        desired["gone"].project_id: _synced(
            desired["gone"], remote_deleted=True, drift=("deleted",), state="drift"
        ),
    }
    plan = make_plan(desired.values(), stored, {"citizen-care": 7}, PlanOptions())
    kinds = {a.ref: type(a) for a in plan.actions}
    assert kinds == {"inflight": Adopt, "gone": Deleted}
    plan = make_plan(
        desired.values(),
        stored,
        {"citizen-care": 7},
        PlanOptions(recreate_deleted=frozenset({"gone"})),
    )
    (create,) = [a for a in plan.actions if a.ref == "gone"]
    assert (
        isinstance(create, Create)
        and create.external_id == "dc-gone_r2"
        and create.replaces_deleted
    )


def test_plan_archive_restore_and_drift(cfg) -> None:
    desired = _desired(
        cfg, _record(ref="arch", archived=True), _record(ref="back"), _record(ref="drifted")
    )
    stored = {
        desired["arch"].project_id: _synced(desired["arch"], body_hash="old"),
        desired["back"].project_id: _synced(desired["back"], closed=True),
        desired["drifted"].project_id: _synced(
            desired["drifted"],
            state="drift",
            drift=("title", "tags"),
            drift_detail={
                "title": {"written": "x", "forum": "Moderator's"},
                "tags": {"written": [], "forum": []},
            },
        ),
    }
    options = PlanOptions(edit_reason_drift="restored")
    plan = {
        a.ref: a for a in make_plan(desired.values(), stored, {"citizen-care": 7}, options).actions
    }
    assert (plan["arch"].name, plan["arch"].fields) == ("close", ()), (
        "archived: closed, content left alone"
    )
    assert (plan["back"].name, plan["back"].fields) == ("reopen", ())
    assert (plan["drifted"].name, plan["drifted"].fields) == ("update", ("title", "tags"))
    assert plan["drifted"].edit_reason == "restored" and plan["drifted"].repairs == (
        "title",
        "tags",
    )
    report_only = replace(options, drift_policy="report-only")
    plan = {
        a.ref: a
        for a in make_plan(desired.values(), stored, {"citizen-care": 7}, report_only).actions
    }
    assert isinstance(plan["drifted"], Unchanged), "report-only leaves the moderator's version"


def test_plan_accepts_the_fallback_title_and_flags_invalid_records(cfg) -> None:
    desired = _desired(
        cfg, _record(ref="fell-back"), _record(ref="huge", description="x y " * 20000)
    )
    d = desired["fell-back"]
    stored = {d.project_id: _synced(d, title=prettify_title(d.fallback_title))}
    plan = {
        a.ref: a
        for a in make_plan(desired.values(), stored, {"citizen-care": 7}, PlanOptions()).actions
    }
    assert isinstance(plan["fell-back"], Unchanged)
    assert isinstance(plan["huge"], Invalid) and "32,000" in plan["huge"].error


def test_plan_refuses_unknown_refs(cfg) -> None:
    desired = _desired(cfg, _record(ref="one"))
    with pytest.raises(PlanError, match="unknown ref: two"):
        make_plan(desired.values(), {}, {}, PlanOptions(only=frozenset({"two"})))
    plan = make_plan(desired.values(), {}, {}, PlanOptions())
    assert plan.missing_categories == ("citizen-care",)
