"""Issue 22 point 5: who took up whose project — `inspired_by` in every format, validated,
stored in `project_inspiration` (both databases), `projects link`, both directions in the topics,
the similar reason, `projects list --sort spread` and open data's relation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from plugins.catalogue import make_record, write_records_file

from bridge.catalogue import store
from bridge.catalogue.importer import run_import
from bridge.catalogue.inspiration import Built, End, Relations, relations
from bridge.models.enums import LinkSource

HARVESTED = {
    "source": "https://example.org/catalog.jsonld",
    "source_id": "42",
    "harvested_at": "2026-01-02T03:04:05+00:00",
    "licence": "CC-BY-4.0",
}


def _records() -> list[dict[str, Any]]:
    """r0 Abrera, r1 Girona, r3 Tàrrega, r4 L'Hospitalet, r6 Abrera, r7 Girona, and a harvested
    record: r0 was taken up in Girona (twice: one council) and Tàrrega; r4 in Tàrrega, Girona and
    Abrera; r3 also built on the harvested one."""
    ref = lambda i: f"projecte-{i:05d}"  # noqa: E731
    records = [make_record(i) for i in (0, 1, 3, 4, 6, 7)]
    by = {r["ref"]: r for r in records}
    by[ref(1)]["inspired_by"] = [ref(0)]
    by[ref(3)]["inspired_by"] = [ref(4), ref(0), "jrc:42"]  # kept as a set: written sorted
    by[ref(7)]["inspired_by"] = [ref(0), ref(4)]
    by[ref(6)]["inspired_by"] = [ref(4)]
    harvested = make_record(9, ref="jrc:42", provenance=HARVESTED)
    return [*records, harvested]


def _links(engine: sa.Engine) -> set[tuple[str, str, str]]:
    query = sa.text(
        "SELECT a.ref, b.ref, i.source FROM project_inspiration i "
        "JOIN project a ON a.id = i.project_id JOIN project b ON b.id = i.inspired_by_id"
    )
    with engine.connect() as conn:
        return {(a, b, str(s)) for a, b, s in conn.execute(query)}


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("kind", ["json", "yaml", "csv", "xlsx"])
def test_inspired_by_round_trips_through_every_format(cli, tmp_path, engine, kind) -> None:
    source = write_records_file(tmp_path / "in.json", _records())
    assert cli("import", source).exit_code == 0
    assert ("projecte-00003", "jrc:42", "declared") in _links(engine)
    assert len(_links(engine)) == 7
    first = tmp_path / f"out.{kind}"
    assert cli("export", first).exit_code == 0
    if kind in ("json", "yaml"):
        text = first.read_text(encoding="utf-8")
        assert "inspired_by" in text
    if kind == "json":
        shown = {r["ref"]: r.get("inspired_by") for r in json.loads(first.read_text())}
        assert shown["projecte-00003"] == ["jrc:42", "projecte-00000", "projecte-00004"]
        assert shown["projecte-00000"] is None  # absent where it built on nothing
    again = cli("import", first, "--json")
    assert again.exit_code == 0, again.stderr
    summary = again.json()
    assert summary["updated"] == 0 and summary["created"] == 0
    assert summary["unchanged"] == len(_records())
    second = tmp_path / f"again.{kind}"
    assert cli("export", second).exit_code == 0
    if kind != "xlsx":  # the workbook's bytes carry its writing time
        assert second.read_bytes() == first.read_bytes()
    assert len(_links(engine)) == 7


def test_a_csv_cell_may_list_refs_separated_by_commas_under_the_catalan_header(
    cli, tmp_path, engine
) -> None:
    from bridge.catalogue.catalan import HEADERS
    from bridge.catalogue.formats import CSV_COLUMNS, dumps

    assert HEADERS["inspired_by"] == "inspirat en" and "inspired_by" in CSV_COLUMNS
    records = [make_record(0), make_record(1), make_record(3)]
    text = dumps(records, "csv")
    header, *rows = text.splitlines()
    columns = header.split(",")
    at = columns.index("inspired_by")
    columns[at] = "inspirat en"  # the template's Catalan header
    cells = list(__import__("csv").reader(rows))
    cells[2][at] = "projecte-00000 , projecte-00001"
    path = tmp_path / "plantilla.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = __import__("csv").writer(handle)
        writer.writerow(columns)
        writer.writerows(cells)
    run = cli("import", path)
    assert run.exit_code == 0, run.stderr
    assert _links(engine) == {
        ("projecte-00003", "projecte-00000", "declared"),
        ("projecte-00003", "projecte-00001", "declared"),
    }


def test_the_template_has_the_column_with_its_catalan_header(cli, tmp_path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "plantilla.xlsx"
    assert cli("template", path).exit_code == 0
    headers = [c.value for c in next(load_workbook(path).worksheets[0].iter_rows(max_row=1))]
    assert "inspirat en" in headers


# --------------------------------------------------------------------------- validation


def _problems(cli, tmp_path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    run = cli("import", write_records_file(tmp_path / "bad.json", records), "--json")
    assert run.exit_code == 2, run.stdout
    return run.json()["problems"]


def test_an_unknown_ref_is_a_problem_and_nothing_is_written(cli, tmp_path, engine) -> None:
    records = [make_record(0, inspired_by=["no-such-project"]), make_record(1)]
    (problem,) = _problems(cli, tmp_path, records)
    assert problem["ref"] == "projecte-00000" and problem["field"] == "inspired_by[0]"
    assert "'no-such-project'" in problem["reason"] and "unknown ref" in problem["reason"]
    dry = cli("import", write_records_file(tmp_path / "d.json", records), "--dry-run")
    assert dry.exit_code == 2 and "no-such-project" in dry.stderr + dry.stdout
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM project")).scalar() == 0


def test_a_ref_already_stored_may_be_named_by_a_later_import(cli, tmp_path, engine) -> None:
    assert cli("import", write_records_file(tmp_path / "a.json", [make_record(0)])).exit_code == 0
    later = [make_record(1, inspired_by=["projecte-00000"])]
    assert cli("import", write_records_file(tmp_path / "b.json", later)).exit_code == 0
    assert _links(engine) == {("projecte-00001", "projecte-00000", "declared")}
    # The file is the record's content: importing it without the list forgets the link.
    assert cli("import", write_records_file(tmp_path / "c.json", [make_record(1)])).exit_code == 0
    assert _links(engine) == set()


@pytest.mark.parametrize(
    ("listed", "reason"),
    [
        (["projecte-00000"], "cannot build on itself"),
        (["projecte-00001", "projecte-00001"], "listed twice"),
        (["Not A Ref"], "is not a valid ref"),
        ("projecte-00001", "must be a list"),
    ],
)
def test_invalid_lists_are_refused(cli, tmp_path, listed, reason) -> None:
    records = [make_record(0, inspired_by=listed), make_record(1)]
    problems = _problems(cli, tmp_path, records)
    assert any(p["field"] == "inspired_by" and reason in p["reason"] for p in problems), problems


# --------------------------------------------------------------------------- projects link


def test_projects_link_records_and_removes_a_link(cli, tmp_path, engine) -> None:
    source = write_records_file(tmp_path / "in.json", [make_record(0), make_record(1)])
    assert cli("import", source).exit_code == 0
    before = cli("projects", "show", "projecte-00001", "--json").json()
    run = cli("projects", "link", "projecte-00001", "--inspired-by", "projecte-00000", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json() == {
        "ref": "projecte-00001",
        "inspired_by": ["projecte-00000"],
        "changed": True,
        "removed": False,
    }
    assert before["replicated_in"] == []
    after = cli("projects", "show", "projecte-00001", "--json").json()
    assert after["inspired_by"] == ["projecte-00000"] and after["replicated_in"] == []
    origin = cli("projects", "show", "projecte-00000", "--json").json()
    assert origin["replicated_in"] == ["projecte-00001"] and "inspired_by" not in origin
    assert "replicated in" in cli("projects", "show", "projecte-00000").stdout
    assert after["revision"] == before["revision"] + 1
    assert after["content_hash"] != before["content_hash"]
    listed = cli("projects", "list", "--json").json()
    assert {r["ref"]: r.get("inspired_by") for r in listed}["projecte-00001"] == ["projecte-00000"]
    # The stored fingerprint is the content's: an export of it imports unchanged.
    out = tmp_path / "out.json"
    assert cli("export", out).exit_code == 0
    assert cli("import", out, "--json").json()["unchanged"] == 2

    again = cli("projects", "link", "projecte-00001", "--inspired-by", "projecte-00000")
    assert again.exit_code == 0 and "already names" in again.stdout
    human = cli("projects", "show", "projecte-00001")
    assert "built on" in human.stdout and "projecte-00000" in human.stdout

    gone = cli(
        "projects", "link", "projecte-00001", "--inspired-by", "projecte-00000", "--remove",
        "--json",
    )  # fmt: skip
    assert gone.json()["changed"] is True and gone.json()["inspired_by"] == []
    assert _links(engine) == set()
    shown = cli("projects", "show", "projecte-00001", "--json").json()
    assert "inspired_by" not in shown and shown["content_hash"] == before["content_hash"]


@pytest.mark.parametrize(
    ("ref", "other", "message"),
    [
        ("projecte-00000", "no-such", "no record with ref 'no-such'"),
        ("no-such", "projecte-00000", "no record with ref 'no-such'"),
        ("projecte-00000", "projecte-00000", "cannot build on itself"),
        ("jrc:42", "projecte-00000", "harvested record"),
    ],
)
def test_projects_link_refuses_with_exit_2(cli, tmp_path, engine, ref, other, message) -> None:
    records = [make_record(0), make_record(9, ref="jrc:42", provenance=HARVESTED)]
    assert cli("import", write_records_file(tmp_path / "in.json", records)).exit_code == 0
    run = cli("projects", "link", ref, "--inspired-by", other)
    assert run.exit_code == 2 and message in run.stderr and not run.stdout
    assert _links(engine) == set()


def test_a_link_to_a_harvested_record_is_allowed(cli, tmp_path, engine) -> None:
    records = [make_record(0), make_record(9, ref="jrc:42", provenance=HARVESTED)]
    assert cli("import", write_records_file(tmp_path / "in.json", records)).exit_code == 0
    run = cli("projects", "link", "projecte-00000", "--inspired-by", "jrc:42")
    assert run.exit_code == 0 and _links(engine) == {("projecte-00000", "jrc:42", "declared")}


def test_link_inspiration_keeps_the_first_source(engine, tmp_path) -> None:
    path = write_records_file(tmp_path / "in.json", [make_record(0), make_record(1)])
    assert not run_import(engine, [path]).problems
    done = store.link_inspiration(engine, "projecte-00001", "projecte-00000", LinkSource.request)
    assert done.changed and done.inspired_by == ("projecte-00000",)
    again = store.link_inspiration(engine, "projecte-00001", "projecte-00000")
    assert not again.changed
    assert _links(engine) == {("projecte-00001", "projecte-00000", "request")}
    # An import that keeps the link keeps its source; the file's new links are declared.
    records = [make_record(0), make_record(1, inspired_by=["projecte-00000"])]
    path = write_records_file(tmp_path / "again.json", records)
    assert run_import(engine, [path]).result.unchanged == ("projecte-00000", "projecte-00001")
    assert _links(engine) == {("projecte-00001", "projecte-00000", "request")}


def test_the_link_table_bumps_the_catalogue_revision(engine, tmp_path) -> None:
    """Migration 0031's triggers (SQLite and PostgreSQL): a link written by any path, even by
    hand, changes the revision a no-op sync compares."""
    path = write_records_file(tmp_path / "in.json", [make_record(0), make_record(1)])
    assert not run_import(engine, [path]).problems

    from bridge.sync.revision import current

    def revision() -> int:
        with engine.begin() as conn:
            return current(conn)

    with engine.begin() as conn:
        ids = {ref: pid for ref, pid in conn.execute(sa.text("SELECT ref, id FROM project"))}
    start = revision()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO project_inspiration (project_id, inspired_by_id, source, created_at)"
                " VALUES (:a, :b, 'declared', CURRENT_TIMESTAMP)"
            ),
            {"a": ids["projecte-00001"], "b": ids["projecte-00000"]},
        )
    assert revision() > start
    middle = revision()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE project_inspiration SET source = 'request'"))
    assert revision() > middle
    last = revision()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM project_inspiration"))
    assert revision() > last
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # the table's own check
        conn.execute(
            sa.text(
                "INSERT INTO project_inspiration (project_id, inspired_by_id, source, created_at)"
                " VALUES (:a, :a, 'declared', CURRENT_TIMESTAMP)"
            ),
            {"a": ids["projecte-00001"]},
        )


# --------------------------------------------------------------------------- sort spread


def test_projects_list_sort_spread_counts_councils_not_records(cli, tmp_path) -> None:
    assert cli("import", write_records_file(tmp_path / "in.json", _records())).exit_code == 0
    listed = [r["ref"] for r in cli("projects", "list", "--sort", "spread", "--json").json()]
    # r4: Tàrrega, Girona, Abrera (3); r0: Girona twice and Tàrrega (2); jrc:42: Tàrrega (1).
    assert listed[:3] == ["projecte-00004", "projecte-00000", "jrc:42"]
    assert listed[3:] == sorted(listed[3:])
    human = cli("projects", "list", "--sort", "spread")
    assert human.exit_code == 0
    assert human.stdout.index("projecte-00004") < human.stdout.index("projecte-00000")
    counts = {line.split("\t")[0]: line.split("\t")[-1] for line in human.stdout.splitlines()}
    assert counts["projecte-00004"] == "3" and counts["projecte-00000"] == "2"
    assert counts["jrc:42"] == "1" and counts["projecte-00001"] == "0"
    # Over the whole catalogue whatever the filters keep: the councils that took r4 up count
    # even when their records are filtered out.
    area = make_record(4)["area"]
    only = cli("projects", "list", "--sort", "spread", "--area", area, "--json").json()
    assert only[0]["ref"] == "projecte-00004"
    # An archived record took nothing up.
    assert cli("projects", "archive", "projecte-00003").exit_code == 0
    assert cli("projects", "archive", "projecte-00006").exit_code == 0
    listed = [r["ref"] for r in cli("projects", "list", "--sort", "spread", "--json").json()]
    assert listed[:2] == ["projecte-00000", "projecte-00004"]  # r0: Girona; r4: Girona


def test_relations_are_by_council_and_leave_archived_records_out() -> None:
    a = End("a", "Xatbot", "ES:place:08238", "Sant Just Desvern", False)
    vic = End("vic-1", "Xat", "ES:place:08298", "Vic", False)
    vic2 = End("vic-2", "Xat 2", "ES:place:08298", "Vic", False)
    olot = End("olot", "Xat", "ES:place:17114", "Olot", False)
    gone = End("gone", "Xat", "ES:name:x", "X", True)
    found = relations([(vic, a), (vic2, a), (olot, a), (gone, a), (olot, vic)])
    assert found["a"] == Relations((), ("Olot", "Vic"), 2)
    assert found["olot"].built_on == (
        Built("a", "Xatbot", "Sant Just Desvern"),
        Built("vic-1", "Xat", "Vic"),
    )
    assert "gone" not in found and found["vic-1"].spread == 1


# --------------------------------------------------------------------------- topics


def test_both_topics_show_the_relation_in_the_forums_language(harness, tmp_path) -> None:
    records = [make_record(0), make_record(1), make_record(3)]
    assert not run_import(
        harness.engine, [write_records_file(tmp_path / "a.json", records)]
    ).problems
    assert harness.sync().created == 3
    assert harness.sync().requests == 0  # nothing changed: a no-op
    store.link_inspiration(harness.engine, "projecte-00001", "projecte-00000")
    store.link_inspiration(harness.engine, "projecte-00003", "projecte-00000")
    summary = harness.sync()
    assert summary.updated == 3, summary  # both ends' topics (r0 once for both links)
    origin = harness.topic_of("projecte-00000").posts[0].raw
    assert "## D'on ve i on s'ha replicat" in origin
    assert "**Replicat a:** Girona, Tàrrega" in origin
    taker = harness.topic_of("projecte-00001").posts[0].raw
    assert f"**Basat en:** {make_record(0)['title']} (Abrera)" in taker
    assert "Replicat a" not in taker
    assert harness.sync().requests == 0
    # Removing one side rewrites both topics again.
    store.link_inspiration(harness.engine, "projecte-00003", "projecte-00000", remove=True)
    assert harness.sync().updated == 2
    assert "**Replicat a:** Girona\n" in harness.topic_of("projecte-00000").posts[0].raw + "\n"
    assert "Basat en" not in harness.topic_of("projecte-00003").posts[0].raw
    # The origin renamed: the topic of the record that built on it follows.
    renamed = [make_record(0, title="Xatbot municipal reanomenat")]
    assert not run_import(
        harness.engine, [write_records_file(tmp_path / "b.json", renamed)]
    ).problems
    assert harness.sync().updated == 2
    taker = harness.topic_of("projecte-00001").posts[0].raw
    assert "**Basat en:** Xatbot municipal reanomenat (Abrera)" in taker
    harness.assert_consistent()


def test_render_relations_in_english() -> None:
    from bridge.settings import load_settings
    from bridge.sync.render import render_relations

    cfg = load_settings(Path(__file__).resolve().parents[1] / "config" / "bridge.toml")
    english = cfg.model_copy(update={"language": "en"})
    text = render_relations(
        Relations((Built("sj", "Chatbot", "Sant Just Desvern"),), ("Olot", "Vic"), 2), english
    )
    assert "**Built on:** Chatbot (Sant Just Desvern)" in text
    assert "**Replicated in:** Olot, Vic" in text


# --------------------------------------------------------------------------- similar


def test_similar_says_who_built_on_whom_without_moving_anything(cli, tmp_path) -> None:
    from plugins.catalogue import make_records

    records = make_records(24)
    assert cli("import", write_records_file(tmp_path / "r.json", records)).exit_code == 0
    ref = records[0]["ref"]
    before = cli("similar", ref, "--json").json()
    other = before[1]["ref"]
    others_before = cli("similar", other, "--json").json()
    assert cli("projects", "link", ref, "--inspired-by", other).exit_code == 0
    after = cli("similar", ref, "--json").json()
    assert [(m["ref"], m["score"]) for m in after] == [(m["ref"], m["score"]) for m in before]
    assert after[1]["reasons"] == [*before[1]["reasons"], "this project built on it"]
    pairs = list(zip(after, before, strict=True))
    unrelated = [pairs[0], *pairs[2:]]
    assert all(m["reasons"] == b["reasons"] for m, b in unrelated)
    reverse = cli("similar", other, "--json").json()
    assert [m["ref"] for m in reverse] == [m["ref"] for m in others_before]
    mine = [m for m in reverse if m["ref"] == ref]
    if mine:  # the asked record lists it back: from its side the relation reads the other way
        assert "built on this project" in mine[0]["reasons"]


def test_the_reasons_words_in_the_forums_language() -> None:
    from bridge.discovery.reasons import (
        ENGLISH,
        Reason,
        ReasonKind,
        inspiration_reasons,
        reason_text,
    )
    from bridge.settings import load_settings

    asked = {"ref": "a", "inspired_by": ["b"]}
    result = {"ref": "b", "inspired_by": ["a"]}
    assert inspiration_reasons(asked, result) == (
        Reason(ReasonKind.INSPIRED_THIS),
        Reason(ReasonKind.BUILT_ON_THIS),
    )
    assert inspiration_reasons({"ref": "a"}, {"ref": "b"}) == ()
    cfg = load_settings(Path(__file__).resolve().parents[1] / "config" / "bridge.toml")
    wording = cfg.labels["ca"].get
    assert reason_text(Reason(ReasonKind.INSPIRED_THIS), wording) == "aquest projecte s'hi basa"
    assert reason_text(Reason(ReasonKind.BUILT_ON_THIS)) == ENGLISH["built_on_this"]


# --------------------------------------------------------------------------- open data


def test_open_data_has_the_column_and_the_relation_table() -> None:
    from datetime import UTC, datetime

    from bridge.opendata.dictionary import INSPIRATIONS, PROJECTS, TABLES
    from bridge.opendata.tables import public_tables

    names = [c.name for c in PROJECTS.columns]
    assert names.count("inspired_by") == 1 and INSPIRATIONS in TABLES
    column = next(c for c in PROJECTS.columns if c.name == "inspired_by")
    assert column.ca and column.en
    when = datetime(2026, 1, 1, tzinfo=UTC)
    records = [
        {**make_record(0), "archived": False},
        {**make_record(1, inspired_by=["projecte-00000", "projecte-00003"]), "archived": False},
        {**make_record(3), "archived": True},  # not public: its ref is not shown
    ]
    modified = {r["ref"]: when for r in records}
    tables = public_tables(records, modified, None)
    at = names.index("inspired_by")
    assert [row[at] for row in tables.projects] == ["", "projecte-00000"]
    assert tables.inspirations == (("projecte-00001", "projecte-00000"),)
    schema = INSPIRATIONS.schema()
    assert {fk["fields"][0] for fk in schema["foreignKeys"]} == {"ref", "inspired_by"}


def test_a_similar_section_says_it_in_the_forums_language_on_the_related_line_only() -> None:
    from bridge.observatory.sections import build_sections
    from bridge.settings import load_settings

    cfg = load_settings(Path(__file__).resolve().parents[1] / "config" / "bridge.toml")
    records = {
        "a": {**make_record(0, ref="aaa", inspired_by=["bbb"])},
        "b": {**make_record(1, ref="bbb")},
        "c": {**make_record(3, ref="ccc")},
    }
    by_ref = {r["ref"]: r for r in records.values()}
    choice = {"aaa": ["bbb", "ccc"], "bbb": ["aaa", "ccc"], "ccc": ["aaa", "bbb"]}
    links = {"aaa": "/t/a/1", "bbb": "/t/b/2", "ccc": "/t/c/3"}
    text = build_sections(choice, by_ref, links, cfg).text
    b_in_a, c_in_a = text["aaa"].splitlines()[-2:]
    assert b_in_a.endswith("· aquest projecte s'hi basa") and "basa" not in c_in_a
    a_in_b = text["bbb"].splitlines()[-2]
    assert a_in_b.endswith("· s'ha basat en aquest projecte")
    # The third record's list shows both without the relation: it is neither's.
    assert "basa" not in text["ccc"] and "basat" not in text["ccc"]
