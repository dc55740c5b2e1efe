"""Issue 22: the pure rules of connection requests (bridge.connections.rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.connections import rules
from bridge.models.enums import InviteChannel, RequestKind, RequestNote, RequestStatus

TAGS = {
    RequestKind.contact: "contacte",
    RequestKind.visit: "visita",
    RequestKind.collaboration: "col-laboracio",
}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Voldríem fer una visita a Olot", RequestKind.visit),
        ("¿Podemos visitaros la semana que viene?", RequestKind.visit),
        ("Could we visit your team?", RequestKind.visit),
        ("Ens agradaria col·laborar amb vosaltres", RequestKind.collaboration),
        ("Buscamos colaborar en un convenio", RequestKind.collaboration),
        ("We would like to collaborate and visit", RequestKind.collaboration),
        ("Amb qui podem parlar?", RequestKind.contact),
        ("Hola", RequestKind.contact),
    ],
)
def test_the_kind_is_read_from_the_words(text: str, kind: RequestKind) -> None:
    assert rules.kind_of((), text, TAGS) == kind


def test_a_tag_says_the_kind_before_the_words() -> None:
    assert rules.kind_of(("contacte",), "volem visitar-vos", TAGS) == RequestKind.contact
    assert rules.kind_of(("VISITA",), "", TAGS) == RequestKind.visit


def test_links_to_this_forum_only_in_order_once() -> None:
    raw = (
        "Vegeu https://forum.example/t/sentilo/12 i https://other.example/t/x/13, "
        "també /t/-/14 i [aquí](https://forum.example/t/12) i http://forum.example/t/slug/15?u=x"
    )
    assert rules.linked_topics(raw, "https://forum.example") == [12, 14, 15]


def test_the_project_is_the_first_linked_record() -> None:
    project = rules.Project("a", "A", "Olot", 5, False)
    gone = rules.Project("b", "B", "Vic", 6, True)
    by_topic = {5: project, 6: gone}
    assert rules.find_project([9, 5], by_topic, own_topic=9) == rules.Linked(project, None)
    assert rules.find_project([9], by_topic, own_topic=9).note == RequestNote.no_link
    assert rules.find_project([7], by_topic, own_topic=9).note == RequestNote.not_catalogue
    assert rules.find_project([6], by_topic, 9) == rules.Linked(gone, RequestNote.archived_project)


def test_targets_keep_order_skip_opt_outs_and_hide_addresses() -> None:
    contacts = [
        {"name": "Ada", "role": "Cap TIC", "forum_username": "Ada", "email": "ada@x.cat"},
        {"name": "Bea", "email": "bea@x.cat"},
        {"name": "Cai", "email": "cai@x.cat", "invite": False},
        {"name": "Phone only", "phone": "+34 900"},
        {"name": "Ada again", "forum_username": "ada"},
    ]
    found = rules.targets(contacts)
    assert [(t.name, t.channel) for t in found] == [
        ("Ada", InviteChannel.user),
        ("Bea", InviteChannel.email),
    ]
    assert found[0].key == "ada" and "bea@x.cat" not in found[1].key
    assert "bea@x.cat" not in repr(found[1]) and "bea@x.cat" not in str(found)


def test_the_flood_limit() -> None:
    assert rules.within_limit(0, 3, 10) == 3
    assert rules.within_limit(9, 3, 10) == 1
    assert rules.within_limit(12, 3, 10) == 0


def _facts(**changes: object) -> rules.Facts:
    values: dict[str, object] = dict(
        closed=False, solved=False, agreed=False, answered_at=None, asked_at=T0,
        reminded=False, now=T0 + timedelta(days=1),
    )  # fmt: skip
    values.update(changes)
    return rules.Facts(**values)  # type: ignore[arg-type]


def test_the_status_rule() -> None:
    status = rules.next_status
    assert status(RequestStatus.open, _facts(), 10) == RequestStatus.open
    assert status(RequestStatus.open, _facts(now=T0 + timedelta(days=10)), 10) == (
        RequestStatus.stale
    )
    assert status(RequestStatus.stale, _facts(answered_at=T0), 10) == RequestStatus.answered
    assert status(RequestStatus.open, _facts(solved=True), 10) == RequestStatus.answered
    assert status(RequestStatus.answered, _facts(agreed=True), 10) == RequestStatus.agreed
    assert status(RequestStatus.agreed, _facts(closed=True, agreed=True), 10) == (
        RequestStatus.closed
    )
    # Reopened: back to where it stood.
    assert status(RequestStatus.closed, _facts(answered_at=T0), 10) == RequestStatus.answered
    assert status(RequestStatus.ignored, _facts(closed=True), 10) == RequestStatus.ignored


def test_the_first_answer_is_by_someone_who_can_answer() -> None:
    posts = [
        {"post_number": 3, "username": "Marta"},
        {"post_number": 1, "username": "marta"},
        {"post_number": 2, "username": "anna"},
    ]
    found = rules.first_answer(posts, {"marta"})
    assert found is not None and found["post_number"] == 3
    assert rules.first_answer(posts, {"nobody"}) is None


def test_the_figures() -> None:
    def req(status: RequestStatus, days: float | None, kind: RequestKind = RequestKind.visit):
        answered = None if days is None else T0 + timedelta(days=days)
        return rules.Counted("a", kind, status, T0, answered, "Olot")

    rows = [
        req(RequestStatus.answered, 1),
        req(RequestStatus.agreed, 3),
        req(RequestStatus.agreed, 2, RequestKind.collaboration),
        req(RequestStatus.open, None),
        req(RequestStatus.ignored, None),
    ]
    stats = rules.stats(rows)
    assert stats == rules.Stats(4, 3, 2.0, 1, 1)
    assert rules.stats([]) == rules.Stats()
    assert rules.overview(rows).top == (("Olot", 3),)


def test_a_reply_asks_with_the_categorys_or_a_kinds_hashtag() -> None:
    kinds = TAGS.values()
    assert rules.asks("#contactes podem parlar?", "contactes", kinds)
    assert rules.asks("Ens agradaria venir (#visita)", "contactes", kinds)
    assert not rules.asks(
        "Molt bé! https://x.cat/#visita i &#visita; i ##visita", "contactes", kinds
    )
    assert not rules.asks("Cap etiqueta aquí", "contactes", kinds)
    assert rules.hashtags("#Visita i #col-laboracio") == ("visita", "col-laboracio")
