"""Topic queries: plain text is one phrase; quotes and operators make a news-alert style boolean query."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplobot.analysis.query import Query, QueryError, parse_query


@pytest.mark.parametrize(
    ("typed", "understood"),
    [
        ("coalition of the willing", 'phrase "coalition of the willing"'),
        ("  Coalition of   the Willing ", 'phrase "coalition of the willing"'),
        ('"security guarantees" Ukraine -loan', '"security guarantees" AND ukraine AND NOT loan'),
        ("ceasefire OR truce", "ceasefire OR truce"),
        ('"prisoner exchange" OR "prisoner swap"', '"prisoner exchange" OR "prisoner swap"'),
        ("Ukraine ceasefire OR truce", "(ukraine AND ceasefire) OR truce"),
        ("ceasefire OR truce Ukraine", "ceasefire OR (truce AND ukraine)"),
        ("ceasefire OR truce AND Ukraine", "ceasefire OR (truce AND ukraine)"),
        ("(ceasefire OR truce) Ukraine", "(ceasefire OR truce) AND ukraine"),
        ("a b OR c -d OR e", "(a AND b) OR (c AND NOT d) OR e"),
        ('(ceasefire OR truce) -"peace plan"', '(ceasefire OR truce) AND NOT "peace plan"'),
        ("ceasefire OR (truce Kyiv)", "ceasefire OR (truce AND kyiv)"),
        ("“security guarantees” Kyiv", '"security guarantees" AND kyiv'),
        ("Ukraine AND ceasefire NOT truce", "ukraine AND ceasefire AND NOT truce"),
        ('"ceasefire"', 'phrase "ceasefire"'),
    ],
)
def test_describe_says_how_the_query_was_understood(typed, understood):
    assert parse_query(typed).describe() == understood


def test_a_hyphen_inside_a_word_or_standing_alone_in_plain_text_is_not_an_exclusion():
    assert parse_query("Putin-era pipelines").describe() == 'phrase "putin-era pipelines"'
    assert parse_query("Kyiv - Moscow talks").describe() == 'phrase "kyiv moscow talks"'


def test_phrases_are_the_normalised_words_looked_for():
    assert parse_query('"security guarantees" Ukraine -loan').phrases() == {"security guarantee", "ukraine", "loan"}


def test_the_same_text_gives_equal_queries():
    assert parse_query("ceasefire OR truce") == parse_query("ceasefire OR truce")
    assert parse_query("ceasefire OR truce").text == "ceasefire OR truce"


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("-loan", "at least one word or phrase that must appear"),
        ("ceasefire OR -truce", "at least one word or phrase that must appear"),
        ('"security guarantees', "quote is not closed"),
        ("(ceasefire OR truce", "parenthesis is not closed"),
        ("ceasefire)", "closing parenthesis has no opening one"),
        ("()", "Parentheses must contain words"),
        ("OR truce", "OR must stand between two words"),
        ("ceasefire OR", "OR must stand between two words"),
        ("ceasefire OR OR truce", "OR must stand between two words"),
        ('"peace plan" - truce', "minus sign must be attached"),
        ("ceasefire -(truce OR loan)", "minus sign must be attached"),
        ('"!!" Ukraine', "has no letters or digits"),
        ("&& !!", "no letters or digits"),
        ("((((((ceasefire))))))", "nested more than 5 deep"),
        ("x" * 301, "the limit is 300"),
        (" ".join(f"w{i}" for i in range(31)) + " OR z", "the limit is 30"),
    ],
)
def test_unreadable_queries_say_what_is_wrong_and_show_an_example(typed, complaint):
    with pytest.raises(QueryError) as raised:
        parse_query(typed)
    assert complaint in str(raised.value)
    assert "e.g." in str(raised.value)


@given(st.text(max_size=120))
def test_any_text_is_a_query_or_a_query_error(text):
    try:
        query = parse_query(text)
    except QueryError as exc:
        assert str(exc)
    else:
        assert isinstance(query, Query)
        assert query.describe()
        assert query.phrases()


@given(
    st.lists(
        st.sampled_from(['"', "(", ")", "-", "OR", "AND", "NOT", " ", "peace", "plan", "Kyiv", "’s", "—"]), max_size=30
    )
)
def test_any_mix_of_operators_is_a_query_or_a_query_error(pieces):
    text = " ".join(pieces)
    try:
        query = parse_query(text)
    except QueryError:
        return
    assert query.describe()
