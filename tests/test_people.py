"""People and roles: who the seed article names and as what, what is not a person, and the people index."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from diplobot.analysis.aliases import AliasesFile
from diplobot.analysis.names import parse_aliases
from diplobot.analysis.people import Mention, extract_people, role_key
from diplobot.enrichment import people
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import enrich_pending, store_drafts
from diplobot.store.db import open_database

ROOT = Path(__file__).parent.parent
CORPUS = Path(__file__).parent / "fixtures" / "corpus"

# An article written for these tests (not one of the corpus articles): a head of office, a secretary of a council,
# an envoy with a later variant spelling, a possessive title, a relative title ("his German counterpart"),
# surnames alone after full names.
TITLE = "Advisers meet in Geneva ahead of a leaders' call"
TEXT = """Head of the presidential Office Andriy Yermak led the Ukrainian team in Geneva on Tuesday, together with \
Rustem Umerov, secretary of the National Security and Defense Council.

They sat down with Steve Witkoff, special envoy of the US president, and with the UK prime minister's National \
Security Advisor Jonathan Powell, who came with his German counterpart Gunther Sautter.

Vitkoff told reporters afterwards that the talks had been useful. President Volodymyr Zelenskyy later spoke to \
Donald Trump by phone, and Yermak said no meeting with Vladimir Putin was planned."""


def first_roles(mentions: list[Mention]) -> dict[str, Mention]:
    """Each person's first mention that carries a role (else their first mention)."""
    out: dict[str, Mention] = {}
    for mention in mentions:
        if mention.name not in out or (out[mention.name].role_text is None and mention.role_text):
            out[mention.name] = mention
    return out


@pytest.fixture(scope="module")
def article() -> dict[str, Mention]:
    return first_roles(extract_people(TITLE, TEXT))


def people_in(text: str, title: str = "") -> dict[str, Mention]:
    return first_roles(extract_people(title, text))


def names_in(text: str, title: str = "") -> list[tuple[str, str]]:
    """(name, surface) of every mention, weak ones left out."""
    return [(m.name, m.surface) for m in extract_people(title, text) if not m.weak]


# --- one article -------------------------------------------------------------------------------------------------


def test_an_article_names_exactly_the_people_it_mentions(article):
    assert set(article) == {
        "Andriy Yermak",
        "Rustem Umerov",
        "Steve Witkoff",
        "Jonathan Powell",
        "Gunther Sautter",
        "Volodymyr Zelenskyy",
        "Donald Trump",
        "Vladimir Putin",
    }


def test_head_of_the_presidential_office_is_read_with_its_state(article):
    yermak = article["Andriy Yermak"]
    assert (yermak.role, yermak.state) == ("head of the Presidential Office", "Ukraine")
    assert yermak.role_text == "Head of the presidential Office"
    assert yermak.sentence.startswith("Head of the presidential Office Andriy Yermak")


def test_an_envoy_and_a_later_variant_spelling_are_one_person():
    witkoff = [m for m in extract_people(TITLE, TEXT) if m.name == "Steve Witkoff"]
    assert [m.surface for m in witkoff] == ["Steve Witkoff", "Vitkoff"]
    assert (witkoff[0].role, witkoff[0].state) == ("special envoy of the US president", "United States")


def test_a_possessive_title_and_a_relative_one(article):
    powell, sautter = article["Jonathan Powell"], article["Gunther Sautter"]
    assert powell.role_text == "UK prime minister's National Security Advisor"
    assert "National Security Advisor" in powell.role and powell.state == "United Kingdom"
    assert (sautter.role_text, sautter.role, sautter.state) == (
        "his German counterpart",
        "National Security Advisor",
        "Germany",
    )


def test_a_role_after_the_name(article):
    umerov = article["Rustem Umerov"]
    assert (umerov.role, umerov.state) == ("secretary of the National Security and Defense Council", "Ukraine")


def test_later_surnames_resolve_to_the_full_name_given_earlier():
    names = {(m.surface, m.name) for m in extract_people(TITLE, TEXT)}
    assert {("Yermak", "Andriy Yermak"), ("Vitkoff", "Steve Witkoff")} <= names


