"""Validation of a record (contract §4), without a database: one test per rule."""

from __future__ import annotations

from typing import Any

import pytest
from plugins.catalogue import make_record, make_records

from bridge.catalogue.canonical import fingerprint, record_dict
from bridge.catalogue.schema import RawRecord, validate_record, validate_records
from bridge.models.enums import Area, Kind, Phase


def problems_for(record: Any) -> list[str]:
    _, problems = validate_record(RawRecord("f.json", 1, record))
    return [f"{p.field}: {p.reason}" for p in problems]


def with_body(**changes: Any) -> dict[str, Any]:
    record = make_record(0)
    record["local_body"] = {**record["local_body"], **changes}
    return record


def test_generated_records_are_valid() -> None:
    valid, problems = validate_records(
        RawRecord("f.json", i, r) for i, r in enumerate(make_records(60), 1)
    )
    assert problems == []
    assert len(valid) == 60


@pytest.mark.parametrize(
    "field", ["ref", "title", "local_body", "description", "area", "kind", "phase"]
)
def test_missing_required_field(field: str) -> None:
    record = make_record(1)
    del record[field]
    assert problems_for(record) == [f"{field}: required field missing"]


@pytest.mark.parametrize("field", ["name", "country"])
def test_missing_required_local_body_field(field: str) -> None:
    record = make_record(1)
    del record["local_body"][field]
    assert problems_for(record) == [f"local_body.{field}: required field missing"]


def test_empty_required_text_is_reported_as_empty() -> None:
    assert problems_for(make_record(1, title="   ")) == ["title: required field is empty"]


@pytest.mark.parametrize(("field", "enum"), [("area", Area), ("kind", Kind), ("phase", Phase)])
def test_unknown_enum_value_lists_the_valid_ones(field: str, enum: type) -> None:
    [problem] = problems_for(make_record(1, **{field: "bogus"}))
    valid = ", ".join(m.value for m in enum)
    assert problem == f"{field}: 'bogus' is not a valid {field}; valid values: {valid}"


def test_unknown_document_kind_lists_the_valid_ones() -> None:
    record = make_record(0)
    record["documents"][0]["kind"] = "book"
    [problem] = problems_for(record)
    assert problem.startswith(
        "documents[0].kind: 'book' is not a valid document kind; valid values: article, demo, video"
    )


@pytest.mark.parametrize(
    "ref", ["ab", "Has-Upper", "with space", "under_score", "x" * 65, "accént"]
)
def test_ref_in_the_wrong_format(ref: str) -> None:
    [problem] = problems_for(make_record(1, ref=ref))
    assert problem.startswith("ref: ") and "3 to 64 lowercase letters, digits and '-'" in problem


@pytest.mark.parametrize("ref", ["abc", "a-b-c", "0123", "x" * 64])
def test_ref_in_the_right_format(ref: str) -> None:
    assert problems_for(make_record(1, ref=ref)) == []


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "ftp://files.example.cat/a.pdf",
        "data:text/html,hi",
        "//example.cat/x",
        "exemple.cat/x",
    ],
)
def test_document_urls_must_be_http(url: str) -> None:
    record = make_record(0)
    record["documents"][0]["url"] = url
    [problem] = problems_for(record)
    assert problem.startswith("documents[0].url: only http and https URLs are allowed")


@pytest.mark.parametrize(
    "url", ["http://exemple.cat", "https://exemple.cat/a?b=c#d", "HTTPS://EXEMPLE.CAT/x"]
)
def test_http_urls_are_kept_as_given(url: str) -> None:
    record = make_record(0)
    record["documents"][0]["url"] = url
    valid, problems = validate_record(RawRecord("f.json", 1, record))
    assert problems == [] and valid.record.documents[0].url == url


def test_url_with_spaces_or_without_host() -> None:
    record = make_record(0)
    record["documents"][0]["url"] = "https://exemple.cat/a b"
    assert "contains spaces" in problems_for(record)[0]
    record["documents"][0]["url"] = "https://"
    assert "has no host" in problems_for(record)[0]


