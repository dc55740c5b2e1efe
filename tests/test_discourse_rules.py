"""bridge.rules.discourse against the facts in ../shared/discourse/API-NOTES.md (notes §N) and the
core files the notes point to (discourse/discourse lib/text_cleaner.rb, lib/text_sentinel.rb,
lib/discourse_tagging.rb)."""

from __future__ import annotations

import pytest

from bridge.rules import discourse as rules


def test_limits_match_the_site_setting_defaults_in_notes_section_8() -> None:
    assert (rules.MIN_TITLE_LENGTH, rules.MAX_TITLE_LENGTH) == (15, 255)
    assert (rules.MIN_FIRST_POST_LENGTH, rules.MIN_POST_LENGTH, rules.MAX_POST_LENGTH) == (
        20,
        20,
        32000,
    )
    assert (rules.TITLE_MIN_ENTROPY, rules.BODY_MIN_ENTROPY, rules.TITLE_MAX_WORD_LENGTH) == (
        10,
        7,
        30,
    )
    assert (rules.MAX_TAGS_PER_TOPIC, rules.MAX_TAG_LENGTH, rules.EXTERNAL_ID_MAX_LENGTH) == (
        5,
        20,
        50,
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Km0", "km0"),  # notes §7 example
        ("Àrea pública", "àrea-pública"),  # notes §7 example: accents kept, space → '-'
        ("  Open   Government ", "open-government"),  # trimmed, whitespace runs → one '-'
        ("a/b?c#d[e]@f!g$h&i'j(k)l*m+n,o;p=q.r%s", "abcdefghijklmnopqrs"),  # TAGS_FILTER_REGEXP
        ("x" * 30, "x" * 20),  # max_tag_length
        ("hello--world", "hello-world"),  # squeezed
        # core lib/discourse_tagging.rb: TAGS_FILTER_REGEXP before squeeze("-")
        ("R & D", "r-d"),
        ("Open / Government", "open-government"),
        (
            "café ☃ bar",
            "café-bar",
        ),  # a symbol is neither word nor punctuation: dropped, then squeezed
        ("Çà_va", "çà_va"),  # '_' is a word character
    ],
)
def test_clean_tag_follows_discourse_tagging_clean_tag(given: str, expected: str) -> None:
    assert rules.clean_tag(given) == expected


def test_tags_for_saving_puts_existing_tags_first_and_only_creators_add_new_ones() -> None:
    # core DiscourseTagging.tags_for_saving: Tag.where_name(tags_arg) (case-insensitive) first.
    existing = ["pilot", "km0", "unused"]
    saved = rules.tags_for_saving(["New one", "KM0", "Pilot"], existing)
    assert saved == ["pilot", "km0", "new-one"]
    assert rules.tags_for_saving(["New one", "km0"], existing, can_create=False) == ["km0"]


def test_tags_for_saving_cleans_drops_blanks_and_duplicates_and_cuts_to_five() -> None:
    # notes §7: silently cut to max_tags_per_topic; names that clean to nothing vanish.
    names = ["Km0", "KM0", "", "???", "pilot", "service", "a", "b", "c"]
    assert rules.tags_for_saving(names) == ["km0", "pilot", "service", "a", "b"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("km0 market in the town.", "Km0 market in the town"),  # notes §8 example + trailing period
        (
            "WHAT IS THIS PROJECT ABOUT???",
            "What is this project about?",
        ),  # all-caps lowered, ?? collapsed
        ("hello   world!!!  ", "Hello world!"),  # interior spaces, !!! collapsed, trimmed
        (
            "Hello there ...",
            "Hello there",
        ),  # remove_all_periods_from_the_end keeps the last non-period
        (
            "iPhone apps for the city hall",
            "iPhone apps for the city hall",
        ),  # first word not all lowercase
        (
            "école numérique de la ville",
            "École numérique de la ville",
        ),  # Unicode-aware capitalising
        ("Is it ready ?", "Is it ready?"),  # remove_extraneous_space before end punctuation (en)
        (
            "Zero\u200bwidth\u00a0space title here",
            "Zerowidth space title here",
        ),  # normalised, zero-width gone
    ],
)
def test_prettify_title_follows_text_cleaner(given: str, expected: str) -> None:
    assert rules.prettify_title(given) == expected


