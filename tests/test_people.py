"""People and roles: who the seed article names and as what, what is not a person, and the people index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from diplobot.analysis.names import parse_aliases
from diplobot.analysis.people import Mention, extract_people, role_key
from diplobot.ingest.files import read_path
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import enrich_pending, store_drafts
from diplobot.store import people
from diplobot.store.db import open_database

ROOT = Path(__file__).parent.parent
SEED = ROOT / "samples" / "paris-2025-09-04.txt"
CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def first_roles(mentions: list[Mention]) -> dict[str, Mention]:
    """Each person's first mention that carries a role (else their first mention)."""
    out: dict[str, Mention] = {}
    for mention in mentions:
        if mention.name not in out or (out[mention.name].role_text is None and mention.role_text):
            out[mention.name] = mention
    return out


@pytest.fixture(scope="module")
def seed() -> dict[str, Mention]:
    (draft,) = read_path(SEED)
    return first_roles(extract_people(draft.title, draft.body))


def people_in(text: str, title: str = "") -> dict[str, Mention]:
    return first_roles(extract_people(title, text))


# --- the seed article -------------------------------------------------------------------------------------------


def test_seed_names_exactly_the_people_it_mentions(seed):
    assert set(seed) == {"Andriy Yermak", "Rustem Umerov", "Steve Witkoff", "Jonathan Powell", "Gunther Sautter",
                         "Emmanuel Bonn", "Fabrizio Saggio", "Volodymyr Zelenskyy", "Donald Trump", "Vladimir Putin"}


def test_seed_yermak_is_head_of_the_presidential_office_of_ukraine(seed):
    yermak = seed["Andriy Yermak"]
    assert (yermak.role, yermak.state) == ("head of the Presidential Office", "Ukraine")
    assert yermak.role_text == "Head of the presidential Office"
    assert yermak.sentence.startswith("Head of the presidential Office Andriy Yermak")


def test_seed_witkoff_is_the_special_envoy_of_the_us_president_and_vitkoff_is_him():
    (draft,) = read_path(SEED)
    mentions = extract_people(draft.title, draft.body)
    witkoff = [m for m in mentions if m.name == "Steve Witkoff"]
    assert [m.surface for m in witkoff] == ["Steve Witkoff", "Vitkoff"]
    assert (witkoff[0].role, witkoff[0].state) == ("special envoy of the US president", "United States")


def test_seed_powell_is_the_uk_national_security_advisor(seed):
    powell = seed["Jonathan Powell"]
    assert powell.role_text == "UK prime minister's National Security Advisor"
    assert "National Security Advisor" in powell.role and powell.state == "United Kingdom"


def test_seed_sautter_is_his_german_counterpart_in_the_same_office(seed):
    sautter = seed["Gunther Sautter"]
    assert (sautter.role_text, sautter.role, sautter.state) == ("his German counterpart", "National Security Advisor",
                                                               "Germany")


def test_seed_umerov_is_secretary_of_the_national_security_and_defense_council(seed):
    umerov = seed["Rustem Umerov"]
    assert (umerov.role, umerov.state) == ("secretary of the National Security and Defense Council", "Ukraine")


def test_coordinated_advisors_each_advise_their_own_leader(seed):
    assert (seed["Emmanuel Bonn"].role, seed["Emmanuel Bonn"].state) == ("diplomatic advisor to French president",
                                                                         "France")
    assert (seed["Fabrizio Saggio"].role, seed["Fabrizio Saggio"].state) == ("diplomatic advisor to Italian PM",
                                                                             "Italy")


def test_later_surnames_resolve_to_the_full_name_given_earlier():
    (draft,) = read_path(SEED)
    names = {(m.surface, m.name) for m in extract_people(draft.title, draft.body)}
    assert {("Yermak", "Andriy Yermak"), ("Trump", "Donald Trump"), ("Zelenskyy", "Volodymyr Zelenskyy")} <= names


# --- how roles are read ---------------------------------------------------------------------------------------


def test_a_role_after_the_name_and_the_title_of_a_person_inside_it():
    found = people_in("France by Emmanuel Bonne, diplomatic adviser to President Emmanuel Macron, Germany by "
                      "Günter Sautter, foreign and security policy adviser to Chancellor Friedrich Merz.")
    assert found["Emmanuel Bonne"].role_text == "diplomatic adviser to President Emmanuel Macron"
    assert found["Emmanuel Macron"].role_text == "President"
    assert found["Günter Sautter"].role_text == "foreign and security policy adviser to Chancellor Friedrich Merz"
    assert found["Friedrich Merz"].role_text == "Chancellor"