@pytest.mark.parametrize(
    "email",
    [
        "no-at-sign",
        "a@b",
        "a@@b.cat",
        "a b@c.cat",
        "@exemple.cat",
        "a..b@exemple.cat",
        "a@exemple..cat",
    ],
)
def test_invalid_email(email: str) -> None:
    record = make_record(0)
    record["contacts"][0]["email"] = email
    assert problems_for(record) == [f"contacts[0].email: {email!r} is not a valid email address"]


@pytest.mark.parametrize(
    "email", ["anna.puig@ajuntament.cat", "o'brien+obs@exemple.co.uk", "jordi@àrea.cat"]
)
def test_valid_email(email: str) -> None:
    record = make_record(0)
    record["contacts"][0]["email"] = email
    assert problems_for(record) == []


@pytest.mark.parametrize(
    ("population", "reason"),
    [
        (-1, "must not be negative (got -1)"),
        ("many", "must be a whole number, not 'many'"),
        (12.5, "must be a whole number, not 12.5"),
        (True, "must be a whole number, not True"),
    ],
)
def test_bad_population(population: Any, reason: str) -> None:
    assert problems_for(with_body(population=population)) == [f"local_body.population: {reason}"]


def test_whole_float_population_is_a_whole_number() -> None:
    valid, _ = validate_record(RawRecord("f.json", 1, with_body(population=12848.0)))
    assert valid.record.local_body.population == 12848 and isinstance(
        valid.record.local_body.population, int
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("latitude", 90.5), ("latitude", -91), ("longitude", 180.1), ("longitude", -200)],
)
def test_position_out_of_range(field: str, value: float) -> None:
    [problem] = problems_for(with_body(**{field: value}))
    assert problem.startswith(f"local_body.{field}: {value} is out of range")


def test_latitude_needs_longitude() -> None:
    record = with_body()
    del record["local_body"]["longitude"]
    assert problems_for(record) == ["local_body: give both latitude and longitude, or neither"]


def test_region_must_be_in_the_country() -> None:
    assert problems_for(with_body(region="FR-IDF")) == [
        "local_body: region FR-IDF is not in country ES"
    ]


@pytest.mark.parametrize(
    ("field", "value"), [("country", "ESP"), ("country", "1A"), ("region", "Catalunya")]
)
def test_bad_codes(field: str, value: str) -> None:
    [problem] = problems_for(with_body(**{field: value}))
    assert problem.startswith(f"local_body.{field}: must be an ISO 3166")


def test_codes_are_upper_cased() -> None:
    valid, _ = validate_record(RawRecord("f.json", 1, with_body(country="es", region="es-b")))
    assert (valid.record.local_body.country, valid.record.local_body.region) == ("ES", "ES-B")


def test_unknown_field_suggests_the_right_one() -> None:
    record = make_record(1)
    record["titel"] = record.pop("title")
    problems = problems_for(record)
    assert any(
        p.startswith("titel: unknown field (did you mean 'title'? valid fields: ref, title,")
        for p in problems
    )
    assert "title: required field missing" in problems


def test_unknown_nested_field() -> None:
    [problem] = problems_for(with_body(populaton=5))
    assert problem.startswith("local_body.populaton: unknown field (did you mean 'population'?")


def test_municipality_code_must_be_text() -> None:
    # YAML reads an unquoted 08019 as text but 8019 as a number: a number would lose the zero.
    [problem] = problems_for(with_body(municipality_code=8019))
    assert (
        problem.startswith("local_body.municipality_code: must be text") and "quote it" in problem
    )


def test_contact_rules() -> None:
    record = make_record(0)
    record["contacts"] = [
        {"public": True},
        {"name": "Anna", "public": "yes"},
        {"name": "Pere", "forum_username": "@pere"},
    ]
    problems = problems_for(record)
    assert problems == [
        "contacts[0]: a contact needs at least a name, an email, a phone or a forum_username",
        "contacts[1].public: must be true or false, not 'yes'",
        "contacts[2].forum_username: '@pere' is not a forum username (letters, digits, '_', '.', "
        "'-'; no '@')",
    ]


def test_control_characters_are_refused_but_line_breaks_and_tabs_kept() -> None:
    assert problems_for(make_record(1, description="a\x00b")) == [
        "description: contains a control character"
    ]
    valid, _ = validate_record(RawRecord("f.json", 1, make_record(1, description="a\r\n\tb\nc")))
    assert valid.record.description == "a\r\n\tb\nc"


