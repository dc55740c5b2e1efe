"""Harvest sources one by one (issue 23): the JRC inventory as published, DCAT-AP in Turtle and
RDF/XML, duplicates across sources, the dry run, the CLI's exit codes, and hostile sources — each
refused with a clear message and nothing written. Database tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from plugins.catalogue import Run, make_record

from bridge.catalogue.importer import run_import
from bridge.catalogue.refs import REF_RE, harvested_ref, source_slug
from bridge.db import make_engine, upgrade
from bridge.harvest.licences import allows_republishing
from bridge.harvest.model import Action, SourceOutcome
from bridge.harvest.run import SourceSpec, harvest
from bridge.opendata.config import OpenDataConfig
from bridge.opendata.publish import publish

JRC = "projects_jrc_ipsx_cases_2022.csv"


def _count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def _nothing_written(engine: sa.Engine) -> None:
    for table in ("project", "local_body", "harvest_source", "harvest_link"):
        assert _count(engine, table) == 0, table


def _failed(outcomes: list[SourceOutcome]) -> str:
    (outcome,) = outcomes
    assert outcome.error, "the source should have failed"
    return outcome.error


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """serve(directory) or serve(handler=cls): a server on 127.0.0.1, its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(directory: Path | None = None, handler: Any = None) -> str:
        cls = handler or partial(_Quiet, directory=str(directory or tmp_path))
        server = ThreadingHTTPServer(("127.0.0.1", 0), cls)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _package(tmp_path: Path, name: str, records: list[dict[str, Any]]) -> Path:
    """A DigiCanvis open-data package of these records (written by a catalogue of its own)."""
    engine = make_engine(f"sqlite:///{tmp_path / (name + '.db')}")
    upgrade(engine)
    source = tmp_path / f"{name}.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    assert not run_import(engine, [source]).problems
    directory = tmp_path / name
    base = f"https://{name}.example/opendata"
    publish(
        engine, directory, OpenDataConfig(base_url=base), home_region="ES-CT", discourse_url=None
    )
    engine.dispose()
    return directory / "datapackage.json"


# --------------------------------------------------------------------------- refs


def test_ref_rule_local_and_harvested() -> None:
    assert REF_RE.match("projecte-1") and REF_RE.match("jrc:10001")
    assert not REF_RE.match("a:b:c") and not REF_RE.match("Jrc:1") and not REF_RE.match(":abc")
    assert harvested_ref("jrc", "10001") == "jrc:10001"
    # Identifiers that are not ref characters are folded, with a hash so that two never meet.
    one, two = harvested_ref("b", "A:1"), harvested_ref("b", "a-1")
    assert one != two and REF_RE.match(one) and two == "b:a-1"
    long = harvested_ref("source", "x" * 200)
    assert len(long) <= 64 and REF_RE.match(long)
    assert source_slug("jrc:1") == "jrc" and source_slug("local-ref") is None


def test_a_local_record_cannot_take_a_namespace(tmp_path: Path, engine: sa.Engine) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps([make_record(1, ref="jrc:10001")]), encoding="utf-8")
    outcome = run_import(engine, [path])
    assert any("provenance" in p.reason for p in outcome.problems)
    _nothing_written(engine)


def test_licences() -> None:
    assert allows_republishing("https://creativecommons.org/licenses/by/4.0/")
    assert allows_republishing("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")
    assert not allows_republishing("https://creativecommons.org/licenses/by-nc/4.0/")
    assert not allows_republishing(None) and not allows_republishing("all rights reserved")


# --------------------------------------------------------------------------- real data


def test_jrc_inventory_as_published(shared_dir: Path, engine: sa.Engine, serve) -> None:
    url = serve(shared_dir / "data") + f"/{JRC}"
    (outcome,) = harvest(engine, [SourceSpec(url, "jrc")])
    assert outcome.error is None
    with open(shared_dir / "data" / JRC, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # Rows "across countries" name no country: they cannot be fitxes, and are said so.
    no_country = [r for r in rows if not r["geocoverage_codes"].strip()]
    # One row names nine Dutch agencies as its lead organisation (434 characters): the catalogue
    # holds a body's name to 500 characters (revision 0026, so that the file goes in as
    # published), so it is harvested whole with the rest.
    long_names = [r for r in rows if len(r["lead_organisation_name"]) > 200]
    assert [r["id"] for r in long_names] == ["10339"]
    assert outcome.count(Action.add) == len(rows) - len(no_country) == 829
    assert sum("skipped" in w for w in outcome.warnings) == len(no_country)
    assert not any("jrc:10339" in w for w in outcome.warnings)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT b.name FROM project p JOIN local_body b ON b.id = p.local_body_id "
                "WHERE p.ref = 'jrc:10339'"
            )
        ).scalar_one()
    assert stored == " ".join(long_names[0]["lead_organisation_name"].split())
    with engine.connect() as conn:
        prov = conn.execute(
            sa.text("SELECT provenance_json FROM project WHERE ref = 'jrc:10001'")
        ).scalar_one()
    provenance = json.loads(prov)
    assert provenance["source"] == url and provenance["source_id"] == "10001"
    assert provenance["url"] == "https://www.usp.gv.at/Portal.Node/usp/public"
    # Again: the server's Last-Modified answers 304, nothing is read or written.
    (again,) = harvest(engine, [SourceSpec(url, "jrc")])
    assert again.not_modified and again.planned == ()