def test_coordinated_advisors_each_advise_their_own_leader():
    found = people_in(
        "The meeting brought together the diplomatic advisors to French president Emmanuel Bonn and "
        "Italian PM Fabrizio Saggio."
    )
    assert (found["Emmanuel Bonn"].role, found["Emmanuel Bonn"].state) == (
        "diplomatic advisor to French president",
        "France",
    )
    assert (found["Fabrizio Saggio"].role, found["Fabrizio Saggio"].state) == (
        "diplomatic advisor to Italian PM",
        "Italy",
    )


# --- how roles are read ---------------------------------------------------------------------------------------


def test_a_role_after_the_name_and_the_title_of_a_person_inside_it():
    found = people_in(
        "France by Emmanuel Bonne, diplomatic adviser to President Emmanuel Macron, Germany by "
        "Günter Sautter, foreign and security policy adviser to Chancellor Friedrich Merz."
    )
    assert found["Emmanuel Bonne"].role_text == "diplomatic adviser to President Emmanuel Macron"
    assert found["Emmanuel Macron"].role_text == "President"
    assert found["Günter Sautter"].role_text == "foreign and security policy adviser to Chancellor Friedrich Merz"
    assert found["Friedrich Merz"].role_text == "Chancellor"


def test_a_plural_role_is_shared_by_the_names_that_follow_respectively():
    found = people_in(
        "Separately, the national security advisers of Britain, France and Germany, Jonathan Powell, "
        "Emmanuel Bonne and Günter Sautter, held meetings with both delegations."
    )
    assert {n: (m.role, m.state) for n, m in found.items()} == {
        "Jonathan Powell": ("national security adviser", "United Kingdom"),
        "Emmanuel Bonne": ("national security adviser", "France"),
        "Günter Sautter": ("national security adviser", "Germany"),
    }


def test_a_title_before_a_comma_goes_to_the_next_name_when_the_one_before_has_its_own():
    found = people_in(
        "The delegation included Italian Prime Minister Giorgia Meloni, Finland's president, "
        "Alexander Stubb, NATO Secretary General Mark Rutte and others."
    )
    assert found["Giorgia Meloni"].role_text == "Italian Prime Minister"
    assert (found["Alexander Stubb"].role_text, found["Alexander Stubb"].state) == ("Finland's president", "Finland")
    assert found["Mark Rutte"].role_text == "NATO Secretary General"


def test_appositions_relative_clauses_and_possessors():
    found = people_in(
        "Andriy Yermak, head of the Office of the President, and Rustem Umerov met Steve Witkoff, the "
        "US special envoy. For Friedrich Merz, who became German chancellor on Tuesday, it was a first. "
        "Zelenskyy's chief of staff Andriy Yermak spoke to Kirill Dmitriev, head of the Russian Direct "
        "Investment Fund and Putin's special envoy."
    )
    assert found["Andriy Yermak"].role_text == "head of the Office of the President"
    assert found["Rustem Umerov"].role_text is None
    assert (found["Steve Witkoff"].role_text, found["Steve Witkoff"].state) == ("US special envoy", "United States")
    assert found["Friedrich Merz"].role_text == "German chancellor"
    assert found["Kirill Dmitriev"].role_text == "head of the Russian Direct Investment Fund"
    assert found["Kirill Dmitriev"].state == "Russia"


def test_a_role_in_parentheses_gives_the_state():
    found = people_in(
        "Around the table were the national security advisers Jonathan Powell (Britain) and Gunther "
        "Sautter (Germany), together with Emmanuel Bonn, diplomatic adviser to the French president."
    )
    assert (found["Jonathan Powell"].role, found["Jonathan Powell"].state) == (
        "national security adviser",
        "United Kingdom",
    )
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
        "The National Security and Defense Council met in Kyiv. NATO leaders meeting in The Hague agreed."
    )
    assert found == {}


def test_people_named_only_by_title_are_not_invented():
    found = people_in(
        "The Belgian prime minister insisted on guarantees. The summit was hosted by the Dutch King. "
        "The Ukrainian ombudsman said many would need treatment. A Kremlin aide led the delegation."
    )
    assert found == {}


def test_a_lone_word_before_said_is_only_a_candidate():
    mentions = extract_people("", "Analysts said the plan was dead. Zelensky said he was ready.")
    assert [(m.surface, m.weak) for m in mentions] == [("Zelensky", True)]