def test_a_plural_role_is_shared_by_the_names_that_follow_respectively():
    found = people_in("Separately, the national security advisers of Britain, France and Germany, Jonathan Powell, "
                      "Emmanuel Bonne and Günter Sautter, held meetings with both delegations.")
    assert {n: (m.role, m.state) for n, m in found.items()} == {
        "Jonathan Powell": ("national security adviser", "United Kingdom"),
        "Emmanuel Bonne": ("national security adviser", "France"),
        "Günter Sautter": ("national security adviser", "Germany"),
    }


def test_a_title_before_a_comma_goes_to_the_next_name_when_the_one_before_has_its_own():
    found = people_in("The delegation included Italian Prime Minister Giorgia Meloni, Finland's president, "
                      "Alexander Stubb, NATO Secretary General Mark Rutte and others.")
    assert found["Giorgia Meloni"].role_text == "Italian Prime Minister"
    assert (found["Alexander Stubb"].role_text, found["Alexander Stubb"].state) == ("Finland's president", "Finland")
    assert found["Mark Rutte"].role_text == "NATO Secretary General"


def test_appositions_relative_clauses_and_possessors():
    found = people_in("Andriy Yermak, head of the Office of the President, and Rustem Umerov met Steve Witkoff, the "
                      "US special envoy. For Friedrich Merz, who became German chancellor on Tuesday, it was a first. "
                      "Zelenskyy's chief of staff Andriy Yermak spoke to Kirill Dmitriev, head of the Russian Direct "
                      "Investment Fund and Putin's special envoy.")
    assert found["Andriy Yermak"].role_text == "head of the Office of the President"
    assert found["Rustem Umerov"].role_text is None
    assert (found["Steve Witkoff"].role_text, found["Steve Witkoff"].state) == ("US special envoy", "United States")
    assert found["Friedrich Merz"].role_text == "German chancellor"
    assert found["Kirill Dmitriev"].role_text == "head of the Russian Direct Investment Fund"
    assert found["Kirill Dmitriev"].state == "Russia"


def test_a_role_in_parentheses_gives_the_state():
    found = people_in("Around the table were the national security advisers Jonathan Powell (Britain) and Gunther "
                      "Sautter (Germany), together with Emmanuel Bonn, diplomatic adviser to the French president.")
    assert (found["Jonathan Powell"].role, found["Jonathan Powell"].state) == ("national security adviser",
                                                                               "United Kingdom")
    assert (found["Gunther Sautter"].role, found["Gunther Sautter"].state) == ("national security adviser", "Germany")
    assert found["Emmanuel Bonn"].state == "France"


def test_roles_compare_after_normalization():
    assert role_key("Presidential Office head") == role_key("head of the Office of the President")
    assert role_key("NSDC secretary") == role_key("Secretary of the National Security and Defense Council")
    assert role_key("British Prime Minister") == ("prime minister", "United Kingdom")
    assert role_key("Washington's special envoy") == ("special envoy", "United States")
    assert role_key("National Security Advisor")[0] == role_key("national security advisers")[0]


# --- what is not a person -------------------------------------------------------------------------------------


def test_places_outlets_bodies_and_adjectives_are_not_people():
    found = people_in(
        "According to the French newspaper Le Monde, the summit at Lancaster House ended. Officials in Brussels "
        "describe it as part of an effort to unwind Putin-era energy dependence and the Nord Stream pipelines. "
        "The National Security and Defense Council met in Kyiv. NATO leaders meeting in The Hague agreed.")
    assert found == {}


def test_people_named_only_by_title_are_not_invented():
    found = people_in("The Belgian prime minister insisted on guarantees. The summit was hosted by the Dutch King. "
                      "The Ukrainian ombudsman said many would need treatment. A Kremlin aide led the delegation.")
    assert found == {}


def test_a_lone_word_before_said_is_only_a_candidate():
    mentions = extract_people("", "Analysts said the plan was dead. Zelensky said he was ready.")
    assert [(m.surface, m.weak) for m in mentions] == [("Zelensky", True)]