def test_csv_with_bom_and_semicolons(shared_dir: Path, engine: sa.Engine, tmp_path: Path) -> None:
    with open(shared_dir / "data" / JRC, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[:20]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=";").writerows(rows)
    path = tmp_path / "jrc-excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    (outcome,) = harvest(engine, [SourceSpec(str(path), "jrc")])
    assert outcome.error is None
    assert "read as ';'-separated CSV" in outcome.warnings
    assert outcome.count(Action.add) == 19 - sum(1 for r in rows[1:] if not r[10].strip())


def test_population_checked_against_the_gazetteer(tmp_path: Path, engine: sa.Engine) -> None:
    record = make_record(0)
    record["local_body"]["population"] = 3  # Abrera has some 12,800 inhabitants
    package = _package(tmp_path, "pop", [record])
    (outcome,) = harvest(engine, [SourceSpec(str(package), "pop")])
    assert outcome.error is None and outcome.count(Action.add) == 1
    assert any("population" in w for w in outcome.warnings), outcome.warnings


# --------------------------------------------------------------------------- DCAT datasets

_TURTLE = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://obs.example/cat> a dcat:Catalog ; dct:publisher [ foaf:name "Observatori de prova" ] ;
  dct:license <https://creativecommons.org/licenses/by/4.0/> ;
  dcat:dataset <https://obs.example/d/1>, <https://obs.example/d/2> .
<https://obs.example/d/1> a dcat:Dataset ; dct:identifier "OBS/1" ;
  dct:title "Chatbot municipal"@ca ; dct:description "Un assistent per al padró."@ca ;
  dct:publisher [ foaf:name "Ajuntament d'Olot" ] ;
  dct:spatial <http://publications.europa.eu/resource/authority/country/ESP> ;
  dct:modified "2024-05-01" ; dcat:landingPage <https://obs.example/p/1> .
<https://obs.example/d/2> a dcat:Dataset ; dct:identifier "OBS/2" ;
  dct:title "Cita prèvia"@ca ; dct:description "Cita prèvia en línia."@ca .