def test_capitals_of_a_title_case_headline_do_not_make_people():
    mentions = extract_people(
        "Zelensky Meets Trump At The White House Ahead Of Talks",
        "President Volodymyr Zelensky met US President Donald Trump on Friday.",
    )
    assert {m.name for m in mentions} == {"Volodymyr Zelensky", "Donald Trump"}
    assert {m.surface for m in mentions} == {"Zelensky", "Trump", "Volodymyr Zelensky", "Donald Trump"}


# --- names in news the rules were not written for ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        ("Defender Hassan Abbas scored twice before the break.", "Hassan Abbas", "Defender"),
        ("The Polish-born Pope John Paul visited the city on Sunday.", "John Paul", "Pope"),
        ("Lieutenant-General Maurice Baril arrived in Kigali on Monday.", "Maurice Baril", "Lieutenant-General"),
        ("New Zealand Prime Minister Jim Bolger said the vote would go ahead.", "Jim Bolger", "Prime Minister"),
        (
            "Hong Kong Financial Secretary Donald Tsang said the budget was balanced.",
            "Donald Tsang",
            "Financial Secretary",
        ),
        (
            "Federal Air Traffic Control Administration Director Branko Bilbija said the runway would reopen.",
            "Branko Bilbija",
            "Control Administration Director",
        ),
    ],
)
def test_a_capitalised_word_or_title_glued_before_a_name_is_not_part_of_it(text, name, role):
    (mention,) = extract_people("", text)
    assert (mention.name, mention.role) == (name, role)


def test_a_name_keeps_its_particles_and_its_ordinal():
    assert names_in("Egyptian presidential adviser Osama el-Baz met the delegation in Cairo.") == [
        ("Osama el-Baz", "Osama el-Baz")
    ]
    assert names_in("President Zine al-Abidine Ben Ali opened the session.") == [
        ("Zine al-Abidine Ben Ali", "Zine al-Abidine Ben Ali")
    ]
    assert names_in("In 1536 King Henry VIII married Jane Seymour.") == [
        ("Henry VIII", "Henry VIII"),
        ("Jane Seymour", "Jane Seymour"),
    ]


def test_unknown_given_names_count_with_a_role_a_verb_or_a_surname_ending():
    assert {n for n, _ in names_in("Prime Minister Kengo wa Dondo said the talks were over.")} == {"Kengo wa Dondo"}
    assert {n for n, _ in names_in("The regional police questioned Nurbika Mamatuyeva and Rajab Adinayev.")} == {
        "Nurbika Mamatuyeva",
        "Rajab Adinayev",
    }


def test_an_all_caps_headline_names_only_the_people_the_body_names():
    mentions = extract_people(
        "MINISTER MARIA KOWALSKA RESIGNS OVER BUDGET",
        "Finance Minister Maria Kowalska resigned on Monday. Kowalska said she had no regrets.",
    )
    assert {(m.name, m.surface) for m in mentions} == {
        ("Maria Kowalska", "MARIA KOWALSKA"),
        ("Maria Kowalska", "Maria Kowalska"),
        ("Maria Kowalska", "Kowalska"),
    }
    assert next(m for m in mentions if m.surface == "MARIA KOWALSKA").role is None  # the body gives the role
    assert (
        extract_people(
            "EUROPE MARKETS CLOSE HIGHER ON BANK GAINS",
            "European shares rose on Friday. Dealers said Bank shares led the gains.",
        )
        == []
    )


def test_a_name_alone_on_its_line_is_the_writer():
    text = (
        "Tavita Lemalu\n\nAPIA 2024-03-01\n\nShares fell sharply on Friday as exporters sold.\n\n"
        "Market Summary\n\n-- Sione Faleolo, Apia newsroom +685 1234"
    )
    assert {n for n, _ in names_in(text, "Markets slide on rate fears")} == {"Tavita Lemalu", "Sione Faleolo"}


def test_a_heading_is_not_a_byline():
    assert names_in("Key Points\n\nThe key points are clear, and the points stand.", "Markets") == []


def test_a_place_is_a_surname_only_after_a_person_bearing_it():
    (jordan,) = extract_people("", "Jordan said it would reopen the border crossing on Monday.")
    assert jordan.weak  # only a person the store already knows
    assert names_in("The film was directed by Neil Jordan. Jordan said the story had stayed with him.") == [
        ("Neil Jordan", "Neil Jordan"),
        ("Neil Jordan", "Jordan"),
    ]
    assert names_in("Trevor Holland was arrested in Amsterdam. Holland told police he had been on holiday.") == [
        ("Trevor Holland", "Trevor Holland"),
        ("Trevor Holland", "Holland"),
    ]
    assert names_in("In 14 years as Chicago's archbishop, he rarely spoke to the press.") == []