def test_capitals_of_a_title_case_headline_do_not_make_people():
    mentions = extract_people("Zelensky Meets Trump At The White House Ahead Of Talks",
                              "President Volodymyr Zelensky met US President Donald Trump on Friday.")
    assert {m.name for m in mentions} == {"Volodymyr Zelensky", "Donald Trump"}
    assert {m.surface for m in mentions} == {"Zelensky", "Trump", "Volodymyr Zelensky", "Donald Trump"}


# --- the people index -----------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_aliases():
    people.set_aliases(None)
    yield
    people.set_aliases(None)


@pytest.fixture
def db():
    database = open_database(":memory:")
    yield database
    database.close()


def ingest(db, *paths: Path, texts: tuple[tuple[str, str], ...] = ()) -> None:
    """Store articles the way ingest does (then enrich: stories and people), oldest first."""
    drafts = sorted((d for p in paths for d in read_path(p)), key=lambda d: d.published_at)
    drafts += [ArticleDraft(title=title, body=body, url=f"https://news.example/{abs(hash(body))}")
               for title, body in texts]
    store_drafts(db, drafts, source_id=None, now="2025-12-01T00:00:00+00:00")
    enrich_pending(db)


def corpus(*names: str) -> list[Path]:
    return [CORPUS / "articles" / name for name in names]


def person_named(db, name: str) -> dict:
    (found,) = people.find_people(db, name)
    return people.person(db, found.person_id)


def test_spellings_across_articles_are_one_person(db):
    ingest(db, *corpus("2025-03-11-jeddah-talks-ceasefire-proposal.txt",
                       "2025-03-12-kyiv-agrees-to-truce-intelligence-restored.txt",
                       "2025-06-02-istanbul-second-round-memorandums.txt",
                       "2025-05-16-istanbul-first-direct-talks.txt", "2025-05-16-istanbul-talks-1000-prisoners.txt"))
    sybiha = person_named(db, "Sybiha")
    assert sybiha["name"] == "Andrii Sybiha" and "Andrii Sybiga" in sybiha["spellings"]
    zelensky = person_named(db, "Zelensky")
    assert {"Volodymyr Zelenskiy", "Zelensky"} <= set(zelensky["spellings"]) | {zelensky["name"]}
    assert "Erdogan" in person_named(db, "Erdoğan")["spellings"]


def test_indexing_twice_changes_nothing_and_reindex_rebuilds_with_progress(db):
    ingest(db, SEED)
    before = db.execute("select count(*) from person_mentions").fetchone()[0]
    people.index_article_people(db, 1)
    assert db.execute("select count(*) from person_mentions").fetchone()[0] == before > 0
    progress = []
    people.reindex_all(db, lambda done, total: progress.append((done, total)))
    assert progress[0] == (0, 1) and progress[-1] == (1, 1)
    assert db.execute("select count(*) from person_mentions").fetchone()[0] == before


def test_different_first_names_with_one_surname_stay_apart(db):
    ingest(db, texts=(("Trumps", "US President Donald Trump met his son Eric Trump, who said the talks went well."),
                      ("Tusk", "Polish Prime Minister Donald Tusk said Donald Trump was right.")))
    names = {r[0] for r in db.execute("select name from people")}
    assert {"Donald Trump", "Eric Trump", "Donald Tusk"} <= names
    assert len(names) == 3


def test_a_surname_alone_joins_the_person_known_by_it_and_never_invents_one(db):
    ingest(db, texts=(("Yermak speaks", "Yermak said the talks were constructive."),))
    assert db.execute("select count(*) from people").fetchone()[0] == 0
    ingest(db, SEED, texts=(("Later", "Yermak said the next round would be in Geneva."),))
    (yermak,) = people.find_people(db, "Yermak")
    assert yermak.name == "Andriy Yermak" and yermak.articles == 2


def test_a_person_known_by_surname_is_completed_when_the_full_name_arrives(db):
    ingest(db, texts=(("Talks", "President Zelensky said Ukraine was ready."),))
    assert [r[0] for r in db.execute("select name from people")] == ["Zelensky"]
    ingest(db, SEED)
    zelensky = person_named(db, "Zelensky")
    assert zelensky["name"] == "Volodymyr Zelenskyy" and zelensky["articles"] == 2