def test_one_line_fields_become_one_line_with_a_warning() -> None:
    # Issue 10 point 1: a spreadsheet cell's line break in a title or a name is normalised (one
    # space) and reported as a warning, not refused.
    record = make_record(1, title="two\nlines")
    record["local_body"]["name"] = "CSI Piemonte \n(Inhouse ICT of Regione Piemonte - Italy)"
    record["contacts"] = [{"name": "Anna   Puig", "public": True}]
    valid, problems = validate_record(RawRecord("f.json", 1, record))
    assert problems == [] and valid is not None
    assert valid.record.title == "two lines"
    assert valid.record.local_body.name == "CSI Piemonte (Inhouse ICT of Regione Piemonte - Italy)"
    assert valid.record.contacts[0].name == "Anna Puig"
    assert [(w.field, w.is_warning) for w in valid.warnings] == [
        ("title", True),
        ("local_body.name", True),
        ("contacts[0].name", True),
    ]
    assert str(valid.warnings[0]).startswith("f.json: record 1 (ref projecte-00001): title: ")
    # Multi-line fields keep their lines.
    assert problems_for(make_record(1, description="a\nb")) == []


def test_a_record_must_be_an_object() -> None:
    _, problems = validate_record(RawRecord("f.json", 3, ["not", "an", "object"]))
    assert [str(p) for p in problems] == ["f.json: record 3: a record must be an object, not list"]


def test_every_problem_is_reported_with_file_record_ref_and_field() -> None:
    record = make_record(0, area="nowhere", phase="done")
    record["contacts"][0]["email"] = "x"
    record["local_body"]["latitude"] = 100
    _, problems = validate_record(RawRecord("councils.yaml", 7, record, line=40))
    assert {p.field for p in problems} == {
        "area",
        "phase",
        "contacts[0].email",
        "local_body.latitude",
    }
    assert all(
        (p.file, p.index, p.ref, p.line) == ("councils.yaml", 7, "projecte-00000", 40)
        for p in problems
    )
    assert str(problems[0]).startswith("councils.yaml: record 7 (line 40, ref projecte-00000): ")


def test_duplicate_refs_in_one_file_and_across_files() -> None:
    raws = [
        RawRecord("a.json", 1, make_record(1)),
        RawRecord("a.json", 2, make_record(1)),
        RawRecord("b.csv", 1, make_record(1)),
    ]
    valid, problems = validate_records(raws)
    assert [str(p) for p in problems] == [
        "a.json: record 2 (ref projecte-00001): ref: duplicate ref: already used by record 1",
        "b.csv: record 1 (ref projecte-00001): ref: duplicate ref: already used by record 1 of "
        "a.json",
    ]
    assert len(valid) == 1


def test_empty_values_are_absent_and_text_is_stripped() -> None:
    record = make_record(1, value="", savings="  ", contacts=None, documents=[], analysis={})
    record["title"] = "  Títol amb espais  "
    record["local_body"]["kind"] = ""
    valid, problems = validate_record(RawRecord("f.json", 1, record))
    assert problems == []
    out = record_dict(valid.record.view())
    assert out["title"] == "Títol amb espais"
    assert not {"value", "savings", "contacts", "documents", "analysis"} & set(out)
    assert "kind" not in out["local_body"]


def test_canonical_form_is_independent_of_number_spelling() -> None:
    a, _ = validate_record(RawRecord("f.json", 1, make_record(0, savings_eur_per_year=12000)))
    b, _ = validate_record(RawRecord("f.json", 1, make_record(0, savings_eur_per_year=12000.0)))
    assert record_dict(a.record.view())["savings_eur_per_year"] == 12000
    assert fingerprint(record_dict(a.record.view())) == fingerprint(record_dict(b.record.view()))


def test_a_title_is_stored_in_nfc_whatever_form_its_file_used() -> None:
    """Issue 28 point 7: a title typed on a Mac arrives decomposed (NFD); it is stored composed,
    so the catalogue, the forum and every comparison see one title."""
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Participació ciutadana a l'Ajuntament")
    valid, problems = validate_record(RawRecord("f.json", 1, make_record(1, title=nfd)))
    assert problems == [] and valid is not None
    assert valid.record.title == unicodedata.normalize("NFC", nfd) != nfd
