"""The persisted text index of `similar` and `find --text` (issue 11's figures): built with
scikit-learn when the catalogue changed, read back otherwise and scored with numpy alone, with
the same results as the in-memory ranking; and the reasons as typed data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from plugins.catalogue import make_record, make_records, real_records, write_records_file
from tests_support import modules_loaded

from bridge.discovery import find, match_json, similar, similar_all
from bridge.discovery import index as persisted
from bridge.discovery.index_store import load as load_stored
from bridge.discovery.rank import index_documents
from bridge.discovery.reasons import Reason, ReasonKind, reason_text
from bridge.discovery.text import analyze, build_index, document

HEAVY = ("sklearn", "scipy")


def _run(tmp_path: Path, *args: str) -> tuple[set[str], str]:
    """A command in a fresh interpreter: (modules it loaded, its stderr)."""
    return modules_loaded(tmp_path, *args)


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def _catalogue(n: int = 30) -> list[dict]:
    """Generated records whose texts differ (make_record's are near twins)."""
    topics = [
        ("Xatbot municipal", "Assistent virtual que respon dubtes del padró i tràmits."),
        ("Sensors de soroll", "Xarxa de sensors IoT que mesura el soroll als carrers."),
        ("Pressupostos participatius", "Votació ciutadana en línia de les inversions del barri."),
        ("Cita prèvia", "Reserva de cita en línia per a l'oficina d'atenció ciutadana."),
        ("Arxiu electrònic", "Gestió documental i arxiu electrònic dels expedients."),
    ]
    records = []
    for i in range(n):
        title, text = topics[i % len(topics)]
        extra = {"analysis": {"technology": ["Blockchain", "Intel·ligència artificial"][i % 2]}}
        records.append(make_record(i, title=f"{title} {i}", description=text, **extra))
    return records


# --------------------------------------------------------------------------- pure: same results


def test_a_stored_index_ranks_exactly_as_the_in_memory_one() -> None:
    records = [*_catalogue(), make_record(90, archived=True, description="Xatbot arxivat.")]
    records = [dict(r, archived=bool(r.get("archived"))) for r in records]
    index = persisted.load(
        json.loads(json.dumps(persisted.dump(build_index(index_documents(records)))))
    )
    assert index is not None
    for r in records:
        assert similar(records, r["ref"], index=index) == similar(records, r["ref"])
    for question in ("xatbot padró", "soroll als carrers", "res de res"):
        assert find(records, text=question, index=index) == find(records, text=question)
    # The forum's sections (all rows at once, scipy) choose as `similar` (one row, numpy).
    together = similar_all(records, index=index)
    for ref, matches in together.items():
        assert matches == similar(records, ref, index=index)


def test_a_query_is_weighed_as_scikit_learn_weighs_it() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    documents = [document(r) for r in _catalogue(12)]
    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True).fit(documents)
    index = build_index({f"r{i:02d}": d for i, d in enumerate(documents)})
    for text in ("Xatbot del padró, xatbot de tràmits", "sensors sensors soroll", "res"):
        expected = vectorizer.transform([text]).toarray()[0]
        columns, weights = index.transform(text)
        got = np.zeros(len(index.terms))
        got[columns] = weights
        assert list(index.terms) == list(vectorizer.get_feature_names_out())
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_an_index_of_another_catalogue_is_not_used() -> None:
    records = _catalogue(10)
    other = build_index(index_documents(_catalogue(11)))
    assert similar(records, records[0]["ref"], index=other) == similar(records, records[0]["ref"])