"""


def test_dcat_datasets_turtle_and_rdfxml(tmp_path: Path, engine: sa.Engine) -> None:
    from rdflib import Graph

    ttl = tmp_path / "cat.ttl"
    ttl.write_text(_TURTLE, encoding="utf-8")
    spec = partial(SourceSpec, defaults=_defaults())
    (outcome,) = harvest(engine, [spec(str(ttl), "obs")])
    assert outcome.error is None and outcome.kind and outcome.kind.value == "dcat"
    assert sorted(p.ref for p in outcome.planned) == sorted(
        [harvested_ref("obs", "OBS/1"), harvested_ref("obs", "OBS/2")]
    )
    xml = tmp_path / "cat.rdf"
    xml.write_text(Graph().parse(data=_TURTLE, format="turtle").serialize(format="xml"))
    (other,) = harvest(engine, [spec(str(xml), "obsxml")])
    # The same two projects from a second source: same council, same title, kept once.
    assert other.error is None and other.count(Action.merge) == 2, other.planned


def _defaults() -> Any:
    from bridge.harvest.model import Defaults

    return Defaults(area="citizen-care", kind="service", phase="implemented", country="ES")


# --------------------------------------------------------------------------- duplicates


def test_duplicates_across_sources_kept_once(tmp_path: Path, engine: sa.Engine, cli) -> None:
    first = _package(tmp_path, "one", [make_record(0), make_record(1)])
    twin = make_record(0, ref="copia", title="PROJECTE DE TRANSFORMACIÓ DIGITAL NÚM. 0")
    second = _package(tmp_path, "two", [twin, make_record(5)])
    assert harvest(engine, [SourceSpec(str(first), "one")])[0].count(Action.add) == 2
    (dry,) = harvest(engine, [SourceSpec(str(second), "two")], dry_run=True)
    merged = [p for p in dry.planned if p.action is Action.merge]
    assert [(p.ref, p.into) for p in merged] == [("two:copia", "one:projecte-00000")]
    assert _count(engine, "harvest_link") == 0  # a dry run writes nothing
    harvest(engine, [SourceSpec(str(second), "two")])
    assert _count(engine, "project") == 3
    shown = cli("projects", "show", "one:projecte-00000", "--json").json()
    assert [p["source_id"] for p in shown["also_harvested_from"]] == ["copia"]
    assert shown["provenance"]["source_id"] == "projecte-00000"
    text = cli("projects", "show", "one:projecte-00000")
    assert text.exit_code == 0 and "harvested from" in text.stdout and "copia" in text.stdout
    # Gone from the first source but still published by the second: kept, not archived.
    only_one = _package(tmp_path, "one-later", [make_record(1)])
    for name in ("datapackage.json", "projects.csv", "documents.csv", "contacts.csv"):
        (first.parent / name).write_bytes((only_one.parent / name).read_bytes())
    (later,) = harvest(engine, [SourceSpec(str(first), "one")])
    assert later.error is None and later.count(Action.archive) == 0
    assert any("another source publishes it" in w for w in later.warnings)
    assert _count(engine, "project WHERE archived") == 0


# --------------------------------------------------------------------------- the CLI


def test_cli_dry_run_and_exit_codes(tmp_path: Path, cli) -> None:
    package = _package(tmp_path, "cli", [make_record(0), make_record(1)])
    dry: Run = cli("harvest", str(package), "--slug", "cli", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "would be 2 added" in dry.stdout and "add      cli:projecte-00000" in dry.stdout
    assert cli("projects", "list", "--json").json() == []
    some = cli("harvest", str(package), str(tmp_path / "missing.json"), "--json")
    assert some.exit_code == 1
    report = some.json()["sources"]
    assert report[0]["added"] == 2 and "file not found" in report[1]["error"]
    assert "error: " in some.stderr
    none = cli("harvest", str(tmp_path / "missing.json"))
    assert none.exit_code == 2 and "file not found" in none.stderr
    again = cli("harvest", str(package))
    assert again.exit_code == 0 and "unchanged" in again.stdout
    assert cli("harvest").exit_code == 2  # no SOURCE and no [[harvest]]


# --------------------------------------------------------------------------- hostile sources


def test_a_million_datasets(tmp_path: Path, engine: sa.Engine) -> None:
    path = tmp_path / "huge.jsonld"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"@context": {"dcat": "http://www.w3.org/ns/dcat#"}, "@graph": [')
        handle.write(",".join(['{"@type": "dcat:Dataset"}'] * 10**6))
        handle.write("]}")
    error = _failed(harvest(engine, [SourceSpec(str(path), "huge")]))
    assert "1,000,000 datasets" in error and "at most 100,000" in error
    _nothing_written(engine)


def test_resource_path_escaping_the_package(tmp_path: Path, engine: sa.Engine, serve) -> None:
    package = _package(tmp_path, "esc", [make_record(0)])
    descriptor = json.loads(package.read_bytes())
    secret = tmp_path / "secret.csv"
    secret.write_text("ref,title\nx,y\n", encoding="utf-8")
    for path, said in (("../secret.csv", "escapes"), (str(secret), "absolute")):
        descriptor["resources"][0]["path"] = path
        package.write_text(json.dumps(descriptor), encoding="utf-8")
        assert said in _failed(harvest(engine, [SourceSpec(str(package), "esc")]))
        url = serve(tmp_path) + "/esc/datapackage.json"
        assert said in _failed(harvest(engine, [SourceSpec(url, "esc")]))
    _nothing_written(engine)


def test_redirect_to_another_host(engine: sa.Engine, serve) -> None:
    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            port = self.server.server_address[1]
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/catalog.jsonld")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    url = serve(handler=Redirect) + "/catalog.jsonld"
    error = _failed(harvest(engine, [SourceSpec(url, "redir")]))
    assert "redirected to another host (localhost:" in error
    _nothing_written(engine)


def test_html_instead_of_jsonld(tmp_path: Path, engine: sa.Engine, serve) -> None:
    (tmp_path / "catalog.jsonld").write_text(
        "<!DOCTYPE html><html><body>Log in</body></html>", encoding="utf-8"
    )
    error = _failed(harvest(engine, [SourceSpec(serve(tmp_path) + "/catalog.jsonld", "html")]))
    assert "an HTML page" in error
    _nothing_written(engine)


def test_partial_and_malformed_sources(tmp_path: Path, engine: sa.Engine, serve) -> None:
    class Cut(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b'{"@context": {}, "@graph": [')
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    assert "partial" in _failed(harvest(engine, [SourceSpec(serve(handler=Cut) + "/c", "cut")]))
    broken = tmp_path / "broken.json"
    broken.write_text('{"resources": [', encoding="utf-8")
    assert "not valid JSON" in _failed(harvest(engine, [SourceSpec(str(broken), "broken")]))
    # A package whose CSV was cut short: its size and sha256 are not the descriptor's.
    package = _package(tmp_path, "cut", [make_record(0), make_record(1)])
    projects = package.parent / "projects.csv"
    projects.write_bytes(projects.read_bytes()[:-40])
    assert "partial" in _failed(harvest(engine, [SourceSpec(str(package), "cut")]))
    wrong = tmp_path / "other.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    assert "known layout" in _failed(harvest(engine, [SourceSpec(str(wrong), "other")]))
    assert "unreachable" in _failed(harvest(engine, [SourceSpec("http://127.0.0.1:9/x", "gone")]))
    _nothing_written(engine)


def test_a_source_slug_names_one_source(tmp_path: Path, engine: sa.Engine) -> None:
    one = _package(tmp_path, "s1", [make_record(0)])
    two = _package(tmp_path, "s2", [make_record(3)])
    assert harvest(engine, [SourceSpec(str(one), "same")])[0].error is None
    error = _failed(harvest(engine, [SourceSpec(str(two), "same")]))
    assert "already names another source" in error


# --------------------------------------------------------------------------- configuration


def test_harvest_list_in_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests_support import repo_config_with

    from bridge.settings import ConfigError, load_settings

    for name in ("BRIDGE_CONFIG", "BRIDGE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "bridge.toml"
    entry = '[[harvest]]\nsource = "https://obs.example/catalog.jsonld"\nslug = "obs"\n'
    entry += 'area = "citizen-care"\nkind = "service"\nphase = "pilot"\ncountry = "PT"\n\n'
    path.write_text(repo_config_with("[schedule]", entry + "[schedule]"), encoding="utf-8")
    (source,) = load_settings(path).harvest
    assert source.slug == "obs" and source.defaults().country == "PT"
    assert source.defaults().area == "citizen-care"
    # A key the model does not declare is refused, not ignored.
    path.write_text(
        repo_config_with("[schedule]", entry.replace("slug", "slugg") + "[schedule]"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="slugg"):
        load_settings(path)


def test_export_then_import_of_harvested_records_changes_nothing(
    tmp_path: Path, engine: sa.Engine, cli
) -> None:
    package = _package(tmp_path, "exp", [make_record(0), make_record(1)])
    assert cli("harvest", str(package), "--slug", "exp").exit_code == 0
    for name in ("all.json", "all.csv", "all.yaml", "all.xlsx"):
        assert cli("export", str(tmp_path / name)).exit_code == 0
        again = cli("import", str(tmp_path / name), "--dry-run", "--json")
        assert again.exit_code == 0, again.stderr
        summary = again.json()
        assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 2)


def test_size_cap_and_timeout(tmp_path: Path, cli, serve) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"id,name\n" + b"1,x\n" * 600_000)
    capped = cli("harvest", str(big), "--max-mb", "1")
    assert capped.exit_code == 2 and "1 MB" in capped.stderr

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            import time

            time.sleep(2)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    slow = cli("harvest", serve(handler=Slow) + "/catalog.jsonld", "--timeout", "0.5")
    assert slow.exit_code == 2 and "no answer within 0.5 s" in slow.stderr


def test_a_source_that_shrinks_by_half_is_refused(
    shared_dir: Path, tmp_path: Path, engine: sa.Engine
) -> None:
    text = (shared_dir / "data" / JRC).read_bytes()
    whole = tmp_path / "jrc.csv"
    whole.write_bytes(text)
    assert harvest(engine, [SourceSpec(str(whole), "jrc")])[0].count(Action.add) == 829
    # Where row 300 ends (descriptions hold line breaks: rows are not lines).
    reader = csv.reader(io.StringIO(text.decode("utf-8"), newline=""))
    for _ in range(301):
        next(reader)
    lines = text.split(b"\n")
    head = b"\n".join(lines[: reader.line_num]) + b"\n"
    # Cut inside a row (after its first cells): the last row has fewer cells than the header.
    whole.write_bytes(head + lines[reader.line_num].split(b",")[0] + b"\n")
    assert "fewer cells" in _failed(harvest(engine, [SourceSpec(str(whole), "jrc")]))
    # Cut between two rows: a valid CSV of a third of the records.
    whole.write_bytes(head)
    error = _failed(harvest(engine, [SourceSpec(str(whole), "jrc")]))
    assert "partial or wrong file" in error
    assert _count(engine, "project WHERE archived") == 0
    (meant,) = harvest(engine, [SourceSpec(str(whole), "jrc")], allow_shrink=True)
    assert meant.error is None and meant.count(Action.archive) > 500


def test_same_project_rule() -> None:
    from bridge.harvest.duplicates import Candidate, same_project

    def c(title: str, body: str = "Ajuntament d'Olot", place: str | None = None, url: str = ""):
        return Candidate("x", title, body, "ES", place, (url,) if url else ())

    assert same_project(c("Chatbot del padró"), c("CHATBOT DEL PADRÓ."))
    assert same_project(c("Padró: chatbot municipal"), c("Chatbot municipal - padró"))
    assert not same_project(
        c("Pressupostos participatius 2021"), c("Pressupostos participatius 2022")
    )
    assert not same_project(c("Chatbot del padró"), c("Chatbot del padró", "Ajuntament de Vic"))
    # The same place decides over two spellings of the council; a shared URL over the title.
    assert same_project(
        c("Chatbot", "Olot City Council", "17114"), c("Chatbot", "Ajuntament d'Olot", "17114")
    )
    url = "https://www.olot.cat/chatbot/"
    assert same_project(
        c("Assistent virtual", url=url), c("Chatbot", url="http://olot.cat/chatbot")
    )


def test_local_copy_of_a_published_directory(tmp_path: Path, engine: sa.Engine) -> None:
    """A catalog.jsonld read from disk is followed to the package beside it, not to the address
    it was published under (https://copy.example, unreachable here)."""
    package = _package(tmp_path, "copy", [make_record(0), make_record(1)])
    (outcome,) = harvest(engine, [SourceSpec(str(package.parent / "catalog.jsonld"), "copy")])
    assert outcome.error is None and outcome.count(Action.add) == 2


def test_own_open_data_refused_through_the_cli(tmp_path: Path, cli) -> None:
    records = tmp_path / "own.json"
    records.write_text(json.dumps([make_record(0), make_record(1)]), encoding="utf-8")
    assert cli("import", str(records)).exit_code == 0
    assert cli("opendata", str(tmp_path / "open")).exit_code == 0
    for name in ("catalog.jsonld", "datapackage.json"):
        refused = cli("harvest", str(tmp_path / "open" / name))
        assert refused.exit_code == 2
        assert "this instance's open data; refused" in refused.stderr
    assert len(cli("projects", "list", "--json").json()) == 2


def test_provenance_rules() -> None:
    from pydantic import ValidationError

    from bridge.catalogue.schema import ProvenanceIn

    for modified in ("2024", "2024-05", "2024-05-01", "2024-05-01T10:00:00.5+02:00"):
        kept = ProvenanceIn(source="s", source_id="i", harvested_at="2026-01-01", modified=modified)
        assert kept.modified == modified  # kept as the source wrote it
    with pytest.raises(ValidationError, match="ISO 8601"):
        ProvenanceIn(source="s", source_id="i", harvested_at="yesterday")
    with pytest.raises(ValidationError, match="source"):
        ProvenanceIn(source_id="i", harvested_at="2026-01-01")  # type: ignore[call-arg]


def test_conditional_request_with_etag() -> None:
    """The fetcher sends the last ETag and Last-Modified; a 304 is "not modified", no body."""
    import responses

    from bridge.harvest.fetch import fetch
    from bridge.harvest.model import Validators

    url = "https://obs.example/catalog.jsonld"
    with responses.RequestsMock() as mock:
        mock.get(url, body=b"{}", headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024"})
        first = fetch(url)
        assert first.body == b"{}" and first.validators == Validators('"v1"', "Mon, 01 Jan 2024")
        mock.get(
            url,
            status=304,
            match=[
                responses.matchers.header_matcher(
                    {"If-None-Match": '"v1"', "If-Modified-Since": "Mon, 01 Jan 2024"}
                )
            ],
        )
        again = fetch(url, validators=first.validators)
        assert again.not_modified and again.validators == first.validators
