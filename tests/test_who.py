"""/who: any spelling, surname, Cyrillic or typo finds the person; ambiguity gives buttons; Witkoff finds Vitkoff."""

from __future__ import annotations

from pathlib import Path

import pytest

from diplobot.handlers.incoming import Incoming
from diplobot.handlers.who import who
from diplobot.ingest.files import read_path
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import enrich_pending, ingest_drafts, store_drafts
from diplobot.store.db import open_database

SEED = Path(__file__).parent.parent / "samples" / "paris-2025-09-04.txt"
CORPUS = Path(__file__).parent / "fixtures" / "corpus" / "articles"


def load(db, paths=(), texts=()) -> None:
    drafts = sorted((d for p in paths for d in read_path(p)), key=lambda d: d.published_at)
    drafts += [
        ArticleDraft(title=title, body=body, url=f"https://news.example/{n}") for n, (title, body) in enumerate(texts)
    ]
    store_drafts(db, drafts, source_id=None, now="2025-12-01T00:00:00+00:00")
    enrich_pending(db)


@pytest.fixture(scope="module")
def seed_db():
    db = open_database(":memory:")
    load(db, [SEED])
    yield db
    db.close()


@pytest.fixture(scope="module")
def corpus_db():
    db = open_database(":memory:")
    load(db, [*sorted(CORPUS.glob("*.txt")), SEED])
    yield db
    db.close()


def ask(db, name: str):
    return who(db, name, tz="Europe/Kyiv")


def test_who_yermak_is_head_of_the_presidential_office_of_ukraine(seed_db):
    text = ask(seed_db, "Yermak").plain()
    assert text.startswith("Andriy Yermak")
    assert "Now: head of the Presidential Office (Ukraine), 2025-09-04" in text


def test_who_vitkoff_finds_steve_witkoff_special_envoy_of_the_us_president(seed_db):
    text = ask(seed_db, "Vitkoff").plain()
    assert text.startswith("Steve Witkoff")
    assert "Also written: Vitkoff." in text
    assert "Now: special envoy of the US president (United States)" in text


def test_who_powell_sautter_and_umerov_in_the_seed(seed_db):
    assert "National Security Advisor (United Kingdom)" in ask(seed_db, "Powell").plain()
    sautter = ask(seed_db, "Sautter").plain()
    assert "Now: National Security Advisor (Germany) (“his German counterpart”)" in sautter
    assert "Now: secretary of the National Security and Defense Council (Ukraine)" in ask(seed_db, "Umerov").plain()


def test_who_shows_headlines_and_people_named_alongside(seed_db):
    text = ask(seed_db, "Andriy Yermak").plain()
    assert "Named in 1 article, 2025-09-04." in text
    assert "Latest headlines" in text and "Head of the presidential Office Andriy Yermak" in text
    assert "Often named with: Donald Trump (1), " in text


@pytest.mark.parametrize(
    "query", ["Єрмак", "Ермак", "Андрій Єрмак", "Yermack", "Iermak", "andriy yermak", "Andrii Yermak"]
)
def test_cyrillic_transliterations_and_typos_find_yermak(seed_db, query):
    assert ask(seed_db, query).plain().startswith("Andriy Yermak")


def test_who_merges_witkoff_and_vitkoff_across_articles(corpus_db):
    witkoff = ask(corpus_db, "Witkoff").plain()
    assert witkoff.startswith("Steve Witkoff") and "Steve Vitkoff" in witkoff and "Vitkoff" in witkoff
    assert ask(corpus_db, "Steve Vitkoff").plain() == witkoff


def test_variants_of_zelensky_sybiha_and_erdogan_are_one_person(corpus_db):
    assert ask(corpus_db, "Zelenskyi").plain() == ask(corpus_db, "Зеленський").plain()
    assert "Named in 24 articles" in ask(corpus_db, "Zelensky").plain()
    sybiha = ask(corpus_db, "Sybiga").plain()
    assert sybiha == ask(corpus_db, "Sybiha").plain() and "Andrii Sybiha" in sybiha and "Andrii Sybiga" in sybiha
    assert ask(corpus_db, "Erdogan").plain().startswith("Recep Tayyip Erdoğan")