def test_entropy_counts_distinct_bytes_of_the_stripped_text() -> None:
    # core lib/text_sentinel.rb: @text.strip.bytes.uniq.size
    assert rules.entropy("  aaaa  ") == 1
    assert rules.entropy("abc") == 3
    assert rules.entropy("é") == 2  # two UTF-8 bytes


def test_title_problems_use_discourse_en_messages() -> None:
    assert rules.title_problems("A perfectly fine project title") == []
    assert rules.title_problems("Jump quickly z") == [
        "Title is too short (minimum is 15 characters)"
    ]
    # short AND low entropy: both messages, in validation order
    assert rules.title_problems("short title") == [
        "Title is too short (minimum is 15 characters)",
        "Title seems unclear, is it a complete sentence?",
    ]
    assert rules.title_problems("") == [
        "Title can't be blank",
        "Title is too short (minimum is 15 characters)",
        "Title seems unclear, is it a complete sentence?",
    ]
    assert rules.title_problems("x" * 256)[0] == "Title is too long (maximum is 255 characters)"
    # entropy below 10 → the quality message (notes §8, core
    # app/validators/quality_title_validator.rb)
    assert rules.title_problems("abababababababababab") == [
        "Title seems unclear, is it a complete sentence?"
    ]
    # an alphanumeric run longer than title_max_word_length (30)
    long_word = "Projects " + "abcdefghij" * 4
    assert rules.title_problems(long_word) == ["Title seems unclear, is it a complete sentence?"]


def test_title_problems_judge_the_prettified_title() -> None:
    # all caps is lowercased by prettify before the quality check, so it passes (notes §8).
    assert rules.title_problems("CITIZEN CARE PLATFORM FOR TOWNS") == []
    # "!!!!!!!!!!!!!!!!" collapses to one character: too short once prettified.
    assert "Title is too short (minimum is 15 characters)" in rules.title_problems(
        "Hi!!!!!!!!!!!!!!!!!!"
    )


def test_body_problems_use_discourse_en_messages() -> None:
    assert rules.body_problems("This is a perfectly reasonable first post.") == []
    assert rules.body_problems("Quick brown fox") == [
        "Body is too short (minimum is 20 characters)"
    ]
    assert rules.body_problems("") == ["Body can't be blank"]
    # core StrippedLengthValidator: errors.messages.too_long_validation, with the length entered
    assert rules.body_problems("a" * 32001)[0] == (
        "Body is limited to 32000 characters; you entered 32001."
    )
    assert rules.body_problems("aaaaaaaaaaaaaaaaaaaaaaaaa") == [
        "Body seems unclear, is it a complete sentence?"
    ]
    # all-caps bodies fail seems_quiet? (allow_uppercase_posts false)
    assert rules.body_problems("THIS IS ALL CAPS BODY TEXT HERE") == [
        "Body seems unclear, is it a complete sentence?"
    ]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("dc-abc_123", True),
        ("A" * 50, True),
        ("A" * 51, False),
        ("", False),
        ("with space", False),
        ("àccent", False),
        ("a.b", False),
    ],
)
def test_external_id_format(value: str, valid: bool) -> None:
    # notes §3: at most 50 characters of [A-Za-z0-9_-]
    assert rules.is_valid_external_id(value) is valid


def test_body_length_follows_stripped_length_validator() -> None:
    # core lib/validators/stripped_length_validator.rb get_sanitized_value: HTML comments do not
    # count, runs of dots count as one character, an emoji as one.
    assert rules.body_problems("Short text <!-- a comment that is long -->") == [
        "Body is too short (minimum is 20 characters)"
    ]
    assert rules.body_problems("Wait for it.............") == [
        "Body is too short (minimum is 20 characters)"
    ]
    assert rules.body_problems("A body of twenty-two c") == []