@pytest.mark.parametrize(
    "text",
    [
        "Bayer Leverkusen beat Werder Bremen 2-1 on Saturday.",
        "Salomon Brothers said the bond market was quiet.",
        "Munich Re said profits rose in the first half.",
        "Norwest Corp reported higher earnings. Norwest said it would buy back shares.",
        "A broker at A.G. Edwards & Sons declined to comment.",
        "Flights were diverted to Charles de Gaulle airport after the strike.",
        "Zycie Warszawy daily said the bid was too low. Zycie Warszawy said its publisher would join.",
        "The Chicago Tribune and the Hong Kong Standard ran the story.",
    ],
)
def test_companies_teams_outlets_and_places_are_not_people(text):
    assert names_in(text) == []


def test_countries_and_their_peoples_are_not_people():
    assert names_in("Senegal's President Abdou Diouf said the election would be held in May.") == [
        ("Abdou Diouf", "Abdou Diouf")
    ]
    assert names_in("Seven Iraqis were charged on Friday. Afrikaners marched in Pretoria.") == []


def test_a_family_name_first_name_is_followed_by_the_family_name_alone():
    assert names_in("Police detained dissident Wang Donghai on Friday. Wang was released on Sunday.") == [
        ("Wang Donghai", "Wang Donghai"),
        ("Wang Donghai", "Wang"),
    ]


# --- the people index -----------------------------------------------------------------------------------------


@pytest.fixture
def db():
    database = open_database(":memory:")
    yield database
    database.close()


def ingest(db, *texts: tuple[str, str], aliases=None) -> None:
    """Store articles the way ingest does (then enrich: stories and people), in the order given."""
    drafts = [
        ArticleDraft(title=title, body=body, url=f"https://news.example/{abs(hash(body))}") for title, body in texts
    ]
    store_drafts(db, drafts, source_id=None, now="2025-12-01T00:00:00+00:00")
    enrich_pending(db, aliases=aliases)


ARTICLE = (TITLE, TEXT)


def person_named(db, name: str, aliases=None) -> dict:
    (found,) = people.find_people(db, name, aliases=aliases)
    return people.person(db, found.person_id)


def test_spellings_across_articles_are_one_person(db):
    ingest(
        db,
        (
            "Truce",
            "Foreign Minister Andrii Sybiha said the proposal was on the table. President Volodymyr "
            "Zelenskiy agreed, and Turkish President Recep Tayyip Erdoğan offered to host talks.",
        ),
        (
            "Talks",
            "Andrii Sybiga told reporters the talks would resume. Zelensky said he was ready to meet. "
            "Erdogan said Istanbul was ready.",
        ),
    )
    sybiha = person_named(db, "Sybiha")
    assert {"Andrii Sybiha", "Andrii Sybiga"} <= {sybiha["name"], *sybiha["spellings"]}
    zelensky = person_named(db, "Zelensky")
    assert {"Volodymyr Zelenskiy", "Zelensky"} <= set(zelensky["spellings"]) | {zelensky["name"]}
    assert "Erdogan" in person_named(db, "Erdoğan")["spellings"]


def test_people_prepared_before_earlier_articles_were_written_resolve_as_written_in_turn(tmp_path):
    """Prepared ahead (as a worker does, before the writer stored anyone), each name is resolved again at the write:
    the surname-only person created by the first article is upgraded by the second and joined by the third, exactly
    as when each article is indexed after the one before."""
    texts = [
        ("Talks", "President Zelensky said Ukraine was ready."),
        ("Call", "President Volodymyr Zelenskyy spoke to Donald Trump by phone."),
        ("Later", "Zelensky said Trump had listened."),
    ]
    ahead, in_turn = open_database(tmp_path / "ahead.db"), open_database(tmp_path / "turn.db")
    for database in (ahead, in_turn):
        ingest_only = [ArticleDraft(title=t, body=b, url=f"https://news.example/{n}") for n, (t, b) in enumerate(texts)]
        store_drafts(database, ingest_only, source_id=None, now="2025-12-01T00:00:00+00:00")
    prepared = [people.prepare_people(ahead, article_id) for article_id in (1, 2, 3)]
    for item in prepared:
        assert item is not None
        with ahead.atomic():
            people.write_people(ahead, item)
    for article_id in (1, 2, 3):
        people.index_article_people(in_turn, article_id)
    rows = "select id, name, given_key, mentions, articles from people order by id"
    assert list(ahead.query(rows)) == list(in_turn.query(rows))
    assert [r["name"] for r in ahead.query(rows)] == ["Volodymyr Zelenskyy", "Donald Trump"]
    mentions = "select person_id, article_id, surface from person_mentions order by id"
    assert list(ahead.query(mentions)) == list(in_turn.query(mentions))
    people.write_people(ahead, prepared[0])  # written already: nothing twice
    assert list(ahead.query(mentions)) == list(in_turn.query(mentions))