def test_kallas_is_not_kellogg(corpus_db):
    assert ask(corpus_db, "Kallas").plain().startswith("Kaja Kallas")
    assert ask(corpus_db, "Kellogg").plain().startswith("Keith Kellogg")
    assert "Kellogg" not in ask(corpus_db, "Kallas").plain()


def test_role_history_lists_the_current_role_and_the_earlier_ones(corpus_db):
    text = ask(corpus_db, "Umerov").plain()
    assert "Now: NSDC secretary (Ukraine), 2025-09-03 to 2025-11-23" in text
    assert "Before: Defence Minister, 2025-03-11 to 2025-06-02" in text


def test_several_people_with_one_surname_are_offered_as_buttons():
    db = open_database(":memory:")
    load(db, texts=(("Trumps", "US President Donald Trump met his son Eric Trump, who said the talks went well."),))
    reply = ask(db, "Trump")
    assert reply.plain().startswith("Several people match Trump.")
    assert sorted(b.command for row in reply.buttons for b in row) == ["/who Donald Trump", "/who Eric Trump"]
    assert ask(db, "Eric Trump").plain().startswith("Eric Trump")


def test_a_given_name_alone_offers_the_people_who_have_it(corpus_db):
    reply = ask(corpus_db, "Donald")
    assert {b.command for row in reply.buttons for b in row} == {"/who Donald Trump", "/who Donald Tusk"}


def test_an_unknown_name_says_so_and_suggests_the_closest(corpus_db):
    reply = ask(corpus_db, "Zelenskaya Olenovna")
    assert reply.plain().startswith("I found nobody called Zelenskaya Olenovna in 25 articles.")
    assert "Closest names: Volodymyr Zelensky" in reply.plain()
    assert reply.buttons[0][0].command == "/who Volodymyr Zelensky"


def test_nobody_in_an_empty_store():
    db = open_database(":memory:")
    assert ask(db, "Yermak").plain() == "I found nobody called Yermak in 0 articles."


def test_nobody_found_yet_says_that_new_articles_are_still_being_read():
    db = open_database(":memory:")
    load(db, [SEED])
    store_drafts(
        db,
        [ArticleDraft(title="Talks", body="Envoys met.", url="https://news.example/new")],
        source_id=None,
        now="2025-12-01T00:00:00+00:00",
    )  # stored, not enriched yet
    assert (
        ask(db, "Kellogg")
        .plain()
        .startswith(
            "I found nobody called Kellogg in 1 article.\n\n"
            "1 just-stored article is still being read; ask again in a minute."
        )
    )


async def test_who_through_the_chat_command(chat, store, clock):
    await ingest_drafts(store, list(read_path(SEED)), now=clock.now())
    reply = await chat("/who Ермак")
    assert reply.startswith("Andriy Yermak") and "Presidential Office" in reply


async def test_subscribe_witkoff_alerts_on_an_article_that_only_says_vitkoff(chat, store, clock):
    await ingest_drafts(store, list(read_path(SEED)), now=clock.now())
    await chat("/subscribe Witkoff")
    vitkoff_only = ArticleDraft(
        title="Envoy returns to Moscow",
        url="https://news.example/envoy",
        body="Vitkoff met officials in Moscow on Friday to discuss a prisoner exchange.",
    )
    counts = await ingest_drafts(store, [vitkoff_only], now=clock.now())
    assert counts.alerts == 1


async def test_a_subscription_to_another_name_does_not_match_vitkoff(chat, store, clock, dispatcher):
    await ingest_drafts(store, list(read_path(SEED)), now=clock.now())
    await chat("/subscribe Kellogg")
    vitkoff_only = ArticleDraft(
        title="Envoy returns to Moscow",
        url="https://news.example/envoy",
        body="Vitkoff met officials in Moscow on Friday to discuss a prisoner exchange.",
    )
    assert (await ingest_drafts(store, [vitkoff_only], now=clock.now())).alerts == 0
    reply = await dispatcher.handle(Incoming(chat_id="test:1", user_id="test:u1", text="/who Witkoff"))
    assert reply.plain().startswith("Steve Witkoff")
