"""Normalisation: queries and article text reduce to the same words, so the same topic finds the same wording."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplobot.analysis.text import Scanned, normalize_phrase, normalize_words, number_forms, phrase_keys


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("Erdoğan", "Erdogan"),
        ("ZELENSKYY", "Zelenskyy"),
        ("Yermak", "Yermak's"),
        ("Rubio", "Rubio’s"),
        ("security guarantees", "security guarantee"),
        ("sanctions", "sanction"),
        ("countries", "country"),
        ("taxes", "tax"),
        ("ceasefire", "cease-fire"),
        ("ceasefire", "cease–fire"),
        ("US sanctions", "U.S. sanctions"),
        ("final", "ﬁnal"),
        ("Łódź", "Lodz"),
    ],
)
def test_spellings_that_count_as_the_same_words(typed, written):
    assert normalize_words(typed) == normalize_words(written)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("willing", "will"),
        ("willing", "unwillingness"),
        ("news", "new"),
        ("security", "security-related"),
    ],
)
def test_words_that_stay_different(one, other):
    assert normalize_words(one) != normalize_words(other)


def test_capitalised_compounds_split_so_names_inside_still_count():
    assert normalize_words("Zelensky-Trump meeting") == "zelensky trump meeting"
    assert normalize_words("Putin-era pipelines") == "putin era pipeline"
    assert normalize_words("a 30-day ceasefire") == "a 30 day ceasefire"


def test_punctuation_and_quotes_disappear_between_single_spaces():
    assert normalize_words(" “Coalition of the willing” — Q&A, (Paris)  ") == "coalition of the willing q a paris"


def test_short_words_and_latin_endings_keep_their_s():
    assert normalize_words("his gas bus status crisis analysis Paris") == "his gas bus status crisis analysis paris"


@given(st.text(max_size=80))
def test_normalising_twice_changes_nothing(text):
    once = normalize_words(text)
    assert normalize_words(once) == once


@given(st.text(max_size=80))
def test_output_is_words_separated_by_single_spaces(text):
    words = normalize_words(text)
    assert words == " ".join(words.split())


def test_scan_form_offsets_point_into_the_original_text():
    text = "Talks in Paris.\n\n  “Zelensky-Trump” summit: Rubio’s security guarantees — agreed, U.S. cease-fire."
    scanned = Scanned(text)
    words = scanned.words
    for phrase, original in [
        ("security guarantees", "security guarantees"),
        ("trump", "Trump"),
        ("rubio", "Rubio"),
        ("us ceasefire", "U.S. cease-fire"),
        ("agreed", "agreed"),
    ]:
        start = words.index(f" {phrase} ") + 1
        assert text[slice(*scanned.span(start, start + len(phrase)))] == original


def test_punctuation_between_words_leaves_more_than_one_space_so_phrases_stop_there():
    assert normalize_phrase("the coalition. Of the willing") == "the coalition  of the willing"
    assert normalize_phrase("security, guarantees") == "security  guarantees"
    assert normalize_phrase("Kyiv — Moscow") == "kyiv    moscow"
    assert normalize_phrase("security\nguarantees") == "security guarantees"
    assert normalize_phrase("Mr. Trump and U.S. sanctions") == "mr trump and us sanctions"


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("guarantee", {"guarantee", "guarantees"}),
        ("sanctions", {"sanctions", "sanction"}),
        ("country", {"country", "countries"}),
        ("tax", {"tax", "taxes"}),
        ("crisis", {"crisis", "crises"}),
        ("women", {"women", "woman"}),
        ("willing", {"willing", "willings"}),
        ("news", {"news"}),
        ("bus", {"bus"}),
    ],
)
def test_number_forms_are_the_singular_and_the_regular_plural(word, forms):
    assert set(number_forms(word)) == forms


def test_phrase_keys_vary_the_number_of_the_last_word_and_singularise_the_others():
    assert set(phrase_keys("sanctions package")) == {
        " sanctions package ",
        " sanctions packages ",
        " sanction package ",
        " sanction packages ",
    }
    assert set(phrase_keys("security  guarantee")) == {
        " security  guarantee ",
        " security  guarantees ",
        " securities  guarantee ",
        " securities  guarantees ",
    }