def test_the_real_catalogue_round_trips_and_technology_counts(shared_dir: Path) -> None:
    records = [dict(r, archived=False) for r in real_records(shared_dir)[:300]]
    index = build_index(index_documents(records))
    back = persisted.load(json.loads(json.dumps(persisted.dump(index))))
    assert back is not None and back.refs == index.refs and back.terms == index.terms
    for name in ("idf", "data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(back, name), getattr(index, name))
    ref = records[7]["ref"]
    assert similar(records, ref, index=back) == similar(records, ref)
    # Two records of one technology and otherwise alike: "same technology" is a reason.
    pair = [
        make_record(1, ref="a", area="citizen-care", analysis={"technology": "Blockchain"}),
        make_record(4, ref="b", area="citizen-care", analysis={"technology": "blockchain"}),
        make_record(7, ref="c", area="citizen-care", analysis={"technology": "IA"}),
    ]
    first = similar(pair, "a")[0]
    assert first.ref == "b" and Reason(ReasonKind.SAME_TECHNOLOGY, value="blockchain") in first.why


# --------------------------------------------------------------------------- persisted


def test_stale_index_is_rebuilt_and_a_fresh_one_loads_without_scikit_learn(
    cli, tmp_path: Path, engine
) -> None:
    records = make_records(16)
    path = write_records_file(tmp_path / "r.json", records)
    assert cli("import", path).exit_code == 0
    ref = records[0]["ref"]
    assert load_stored(engine, persisted.KEY) is None

    modules, stderr = _run(tmp_path, "similar", ref, "--json")  # no index yet: built
    assert _heavy(modules) and "building the similarity index of 16 records" in stderr
    stored = load_stored(engine, persisted.KEY)
    assert stored is not None and stored[0] == persisted.catalogue_key(engine)

    for args in (
        ("similar", ref, "--json"),
        ("find", "--text", "projecte", "--json"),
        ("find", "--like", "Olot", "--within", "80", "--json"),
    ):
        modules, stderr = _run(tmp_path, *args)  # unchanged catalogue: read back
        assert _heavy(modules) == [], args
        assert "building" not in stderr
        # Read commands: through the driver alone (bridge.dbapi), no settings, no rich for JSON.
        light = {"bridge.settings", "pydantic_settings", "pydantic", "rich", "sqlalchemy"}
        assert not light & modules, (args, light & modules)
    fresh = cli("similar", ref, "--json", "--limit", "20").json()

    # A record's text changes: the index is stale, built again, and the answer follows it.
    records[5]["description"] = "Xatbot municipal que respon dubtes del padró."
    records[0]["description"] = "Un xatbot per al padró municipal."
    assert cli("import", write_records_file(tmp_path / "r.json", records)).exit_code == 0
    modules, stderr = _run(tmp_path, "similar", ref, "--json")
    assert _heavy(modules) and "building the similarity index" in stderr
    assert load_stored(engine, persisted.KEY)[0] == persisted.catalogue_key(engine)
    changed = cli("similar", ref, "--json", "--limit", "20").json()

    def words(matches: list[dict]) -> list[str]:
        found = next(m for m in matches if m["ref"] == records[5]["ref"])
        return [r for r in found["reasons"] if r.startswith("shared words: ")]

    assert not any("xatbot" in r for r in words(fresh))
    assert any("xatbot" in r for r in words(changed))

    # Archiving changes the fingerprint too; the archived record is never a result.
    assert cli("projects", "archive", records[5]["ref"]).exit_code == 0
    assert load_stored(engine, persisted.KEY)[0] != persisted.catalogue_key(engine)
    after = cli("similar", ref, "--json").json()
    assert records[5]["ref"] not in {m["ref"] for m in after}


def test_an_index_of_another_format_is_rebuilt(cli, tmp_path: Path, engine) -> None:
    records = make_records(6)
    assert cli("import", write_records_file(tmp_path / "r.json", records)).exit_code == 0
    assert cli("similar", records[0]["ref"]).exit_code == 0
    _key, data = load_stored(engine, persisted.KEY)
    assert persisted.load(dict(data, format="text-index-0")) is None
    assert persisted.load(data) is not None


# --------------------------------------------------------------------------- reasons


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        (Reason(ReasonKind.SAME_AREA), "same area"),
        (Reason(ReasonKind.SAME_KIND), "same kind of change"),
        (Reason(ReasonKind.SAME_TECHNOLOGY, value="Blockchain"), "same technology (Blockchain)"),
        (Reason(ReasonKind.SHARED_WORDS, words=("xatbot", "padró")), "shared words: xatbot, padró"),
        (Reason(ReasonKind.IMPLEMENTED), "implemented"),
        (Reason(ReasonKind.SAME_PHASE, value="pilot"), "same phase (pilot)"),
        (Reason(ReasonKind.SAME_BAND, value="2,001–5,000"), "same population band 2,001–5,000"),
        (Reason(ReasonKind.BAND, value=">50,000"), "population band >50,000"),
        (Reason(ReasonKind.BAND, value=">50,000", same=True), "same population band >50,000"),
        (Reason(ReasonKind.DISTANCE, km=1234.4), "1,234 km away"),
        (Reason(ReasonKind.DISTANCE, km=0.4), "less than 1 km away"),
        (Reason(ReasonKind.SAME_COMARCA, value="Garrotxa"), "same comarca (Garrotxa)"),
        (Reason(ReasonKind.SAME_NUTS3, value="ES512"), "same NUTS 3 region (ES512)"),
    ],
)
def test_each_reason_has_one_english_wording(reason: Reason, text: str) -> None:
    assert reason_text(reason) == text
    assert reason_text(reason, lambda key: None) == text  # no wording given: English