def test_indexing_twice_changes_nothing_and_reindex_rebuilds_with_progress(db):
    ingest(db, ARTICLE)
    before = db.execute("select count(*) from person_mentions").fetchone()[0]
    people.index_article_people(db, 1)
    assert db.execute("select count(*) from person_mentions").fetchone()[0] == before > 0
    progress = []
    people.reindex_all(db, lambda done, total: progress.append((done, total)))
    assert progress[0] == (0, 1) and progress[-1] == (1, 1)
    assert db.execute("select count(*) from person_mentions").fetchone()[0] == before


def test_different_first_names_with_one_surname_stay_apart(db):
    ingest(
        db,
        ("Trumps", "US President Donald Trump met his son Eric Trump, who said the talks went well."),
        ("Tusk", "Polish Prime Minister Donald Tusk said Donald Trump was right."),
    )
    names = {r[0] for r in db.execute("select name from people")}
    assert {"Donald Trump", "Eric Trump", "Donald Tusk"} <= names
    assert len(names) == 3


def test_a_surname_alone_joins_the_person_known_by_it_and_never_invents_one(db):
    ingest(db, ("Yermak speaks", "Yermak said the talks were constructive."))
    assert db.execute("select count(*) from people").fetchone()[0] == 0
    ingest(db, ARTICLE, ("Later", "Yermak said the next round would be in Geneva."))
    (yermak,) = people.find_people(db, "Yermak")
    assert yermak.name == "Andriy Yermak" and yermak.articles == 2


def test_a_place_word_alone_is_kept_only_for_a_person_the_store_knows(db):
    ingest(db, ("Border", "Jordan said it would reopen the border crossing on Monday."))
    assert db.execute("select count(*) from people").fetchone()[0] == 0
    ingest(
        db,
        ("Film", "The film was directed by Neil Jordan, who won the prize."),
        ("Interview", "Jordan said the story had stayed with him for years."),
    )
    (jordan,) = people.find_people(db, "Jordan")
    assert (jordan.name, jordan.articles) == ("Neil Jordan", 2)


def test_a_person_known_by_surname_is_completed_when_the_full_name_arrives(db):
    ingest(db, ("Talks", "President Zelensky said Ukraine was ready."))
    assert [r[0] for r in db.execute("select name from people")] == ["Zelensky"]
    ingest(db, ARTICLE)
    zelensky = person_named(db, "Zelensky")
    assert zelensky["name"] == "Volodymyr Zelenskyy" and zelensky["articles"] == 2


def test_the_aliases_file_forces_and_forbids_merges(db, tmp_path):
    ingest(
        db,
        ARTICLE,
        ("Advisers", "Diplomatic adviser Emmanuel Bonn arrived first."),
        (
            "Bonne",
            "French President Emmanuel Macron and his adviser Emmanuel Bonne met Wolodymyr Selenskyj, "
            "president of Ukraine, and Volodymyr Zelenskyy.",
        ),
    )
    assert people.find_people(db, "Emmanuel Bonn")[0].articles == 2
    aliases = tmp_path / "aliases.toml"
    aliases.write_text(
        'merge = [["Volodymyr Zelenskyy", "Wolodymyr Selenskyj"]]\nseparate = [["Emmanuel Bonne", "Emmanuel Bonn"]]\n',
        encoding="utf-8",
    )
    in_force = AliasesFile(aliases).current()
    people.reindex_all(db, aliases=in_force)
    assert len(people.find_people(db, "Emmanuel Bonn", aliases=in_force)) == 1
    assert people.find_people(db, "Emmanuel Bonn", aliases=in_force)[0].articles == 1
    zelensky = person_named(db, "Selenskyj", aliases=in_force)
    assert zelensky["name"] == "Volodymyr Zelenskyy" and "Wolodymyr Selenskyj" in zelensky["spellings"]


