"""Matching articles against every subscription at once: what alerts, and where the hit is shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplobot.analysis.matcher import Match, Matcher, snippet
from diplobot.analysis.query import parse_query

FIXTURES = Path(__file__).parent / "fixtures"
LABELS = json.loads((FIXTURES / "corpus" / "labels.json").read_text(encoding="utf-8"))
TOPICS = LABELS["topic_vocabulary"]


def corpus_article(name: str) -> tuple[str, str]:
    """(title, body): line 1 is the date (and caption), line 2 the title, then the paragraphs."""
    lines = (FIXTURES / "corpus" / "articles" / name).read_text(encoding="utf-8").splitlines()
    return lines[1], "\n".join(lines[2:]).strip()


def matcher_for(*queries: str, variants=None) -> Matcher:
    matcher = Matcher(variants=variants)
    matcher.update({number: parse_query(text) for number, text in enumerate(queries, start=1)})
    return matcher


def matched(matcher: Matcher, title: str = "", summary: str = "", body: str = "") -> set[int]:
    return set(matcher.match(title, summary, body))


@pytest.mark.parametrize("topic", TOPICS)
def test_each_corpus_topic_matches_exactly_the_articles_labelled_with_it(topic):
    matcher = matcher_for(topic)
    found = set()
    for item in LABELS["articles"]:
        title, body = corpus_article(item["file"])
        if matched(matcher, title=title, body=body):
            found.add(item["file"])
    assert found == {item["file"] for item in LABELS["articles"] if topic in item["topics"]}


def test_all_corpus_topics_at_once_give_the_same_result_as_one_at_a_time():
    matcher = Matcher()
    matcher.update({number: parse_query(topic) for number, topic in enumerate(TOPICS)})
    for item in LABELS["articles"]:
        title, body = corpus_article(item["file"])
        assert {TOPICS[n] for n in matcher.match(title, "", body)} == set(item["topics"]), item["file"]


def test_the_seed_article_matches_its_three_topics():
    seed = next((FIXTURES / "seeds").glob("*.txt")).read_text(encoding="utf-8")
    matcher = matcher_for("coalition of the willing", "security guarantees", "sanctions", "ceasefire")
    assert matched(matcher, body=seed) == {1, 2, 3}


def test_a_match_says_which_phrase_hit_first_and_where_in_the_original_text():
    body = "Leaders met.\n\nThey discussed “Security Guarantees” and then sanctions."
    hit = matcher_for('sanctions OR "security guarantees"').match("Talks", "", body)[1]
    assert hit == Match(1, "security guarantees", "body", body.index("Security"), body.index("” and"))
    assert body[hit.start : hit.end] == "Security Guarantees"


def test_the_title_counts_before_the_summary_and_the_body():
    hits = matcher_for("ceasefire").match("Kyiv backs cease-fire", "A ceasefire.", "The ceasefire holds.")
    assert (hits[1].field, hits[1].start, hits[1].end) == ("title", 11, 21)
    assert matcher_for("ceasefire").match("Talks", "Ceasefire talk", "ceasefire")[1].field == "summary"


def test_whole_words_only():
    matcher = matcher_for("willing", "UN", "Iran")
    assert matched(matcher, body="An unwillingness at the tribune of the Iranian delegation.") == set()
    assert matched(matcher, body="The UN said Iran was willing.") == {1, 2, 3}


def test_a_phrase_does_not_span_two_fields():
    assert matched(matcher_for("peace plan"), title="Talks on peace", summary="Plan B agreed") == set()


def test_boolean_queries_need_all_terms_and_none_of_the_excluded():
    matcher = matcher_for(
        '"security guarantees" Ukraine -loan', "ceasefire OR truce", '"prisoner exchange" OR "prisoner swap"'
    )
    assert matched(matcher, body="Security guarantees for Ukraine.") == {1}
    assert matched(matcher, body="Security guarantees for Ukraine, and a loan.") == set()
    assert matched(matcher, body="Security guarantees for Europe.") == set()
    assert matched(matcher, body="A truce and a prisoner swap.") == {2, 3}


def test_name_variants_count_as_the_phrase():
    variants = {"witkoff": ["vitkoff"], "steve witkoff": ["steve vitkoff"]}
    matcher = matcher_for("Witkoff", '"Steve Witkoff" -Putin', variants=lambda phrase: variants.get(phrase, []))
    hits = matcher.match("", "", "US envoy Steve Vitkoff met advisers.")
    assert set(hits) == {1, 2}
    assert (hits[1].phrase, hits[2].phrase) == ("witkoff", "steve witkoff")
    assert matched(matcher, body="Vitkoff met Putin.") == {1}


def test_new_subscriptions_apply_to_the_next_article_and_removed_ones_stop():
    matcher = Matcher()
    queries = {1: parse_query("ceasefire")}
    matcher.update(queries)
    assert matched(matcher, body="A ceasefire and sanctions.") == {1}
    queries[2] = parse_query("sanctions")
    matcher.update(queries)
    assert matched(matcher, body="A ceasefire and sanctions.") == {1, 2}
    del queries[1]
    matcher.update(queries)
    assert matched(matcher, body="A ceasefire and sanctions.") == {2}
    queries[2] = parse_query("truce")
    matcher.update(queries)
    assert matched(matcher, body="A ceasefire and sanctions.") == set()
    matcher.update({})
    assert matched(matcher, body="A ceasefire and sanctions.") == set()


def test_the_automaton_is_rebuilt_only_for_a_new_phrase():
    matcher = matcher_for("ceasefire", "sanctions")
    automaton = matcher._automaton
    matcher.update({1: parse_query("ceasefire"), 2: parse_query("sanctions"), 3: parse_query("Ceasefire")})
    matcher.update({1: parse_query("ceasefire")})
    assert matcher._automaton is automaton
    matcher.update({1: parse_query("ceasefire"), 4: parse_query("truce")})
    assert matcher._automaton is not automaton
    assert matched(matcher, body="A truce, no sanctions.") == {4}


def test_snippet_cuts_at_word_boundaries_around_the_hit():
    text = "word " * 60 + "the security guarantees\n\nfor Ukraine " + "more " * 60
    start = text.index("security")
    before, hit, after = snippet(text, start, start + len("security guarantees"), width=60)
    assert hit == "security guarantees"
    assert before.startswith("…") and after.endswith("…")
    assert before.endswith("word the ") and after.startswith(" for Ukraine more")
    assert len(before + hit + after) <= 62
    assert set((before + after).replace("…", " ").split()) == {"word", "the", "more", "for", "Ukraine"}


def test_snippet_of_a_short_text_is_the_whole_text():
    assert snippet("A ceasefire now.", 2, 11) == ("A ", "ceasefire", " now.")


def test_a_phrase_does_not_match_across_punctuation_but_across_a_line_break():
    matcher = matcher_for("coalition of the willing")
    assert matched(matcher, body="It joined the coalition. Of the willing, few remain.") == set()
    assert matched(matcher, body="It joined the coalition; of the willing, few remain.") == set()
    assert matched(matcher, body="Leaders of the coalition, of the willing and of the rest.") == set()
    assert matched(matcher, body="Leaders of the coalition — of the willing too.") == set()
    assert matched(matcher, body="Leaders of the coalition—of the willing too.") == set()
    assert matched(matcher, body="The so-called\ncoalition of the\nwilling met.") == {1}
    assert matched(matcher, body="The “Coalition of the Willing” met.") == {1}


def test_a_phrase_typed_with_punctuation_matches_text_punctuated_the_same_way():
    matcher = matcher_for('"Kyiv, Moscow"', "Kyiv - Moscow talks")
    assert matched(matcher, body="Talks in Kyiv, Moscow and Minsk.") == {1}
    assert matched(matcher, body="Talks in Kyiv Moscow and Minsk.") == set()
    assert matched(matcher, body="The Kyiv-Moscow talks failed.") == {2}
    assert matched(matcher, body="The Kyiv - Moscow talks failed.") == {2}


def test_singular_and_plural_are_one_without_over_stemming():
    matcher = matcher_for("security guarantee", "sanctions package", "countries", "willing", "security guarantees")
    assert matched(matcher, body="New security guarantees.") == {1, 5}
    assert matched(matcher, body="A security guarantee.") == {1, 5}
    assert matched(matcher, body="A new sanction package and the sanctions packages.") == {2}
    assert matched(matcher, body="One country said no.") == {3}
    assert matched(matcher, body="They will, and so will others.") == set()
    assert matched(matcher, body="They were willing.") == {4}


def test_possessives_apostrophes_hyphens_acronyms_and_diacritics_in_articles():
    matcher = matcher_for("Rubio", "Trump peace plan", "ceasefire", "security", "US sanctions", "Erdogan", "O'Brien")
    assert matched(matcher, body="Rubio’s team arrived.") == {1}
    assert matched(matcher, body="Trump's peace plan was shown.") == {2}
    assert matched(matcher, body="A 30-day cease-fire began.") == {3}
    assert matched(matcher, body="New security-related talks.") == set()
    assert matched(matcher, body="New U.S. sanctions.") == {5}
    assert matched(matcher, body="Recep Tayyip Erdoğan spoke.") == {6}
    assert matched(matcher, body="Mr OBrien and Mr. O’Brien.") == {7}


def test_offsets_point_at_the_words_after_text_edits_before_them():
    body = "Straße, Erdoğan’s “cease-fire” — ﬁnal U.S. word: security guarantees."
    hits = matcher_for("ceasefire", "security guarantees", "final US word").match("Zelensky’s day", "", body)
    assert [body[hits[n].start : hits[n].end] for n in (1, 2, 3)] == [
        "cease-fire",
        "security guarantees",
        "ﬁnal U.S. word",
    ]


@given(st.text(max_size=60), st.text(max_size=60), st.sampled_from(["title", "summary", "body"]))
def test_a_phrase_is_found_and_located_whatever_text_surrounds_it(before, after, field):
    text = f"{before} Security Guarantees {after}"
    hits = matcher_for("security guarantees").match(**{"title": "", "summary": "", "body": "", field: text})
    assert hits[1].field == field
    assert text[hits[1].start : hits[1].end] == "Security Guarantees"


def test_or_binds_looser_than_words_side_by_side():
    matcher = matcher_for("ceasefire OR truce Ukraine")
    assert matched(matcher, body="A ceasefire.") == {1}
    assert matched(matcher, body="A truce in Ukraine.") == {1}
    assert matched(matcher, body="A truce.") == set()


def test_a_boolean_query_too_large_for_clauses_is_evaluated_as_a_tree():
    query = " ".join(f"(a{n} OR b{n})" for n in range(7)) + " -zz"
    matcher = matcher_for(query)
    assert matcher._subs[1][1].clauses is None
    assert matched(matcher, body=" ".join(f"a{n}" for n in range(7))) == {1}
    assert matched(matcher, body=" ".join(f"b{n}" for n in range(7))) == {1}
    assert matched(matcher, body=" ".join(f"b{n}" for n in range(7)) + " zz") == set()
    assert matched(matcher, body=" ".join(f"b{n}" for n in range(6))) == set()


def test_subscriptions_whose_keys_exist_are_added_and_removed_without_a_rebuild():
    queries = {1: parse_query("sanctions"), 2: parse_query('"security guarantees" Ukraine -loan')}
    matcher = Matcher()
    matcher.update(queries)
    automaton = matcher._automaton
    queries |= {3: parse_query("sanction"), 4: parse_query("Ukraine -sanctions"), 5: parse_query("loan OR sanction")}
    matcher.update(queries)
    assert matcher._automaton is automaton
    assert matched(matcher, body="Sanctions on Ukraine.") == {1, 3, 5}
    assert matched(matcher, body="Security guarantees for Ukraine.") == {2, 4}
    assert matched(matcher, body="Security guarantees for Ukraine, and a loan.") == {4, 5}
    del queries[1], queries[2], queries[4]
    matcher.update(queries)
    assert matcher._automaton is automaton
    assert matched(matcher, body="Sanctions on Ukraine.") == {3, 5}
    assert matched(matcher, body="Security guarantees for Ukraine, and a loan.") == {5}