def test_every_reason_kind_has_a_wording_in_english_and_in_each_configured_language() -> None:
    """Every wording key has its English text, and config/bridge.toml words every one of them
    in Catalan and Spanish (`reason_<key>` in [labels.ca] and [labels.es]) with the same fields."""
    import string

    from bridge.discovery.reasons import ENGLISH
    from bridge.settings import load_settings

    settings = load_settings()
    for kind in ReasonKind:
        assert reason_text(Reason(kind, words=("a",), value="v", km=2.0))
    for language in ("ca", "es"):
        labels = settings.labels[language]
        for key, english in ENGLISH.items():
            worded = labels.get(f"reason_{key}")
            assert worded and worded != english, (language, key)
            fields = {f for _, f, _, _ in string.Formatter().parse(english) if f}
            assert {f for _, f, _, _ in string.Formatter().parse(worded) if f} == fields, key


def test_a_reason_in_the_forums_language() -> None:
    from bridge.settings import load_settings

    ca = load_settings().labels["ca"]
    wording = ca.get
    phase = {"pilot": "Pilot"}.__getitem__
    shown = [
        reason_text(r, wording, value=phase, thousands=".")
        for r in (
            Reason(ReasonKind.SAME_AREA),
            Reason(ReasonKind.SAME_PHASE, value="pilot"),
            Reason(ReasonKind.BAND, value="10,001–50,000", same=True),
            Reason(ReasonKind.DISTANCE, km=1234.4),
            Reason(ReasonKind.SHARED_WORDS, words=("xatbot", "padró")),
        )
    ]
    assert shown == [
        ca["reason_same_area"],
        ca["reason_same_phase"].format(value="Pilot"),
        ca["reason_band_same"].format(value="10.001–50.000"),
        ca["reason_distance"].format(km="1.234"),
        ca["reason_shared_words"].format(words="xatbot, padró"),
    ]
    assert not any("same" in s or "shared" in s for s in shown)


def test_matches_carry_typed_reasons_and_json_shows_their_wording() -> None:
    records = _catalogue(10)
    for match in similar(records, records[0]["ref"]):
        assert match.why and all(isinstance(r, Reason) for r in match.why)
        shown = match_json(match)["reasons"]
        assert shown == [reason_text(r) for r in match.why] == list(match.reasons)
        words = [r for r in match.why if r.kind is ReasonKind.SHARED_WORDS]
        assert all(r.words for r in words)
