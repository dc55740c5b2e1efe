"""The store (SQL) on SQLite and PostgreSQL: upsert, fingerprints, shared bodies, proximity,
reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from plugins.catalogue import make_record, make_records
from sqlmodel import Session, select

from bridge.catalogue import read_store, store
from bridge.catalogue.canonical import effective_proximity, fingerprint, record_dict
from bridge.catalogue.schema import RawRecord, ValidRecord, validate_records
from bridge.models import Activity, LocalBody, Project, SyncState
from bridge.models.enums import Area, Kind, Phase, Proximity, SyncStatus


def valid(records: list[dict[str, Any]], file: str = "t.json") -> list[ValidRecord]:
    result, problems = validate_records(RawRecord(file, i, r) for i, r in enumerate(records, 1))
    assert problems == []
    return result


def put(engine: sa.Engine, records: list[dict[str, Any]], **kwargs: Any) -> store.ImportResult:
    return store.import_records(engine, valid(records), **kwargs)


def row(engine: sa.Engine, ref: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.select(store.P).where(store.P.c.ref == ref)).one()


def body_rows(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.select(store.B).order_by(store.B.c.id)).all()


def test_create_then_unchanged(engine: sa.Engine) -> None:
    first = put(engine, make_records(10))
    assert (len(first.created), len(first.updated), len(first.unchanged)) == (10, 0, 0)
    again = put(engine, make_records(10))
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 10)
    assert read_store.count_records(engine) == 10


def test_revision_and_fingerprint_change_exactly_when_content_changes(engine: sa.Engine) -> None:
    put(engine, [make_record(1)])
    before = row(engine, "projecte-00001")
    assert before.revision == 1
    put(engine, [make_record(1)])
    assert row(engine, "projecte-00001").revision == 1
    result = put(engine, [make_record(1, title="Un altre títol")])
    after = row(engine, "projecte-00001")
    assert result.updated == (store.Change("projecte-00001", ("title",)),)
    assert after.revision == 2 and after.content_hash != before.content_hash
    assert after.updated_at > before.updated_at and after.created_at == before.created_at
    # archiving is a state, not content
    store.set_archived(engine, "projecte-00001", True)
    archived = row(engine, "projecte-00001")
    assert (archived.revision, archived.content_hash) == (2, after.content_hash)


def test_stored_fingerprint_matches_the_orm_record(engine: sa.Engine) -> None:
    """The sync engine fingerprints ORM objects with canonical.record_dict: it must agree."""
    put(engine, make_records(12))
    with Session(engine) as session:
        for project in session.exec(select(Project)).all():
            assert fingerprint(record_dict(project)) == project.content_hash


def test_children_are_replaced_on_update(engine: sa.Engine) -> None:
    put(engine, [make_record(0)])
    changed = make_record(0)
    changed["contacts"] = changed["contacts"][1:]
    changed["documents"].append({"kind": "video", "url": "https://exemple.cat/v"})
    result = put(engine, [changed])
    assert set(result.updated[0].fields) == {"contacts", "documents"}
    [exported] = read_store.export_records(engine)
    assert exported["contacts"] == [
        {"name": "Secretaria", "phone": "+34 900 000 000", "public": False}
    ]
    assert [d["kind"] for d in exported["documents"]] == ["article", "video"]


def test_dry_run_writes_nothing(engine: sa.Engine) -> None:
    put(engine, [make_record(1)])
    result = put(engine, [make_record(1, title="Nou"), make_record(2)], dry_run=True)
    assert result.created == ("projecte-00002",) and result.updated[0].fields == ("title",)
    assert read_store.count_records(engine) == 1
    assert row(engine, "projecte-00001").title == make_record(1)["title"]


# --------------------------------------------------------------------------- local bodies


def test_bodies_are_shared_by_code(engine: sa.Engine) -> None:
    records = [make_record(i) for i in (0, 6, 12)]  # the same town: Abrera
    put(engine, records)
    assert len(body_rows(engine)) == 1
    with Session(engine) as session:
        body = session.exec(select(LocalBody)).one()
        assert {p.ref for p in body.projects} == {r["ref"] for r in records}
        assert body.name_key == "abrera"


def test_each_record_keeps_its_body_as_it_names_it(engine: sa.Engine) -> None:
    # Issue 10 point 1: several records may name one council differently, without conflict.
    put(engine, [make_record(0)])
    other = make_record(50, local_body={"name": "Ajuntament d'Abrera", "country": "ES"})
    result = put(engine, [other])
    assert result.created == (other["ref"],) and result.also_updated == ()
    exported = {r["ref"]: r for r in read_store.export_records(engine)}
    assert exported[other["ref"]]["local_body"] == {"name": "Ajuntament d'Abrera", "country": "ES"}
    assert exported["projecte-00000"]["local_body"] == make_record(0)["local_body"]
    assert row(engine, "projecte-00000").revision == 1
    assert len(body_rows(engine)) == 2


def test_same_name_in_two_countries_is_two_bodies(engine: sa.Engine) -> None:
    put(
        engine,
        [
            make_record(1, local_body={"name": "Valencia", "country": "ES"}),
            make_record(2, local_body={"name": "Valencia", "country": "VE"}),
        ],
    )
    assert len(body_rows(engine)) == 2


def test_records_that_say_different_things_about_a_council_are_both_kept(
    engine: sa.Engine,
) -> None:
    a = make_record(0)
    b = make_record(6)
    b["local_body"]["population"] = 1
    put(engine, [a, b])
    exported = {r["ref"]: r for r in read_store.export_records(engine)}
    assert exported[a["ref"]]["local_body"]["population"] == 12848
    assert exported[b["ref"]]["local_body"]["population"] == 1


def test_changing_one_records_body_leaves_the_others_alone(engine: sa.Engine) -> None:
    put(engine, [make_record(0), make_record(6)])
    changed = make_record(0)
    changed["local_body"]["population"] = 13000
    result = put(engine, [changed])
    assert result.updated == (store.Change("projecte-00000", ("local_body.population",)),)
    assert result.also_updated == ()
    assert row(engine, "projecte-00006").revision == 1
    with Session(engine) as session:
        for project in session.exec(select(Project)).all():
            assert fingerprint(record_dict(project)) == project.content_hash


def test_body_left_without_projects_is_forgotten(engine: sa.Engine) -> None:
    put(engine, [make_record(1, local_body={"name": "Ajuntament de Sitges", "country": "ES"})])
    put(
        engine,
        [
            make_record(
                1, local_body={"name": "Sitges", "country": "ES", "municipality_code": "08270"}
            )
        ],
    )
    assert [b.name for b in body_rows(engine)] == ["Sitges"]


# --------------------------------------------------------------------------- proximity


@pytest.mark.parametrize(
    ("region", "own", "home", "expected"),
    [
        ("ES-CT", None, "ES-CT", "km0"),
        ("ES-B", None, "ES-CT", "km0"),  # a province inside the home community
        ("ES-GI", None, "ES-CT", "km0"),
        ("ES-Z", None, "ES-CT", "foreign"),
        (None, None, "ES-CT", "foreign"),
        ("ES-B", None, "ES-MD", "foreign"),  # the home region changed: re-derived
        ("ES-M", None, "ES-MD", "km0"),
        ("ES-CT", None, "ES-B", "foreign"),  # a community is not inside one of its provinces
        ("ES-B", "foreign", "ES-CT", "foreign"),  # the record's own value wins
        ("ES-Z", "km0", "ES-CT", "km0"),
    ],
)
def test_effective_proximity(
    engine: sa.Engine, region: str | None, own: str | None, home: str, expected: str
) -> None:
    body: dict[str, Any] = {"name": "Poble", "country": "ES"} | (
        {"region": region} if region else {}
    )
    record = make_record(1, local_body=body) | ({"proximity": own} if own else {})
    record.pop("proximity", None) if not own else None
    put(engine, [record])
    [listed] = read_store.list_records(engine, home)
    assert listed["proximity"] == expected
    with Session(engine) as session:
        assert effective_proximity(session.exec(select(Project)).one(), home).value == expected
    # export keeps the record's own value only where it set one
    [exported] = read_store.export_records(engine)
    assert exported.get("proximity") == own


# --------------------------------------------------------------------------- reading


def _pair(engine: sa.Engine, ref: str, **state: Any) -> None:
    with Session(engine) as session:
        project = session.exec(select(Project).where(Project.ref == ref)).one()
        session.add(SyncState(project_id=project.id, external_id=f"dc-{project.id}", **state))
        session.commit()


def test_list_and_show_carry_sync_state_and_activity(engine: sa.Engine) -> None:
    put(engine, make_records(4))
    hash1 = row(engine, "projecte-00001").content_hash
    _pair(
        engine,
        "projecte-00001",
        topic_id=71,
        topic_slug="xatbot",
        state=SyncStatus.synced,
        content_hash=hash1,
    )
    _pair(engine, "projecte-00002", topic_id=72, state=SyncStatus.synced, content_hash="stale")
    _pair(engine, "projecte-00003", state=SyncStatus.failed, last_error="HTTP 422: title too short")
    posted = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    with Session(engine) as session:
        pid = session.exec(select(Project.id).where(Project.ref == "projecte-00001")).one()
        session.add(
            Activity(
                project_id=pid, replies=5, views=120, likes=7, participants=3, last_posted_at=posted
            )
        )
        session.commit()

    listed = {
        r["ref"]: r for r in read_store.list_records(engine, "ES-CT", "https://forum.exemple.cat")
    }
    assert listed["projecte-00001"]["topic_url"] == "https://forum.exemple.cat/t/xatbot/71"
    assert listed["projecte-00002"]["topic_url"] == "https://forum.exemple.cat/t/-/72"
    assert listed["projecte-00000"]["topic_url"] is None
    assert listed["projecte-00001"]["activity"] == {
        "replies": 5,
        "views": 120,
        "likes": 7,
        "participants": 3,
        "last_posted_at": posted.isoformat(),
    }
    assert listed["projecte-00000"]["activity"] == {
        "replies": 0,
        "views": 0,
        "likes": 0,
        "participants": 0,
        "last_posted_at": None,
    }
    states = {ref: r["sync_state"] for ref, r in listed.items()}
    assert states == {
        "projecte-00000": "never",
        "projecte-00001": "synced",
        "projecte-00002": "pending",
        "projecte-00003": "failed",
    }

    shown = read_store.get_record(engine, "projecte-00003", "ES-CT", None)
    assert (shown["sync_state"], shown["last_error"], shown["topic_id"]) == (
        "failed",
        "HTTP 422: title too short",
        None,
    )
    # archiving a synced record makes it pending: the forum must close the topic
    store.set_archived(engine, "projecte-00001", True)
    assert read_store.get_record(engine, "projecte-00001", "ES-CT")["sync_state"] == "pending"


def test_show_unknown_ref(engine: sa.Engine) -> None:
    with pytest.raises(read_store.UnknownRef):
        read_store.get_record(engine, "no-such-ref", "ES-CT")
    with pytest.raises(store.UnknownRef):
        store.set_archived(engine, "no-such-ref", True)


def test_filters(engine: sa.Engine) -> None:
    records = make_records(36)
    records[5]["title"] = "Plataforma de PARTICIPACIÓ ciutadana"
    put(engine, records)
    everything = read_store.list_records(engine, "ES-CT")

    def refs(**kwargs: Any) -> set[str]:
        return {
            r["ref"]
            for r in read_store.list_records(engine, "ES-CT", None, read_store.Filters(**kwargs))
        }

    assert (
        refs(area=Area.social_services)
        == {r["ref"] for r in everything if r["area"] == "social-services"}
        != set()
    )
    assert (
        refs(phase=Phase.pilot) == {r["ref"] for r in everything if r["phase"] == "pilot"} != set()
    )
    assert (
        refs(kind=Kind.process) == {r["ref"] for r in everything if r["kind"] == "process"} != set()
    )
    km0 = refs(proximity=Proximity.km0)
    foreign = refs(proximity=Proximity.foreign)
    assert km0 and foreign and km0 | foreign == {r["ref"] for r in everything} and not km0 & foreign
    assert refs(search="participacio") == {"projecte-00005"}  # accents and case ignored
    assert refs(search="utrecht") == {
        r["ref"] for r in everything if r["local_body"]["name"] == "Gemeente Utrecht"
    }
    assert refs(area=Area.citizen_care, phase=Phase.prototype) == {
        r["ref"] for r in everything if r["area"] == "citizen-care" and r["phase"] == "prototype"
    }
    store.set_archived(engine, "projecte-00001", True)
    assert "projecte-00001" not in refs()
    assert refs(archived="only") == {"projecte-00001"}
    assert len(refs(archived="include")) == 36


def test_sorts(engine: sa.Engine) -> None:
    put(
        engine,
        [make_record(1, title="Bé"), make_record(2, title="àlgebra"), make_record(3, title="Cua")],
    )
    with Session(engine) as session:
        ids = {p.ref: p.id for p in session.exec(select(Project)).all()}
        session.add(
            Activity(
                project_id=ids["projecte-00003"],
                replies=9,
                last_posted_at=datetime(2024, 1, 1, tzinfo=UTC),
            )
        )
        session.add(
            Activity(
                project_id=ids["projecte-00002"],
                replies=2,
                last_posted_at=datetime(2025, 1, 1, tzinfo=UTC),
            )
        )
        session.commit()

    def order(sort: str) -> list[str]:
        return [
            r["ref"][-1]
            for r in read_store.list_records(engine, "ES-CT", None, read_store.Filters(), sort)
        ]  # type: ignore[arg-type]

    assert order("ref") == ["1", "2", "3"]
    assert order("title") == [
        "2",
        "1",
        "3",
    ]  # àlgebra, Bé, Cua: accents and case do not push to the end
    assert order("activity") == ["3", "2", "1"]
    assert order("recent") == ["2", "3", "1"]


def test_export_includes_archived_records_in_ref_order(engine: sa.Engine) -> None:
    put(engine, [make_record(3), make_record(1), make_record(2)])
    store.set_archived(engine, "projecte-00002", True)
    assert [r["ref"] for r in read_store.export_records(engine)] == [
        "projecte-00001",
        "projecte-00002",
        "projecte-00003",
    ]


def test_archive_and_restore(engine: sa.Engine) -> None:
    put(engine, [make_record(1)])
    assert store.set_archived(engine, "projecte-00001", True) is True
    assert store.set_archived(engine, "projecte-00001", True) is False
    assert read_store.get_record(engine, "projecte-00001", "ES-CT")["archived"] is True
    assert store.set_archived(engine, "projecte-00001", False) is True
    assert read_store.get_record(engine, "projecte-00001", "ES-CT")["archived"] is False
    # re-importing does not restore or archive: it is not part of the record
    store.set_archived(engine, "projecte-00001", True)
    put(engine, [make_record(1, title="Canviat")])
    assert read_store.get_record(engine, "projecte-00001", "ES-CT")["archived"] is True


def test_the_listing_writes_each_record_as_encoding_it_would_stored_or_not(
    engine: sa.Engine,
) -> None:
    """`projects list --json` splices the derived fields into each record's stored listing form
    (issue 15): byte for byte the encoding of the record's dict, for records with a stored form
    and for those written before it was kept (built from their columns), whatever the filters
    and order; `fill_listing_json` stores the missing ones once."""
    from bridge.catalogue.canonical import encode_listed

    records = make_records(12)
    records[4]["proximity"] = "foreign"  # a record's own proximity stays out of the stored form
    put(engine, records)
    store.set_archived(engine, records[7]["ref"], True)
    with engine.begin() as conn:  # as rows written before revision 0010 are
        conn.execute(
            sa.text("UPDATE project SET listing_json = NULL WHERE ref IN (:a, :b, :c)"),
            {"a": records[1]["ref"], "b": records[4]["ref"], "c": records[7]["ref"]},
        )
        state = SyncState.__table__  # type: ignore[attr-defined]
        project_id = conn.execute(sa.text("SELECT id FROM project ORDER BY ref LIMIT 1")).scalar()
        conn.execute(
            sa.insert(state).values(
                project_id=project_id, external_id="dc-x", topic_id=7, topic_slug="x",
                state="synced", closed=False, attempts=0, remote_deleted=False,
                updated_at=datetime(2026, 11, 28, tzinfo=UTC),
            )
        )  # fmt: skip

    def same_everywhere() -> None:
        for filters, sort in (
            (read_store.Filters(), "ref"),
            (read_store.Filters(archived="include"), "title"),
            (read_store.Filters(archived="only"), "ref"),
            (read_store.Filters(proximity=Proximity.foreign), "recent"),
            (read_store.Filters(area=Area.citizen_care), "activity"),
            (read_store.Filters(search="projecte"), "ref"),
        ):
            args = (engine, "ES-CT", "https://forum.exemple.cat", filters, sort)
            lines = list(read_store.iter_listing(*args))  # type: ignore[arg-type]
            records = read_store.iter_records(*args)  # type: ignore[arg-type]
            assert lines == [encode_listed(r) for r in records]
            assert lines, filters  # each case lists something: the comparison is not vacuous

    same_everywhere()
    assert store.fill_listing_json(engine) == 3
    assert store.fill_listing_json(engine) == 0
    same_everywhere()
