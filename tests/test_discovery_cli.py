"""`digicanvis similar`, `find` and `projects list --near/--within/--population` (issue 11),
through the CLI on SQLite and PostgreSQL. The generated records carry their councils' own
population and position (before the gazetteer places them)."""

from __future__ import annotations

from plugins.catalogue import make_records, write_records_file

from bridge.discovery.places import distance_km

GIRONA = (41.98311, 2.82493)


def _load(cli, tmp_path, n: int = 24) -> list[dict]:
    records = make_records(n)
    assert cli("import", write_records_file(tmp_path / "r.json", records)).exit_code == 0
    return records


def test_similar_json_best_first_never_archived_nor_itself(cli, tmp_path) -> None:
    records = _load(cli, tmp_path)
    ref = records[0]["ref"]
    first = cli("similar", ref, "--json").json()
    assert 0 < len(first) <= 5
    assert all(
        set(m) == {"ref", "title", "area", "score", "reasons", "topic_url", "place"} for m in first
    )
    assert [m["score"] for m in first] == sorted((m["score"] for m in first), reverse=True)
    assert ref not in {m["ref"] for m in first} and all(m["reasons"] for m in first)
    assert cli("projects", "archive", first[0]["ref"]).exit_code == 0
    again = cli("similar", ref, "--json", "--limit", "8").json()
    assert first[0]["ref"] not in {m["ref"] for m in again} and len(again) == 8
    human = cli("similar", ref)
    assert human.exit_code == 0 and first[1]["ref"] in human.stdout


def test_similar_unknown_ref_exits_2(cli, tmp_path) -> None:
    _load(cli, tmp_path, 3)
    run = cli("similar", "no-such-ref")
    assert run.exit_code == 2 and "unknown ref: no-such-ref" in run.stderr and not run.stdout


def test_find_like_a_council_by_name_or_code(cli, tmp_path) -> None:
    _load(cli, tmp_path)
    by_name = cli("find", "--like", "Girona", "--json").json()
    by_code = cli("find", "--like", "17079", "--json").json()
    assert by_name == by_code and by_name
    assert all((m["place"] or {}).get("name") != "Girona" for m in by_name), "its own are left out"
    # Girona has 106,476 inhabitants: councils over 50,000 first.
    assert "same population band >50,000" in by_name[0]["reasons"]
    within = cli("find", "--like", "Girona", "--within", "120", "--json").json()
    assert within
    for m in within:
        place = m["place"]
        assert distance_km(GIRONA, (place["latitude"], place["longitude"])) <= 120
        assert any(r.endswith("km away") for r in m["reasons"])


def test_find_refuses_bad_questions_with_exit_2(cli, tmp_path) -> None:
    _load(cli, tmp_path, 6)
    no_place = cli("find", "--within", "10")
    assert no_place.exit_code == 2 and "--within needs --like" in no_place.stderr
    unknown = cli("find", "--like", "Atlantis")
    assert unknown.exit_code == 2 and "Atlantis" in unknown.stderr
    bad_area = cli("find", "--area", "nowhere")
    assert bad_area.exit_code == 2


def test_find_by_text_and_area(cli, tmp_path) -> None:
    records = _load(cli, tmp_path)
    area = records[1]["area"]
    found = cli("find", "--text", "projecte transformació digital", "--area", area, "--json").json()
    assert found and all(m["area"] == area for m in found)
    assert all(any(r.startswith("shared words:") for r in m["reasons"]) for m in found)


def test_projects_list_near_within_and_population(cli, tmp_path) -> None:
    _load(cli, tmp_path)
    near = cli("projects", "list", "--near", "Girona", "--within", "100", "--json").json()
    assert near
    distances = [r["distance_km"] for r in near]
    assert distances == sorted(distances) and max(distances) <= 100
    everyone = cli("projects", "list", "--json").json()
    inside = [
        r
        for r in everyone
        if r["local_body"].get("latitude") is not None
        and distance_km(GIRONA, (r["local_body"]["latitude"], r["local_body"]["longitude"])) <= 100
    ]
    assert {r["ref"] for r in near} == {r["ref"] for r in inside}
    sized = cli("projects", "list", "--population", "10000-20000", "--json").json()
    assert sized and all(10_000 <= r["local_body"]["population"] <= 20_000 for r in sized)
    expected = [
        r for r in everyone if 10_000 <= (r["local_body"].get("population") or -1) <= 20_000
    ]
    assert len(sized) == len(expected)


def test_projects_list_place_filters_refuse_bad_input(cli, tmp_path) -> None:
    _load(cli, tmp_path, 6)
    within = cli("projects", "list", "--within", "5")
    assert within.exit_code == 2 and "--within needs --near" in within.stderr
    bad = cli("projects", "list", "--population", "lots")
    assert bad.exit_code == 2 and "--population" in bad.stderr
    unknown = cli("projects", "list", "--near", "Atlantis")
    assert unknown.exit_code == 2


def test_help_explains_the_new_commands(cli) -> None:
    for args in (("similar", "--help"), ("find", "--help")):
        run = cli(*args)
        assert run.exit_code == 0 and "--json" in run.stdout and "--limit" in run.stdout
    assert "--population" in cli("projects", "list", "--help").stdout


def test_demo_shows_similar_find_and_the_observatory_topics(cli) -> None:
    run = cli("demo", "--json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()["observatory"]
    assert doc["similar"]["ref"] == "santjust-xatbot" and doc["similar"]["matches"]
    assert all(m["topic_url"] for m in doc["similar"]["matches"]), "linked to their topics"
    assert doc["find"]["like"] == "Olot" and doc["find"]["matches"]
    pages = {p["page"] for p in doc["pages"]}
    assert "overview" in pages and sum(p.startswith("index:") for p in pages) == 6
    assert all(p["pinned"] for p in doc["pages"])
    assert run.json()["second_sync"]["requests"] == 0
    # Issue 24: the overview shows the two maps and three charts, each an upload of the forum's.
    pictures = doc["pictures"]
    assert len(pictures) == 5
    assert all(p["short_url"].startswith("upload://") and p["url"] for p in pictures)
    assert pictures[0]["alt"].startswith("Mapa de les comarques de Catalunya")