def test_the_aliases_file_forces_and_forbids_merges(db, tmp_path):
    ingest(db, SEED, texts=(("Bonne", "French President Emmanuel Macron and his adviser Emmanuel Bonne met "
                                      "Wolodymyr Selenskyj, president of Ukraine, and Volodymyr Zelenskyy."),))
    assert people.find_people(db, "Emmanuel Bonn")[0].articles == 2
    aliases = tmp_path / "aliases.toml"
    aliases.write_text('merge = [["Volodymyr Zelenskyy", "Wolodymyr Selenskyj"]]\n'
                       'separate = [["Emmanuel Bonne", "Emmanuel Bonn"]]\n', encoding="utf-8")
    people.use_aliases_file(aliases)
    people.reindex_all(db)
    assert len(people.find_people(db, "Emmanuel Bonn")) == 1
    assert people.find_people(db, "Emmanuel Bonn")[0].articles == 1
    zelensky = person_named(db, "Selenskyj")
    assert zelensky["name"] == "Volodymyr Zelenskyy" and "Wolodymyr Selenskyj" in zelensky["spellings"]


def test_a_bad_aliases_file_fails_at_start_up_and_a_bad_edit_keeps_the_last_good_one(tmp_path):
    from diplobot.analysis.names import AliasError

    aliases = tmp_path / "aliases.toml"
    aliases.write_text("merge = 3", encoding="utf-8")
    with pytest.raises(AliasError, match="merge must be"):
        people.use_aliases_file(aliases)
    aliases.write_text('merge = [["Emmanuel Bonne", "Emmanuel Bonn"]]', encoding="utf-8")
    people.use_aliases_file(aliases)
    aliases.write_text("merge = [[", encoding="utf-8")
    assert people.current_aliases() is not None


def test_top_people_of_a_set_of_articles(db):
    ingest(db, *corpus("2025-08-16-alaska-summit-trump-putin.txt", "2025-08-06-witkoff-putin-kremlin-meeting.txt"))
    top = people.top_people(db, [1, 2], limit=2)
    assert [p["name"] for p in top] == ["Donald Trump", "Vladimir Putin"]
    assert top[0]["role"] == "President (United States)" and top[0]["mentions"] >= 10


def test_phrase_variants_give_the_other_spellings_of_a_known_person(db):
    ingest(db, SEED)
    assert people.phrase_variants(db, "Witkoff") == ["Vitkoff"]
    assert people.phrase_variants(db, "Vitkoff") == ["Witkoff"]
    assert "Yermak" in people.phrase_variants(db, "Єрмак")
    assert people.phrase_variants(db, "coalition of the willing") == []
    assert people.phrase_variants(db, "Kallas") == []


def test_the_labelled_corpus_meets_the_targets():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import people_eval
    finally:
        sys.path.remove(str(ROOT / "bench"))
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    found, _ = people_eval.extract_corpus(CORPUS)
    scores = people_eval.score(labels, found)
    merge_accuracy, false_merges = people_eval.merge_figures(scores)
    precision = scores.tp / (scores.tp + scores.fp)
    recall = scores.tp / (scores.tp + scores.fn)
    assert 2 * precision * recall / (precision + recall) >= 0.95, scores.problems
    assert scores.roles_right / scores.roles_total >= 0.85, scores.problems
    assert merge_accuracy >= 0.95 and false_merges == 0, scores.problems


def test_a_surname_only_person_is_folded_into_the_full_name_an_alias_links_it_to(db):
    ingest(db, SEED, texts=(("Interview", "President Selenskyj said Ukraine needed guarantees."),))
    assert people.find_people(db, "Selenskyj")[0].name == "Selenskyj"
    people.set_aliases(parse_aliases('merge = [["Zelenskyy", "Selenskyj"]]'))
    ingest(db, texts=(("Later", "President Volodymyr Zelenskyy met the partners in Kyiv."),))
    (zelensky,) = people.find_people(db, "Selenskyj")
    assert (zelensky.name, zelensky.articles) == ("Volodymyr Zelenskyy", 3)
    assert db.execute("select count(*) from people where name like '%elensk%'").fetchone()[0] == 1
    assert people.person(db, zelensky.person_id)["mentions"] == 4  # 2 in the seed, 1 + 1