def test_a_bad_aliases_file_fails_at_start_up_and_a_bad_edit_keeps_the_last_good_one(tmp_path):
    from diplobot.analysis.names import AliasError

    aliases = tmp_path / "aliases.toml"
    aliases.write_text("merge = 3", encoding="utf-8")
    with pytest.raises(AliasError, match="merge must be"):
        AliasesFile(aliases)
    aliases.write_text('merge = [["Emmanuel Bonne", "Emmanuel Bonn"]]', encoding="utf-8")
    in_force = AliasesFile(aliases)
    good = in_force.current()
    aliases.write_text("merge = [[", encoding="utf-8")
    os.utime(aliases, (time.time() + 5, time.time() + 5))  # a changed file, whatever the clock's resolution
    assert in_force.current() is good is not None
    aliases.write_text('merge = [["Andrii Sybiha", "Andrii Sybyha"]]', encoding="utf-8")
    os.utime(aliases, (time.time() + 10, time.time() + 10))
    assert in_force.current() is not good  # a valid edit is read


def test_top_people_of_a_set_of_articles(db):
    ingest(
        db,
        (
            "Summit",
            "US President Donald Trump met Russian President Vladimir Putin in Anchorage. Trump said "
            "the meeting was productive. Putin said Russia wanted peace. Trump added he would call "
            "Volodymyr Zelensky.",
        ),
        ("Envoy", "Steve Witkoff met Vladimir Putin in Moscow. Trump said Witkoff had made progress."),
    )
    top = people.top_people(db, [1, 2], limit=2)
    assert [p["name"] for p in top] == ["Donald Trump", "Vladimir Putin"]
    assert top[0]["role"] == "President (United States)" and top[0]["mentions"] == 4


def test_phrase_variants_give_the_other_spellings_of_a_known_person(db):
    ingest(db, ARTICLE)
    assert people.phrase_variants(db, "Witkoff") == ["Vitkoff"]
    assert people.phrase_variants(db, "Vitkoff") == ["Witkoff"]
    assert "Yermak" in people.phrase_variants(db, "Єрмак")
    assert people.phrase_variants(db, "coalition of the willing") == []
    assert people.phrase_variants(db, "Kallas") == []


def test_the_evaluation_runs_on_a_labelled_corpus_and_on_conll_text(tmp_path, capsys):
    """Corpus-level scores are the evaluation's business (bench/people_eval.py); here only that it runs."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import people_eval
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert people_eval.main(["--corpus", str(CORPUS)]) == 0
    assert "RESULT person_precision=" in capsys.readouterr().out
    conll = tmp_path / "tiny.conll"
    conll.write_text(
        "-DOCSTART- -X- O O\n\nTalks X X O\nend X X O\n. X X O\n\n"
        "Foreign X X O\nMinister X X O\nAnna X X B-PER\nKowalska X X I-PER\nsaid X X O\n"
        "talks X X O\nwent X X O\nwell X X O\n. X X O\n\n",
        encoding="utf-8",
    )
    assert people_eval.main(["--conll", str(conll)]) == 0
    result = capsys.readouterr().out.splitlines()[-1]
    assert result.startswith("RESULT docs=1 ") and "strict_f1=1.000" in result


def test_a_surname_only_person_is_folded_into_the_full_name_an_alias_links_it_to(db):
    ingest(db, ARTICLE, ("Interview", "President Selenskyj said Ukraine needed guarantees."))
    assert people.find_people(db, "Selenskyj")[0].name == "Selenskyj"
    merged = parse_aliases('merge = [["Zelenskyy", "Selenskyj"]]')
    ingest(db, ("Later", "President Volodymyr Zelenskyy met the partners in Kyiv."), aliases=merged)
    (zelensky,) = people.find_people(db, "Selenskyj", aliases=merged)
    assert (zelensky.name, zelensky.articles) == ("Volodymyr Zelenskyy", 3)
    assert db.execute("select count(*) from people where name like '%elensk%'").fetchone()[0] == 1
    assert people.person(db, zelensky.person_id)["mentions"] == 3  # one in each article
