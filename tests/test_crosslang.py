"""Topics across languages: an English topic alerts, lists and counts Ukrainian and Russian reports (own sentences)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import fake_telegram as ft
import pytest

from diplobot.config import Config, DeliveryConfig, StoreConfig, TelegramConfig, TopicsConfig
from diplobot.ingest.models import ArticleDraft
from diplobot.outbox import OutboxWorker
from diplobot.pipeline import ingest_drafts
from diplobot.runtime import sync_config_sources
from diplobot.store.sources import upsert_source

ALICE = 5001

UK_REPORT = ArticleDraft(
    title="Радники з нацбезпеки зустрілися в Парижі",
    body="Сторони обговорили надання гарантій безпеки Україні та наступне засідання коаліції охочих.",
    url="https://ukr.example/paryzh",
)
RU_REPORT = ArticleDraft(
    title="В Женеве обсудили мирный план",
    body="Делегации говорили о гарантиях безопасности и о прекращении огня на тридцать дней.",
    url="https://rus.example/zheneva",
)
LOOK_ALIKE = ArticleDraft(
    title="Премьер потребовал дополнительных гарантий",
    body="Бельгия хочет гарантий, что ей не придется платить одной. О безопасности речь не шла.",
    url="https://rus.example/garantii",
)


async def _ingest(store, clock, *drafts):
    return await ingest_drafts(store, list(drafts), now=clock.now())


async def test_subscribe_shows_the_equivalents_it_also_matches(chat):
    reply = await chat("/subscribe security guarantees")
    assert "Also matching: гарантії безпеки, гарантии безопасности (in any grammatical form)." in reply


async def test_an_english_topic_lists_and_counts_ukrainian_and_russian_reports(chat, store, clock):
    await _ingest(store, clock, UK_REPORT, RU_REPORT, LOOK_ALIKE)
    reply = await chat("/subscribe security guarantees")
    assert "2 stored articles of the last 7 days match" in reply
    latest = await chat("/latest security guarantees")
    assert "Радники з нацбезпеки" in latest and "мирный план" in latest
    assert "дополнительных гарантий" not in latest  # "гарантий" alone is not security guarantees
    assert "in Ukrainian" in latest and "in Russian" in latest


async def test_the_alert_says_which_equivalent_matched(chat, store, clock, messenger, config):
    await chat("/subscribe security guarantees")
    counts = await _ingest(store, clock, UK_REPORT)
    assert counts.alerts == 1
    assert await OutboxWorker(store, messenger, config, clock).run_once() == 1
    (text,) = messenger.texts()
    assert "Радники з нацбезпеки зустрілися в Парижі" in text  # the original title
    assert "Matched: phrase \"security guarantees\" ('гарантій безпеки' in the text)" in text
    assert "in Ukrainian" in text


async def test_a_chats_own_equivalent(chat, store, clock):
    reply = await chat('/subscribe "reassurance force" = "сили підтримки"')
    assert 'Subscribed (topic 1): "reassurance force" OR "сили підтримки"' in reply
    await _ingest(
        store,
        clock,
        ArticleDraft(
            title="Сили підтримки готові",
            url="https://ukr.example/syly",
            body="Європейські сили підтримки розгорнуть після перемир'я.",
        ),
    )
    assert "Сили підтримки готові" in await chat("/latest 1")
    assert "plain phrases only" in await chat('/subscribe ceasefire OR truce = "перемир\'я"')
    assert "a phrase on each side" in await chat("/subscribe ceasefire =")


async def test_a_deployment_lexicon_file_applies_to_every_command(tmp_path: Path, store, clock, chat):
    lexicon = tmp_path / "ours.tsv"
    lexicon.write_text("energy bridge\tенергоміст\tэнергомост\n", encoding="utf-8")
    config = Config(store=StoreConfig(path=str(tmp_path / "t.db")), topics=TopicsConfig(lexicon=str(lexicon)))
    await store.run(sync_config_sources, config, clock.now().isoformat())
    assert "Also matching: енергоміст, энергомост" in await chat("/subscribe energy bridge")
    await _ingest(
        store,
        clock,
        ArticleDraft(
            title="Енергоміст до Європи", url="https://ukr.example/most", body="Уряд обговорив енергоміст з сусідами."
        ),
    )
    assert "Енергоміст до Європи" in await chat("/latest energy bridge")


# ---- end to end: a Ukrainian feed item alerts a chat following an English topic, through Telegram ----------------


@pytest.fixture
async def tg():
    async with ft.FakeTelegram() as server:
        yield server


@pytest.fixture
def config(tmp_path, tg):
    """Overrides conftest's config, so conftest's store and dispatcher use this one."""
    telegram = TelegramConfig(
        token=tg.token, base_url=tg.base_url, per_chat_per_s=20.0, per_group_per_min=1200.0, total_per_s=1000.0
    )
    return Config(
        telegram=telegram, store=StoreConfig(path=str(tmp_path / "t.db")), delivery=DeliveryConfig(max_attempts=3)
    )


@pytest.fixture
def bot(telegram_bot):
    return telegram_bot


async def test_a_ukrainian_feed_item_alerts_a_chat_following_an_english_topic(tg, bot, store, config, clock):
    tg.push(ft.message_update("/subscribe coalition of the willing", chat_id=ALICE, user_id=ALICE))
    (answer,) = await tg.wait_for(lambda: tg.sent(ALICE))
    assert "Also matching: коаліція охочих, коалиция желающих" in answer["text"]
    source_id = await store.run(
        upsert_source,
        "https://ukr.example/rss",
        kind="feed",
        every_s=600,
        full_text=False,
        title="Укрінформ",
        now=clock.now().isoformat(),
    )
    counts = await ingest_drafts(store, [UK_REPORT], source_id=source_id, now=clock.now())
    assert counts.alerts == 1
    assert await OutboxWorker(store, bot, config, clock).run_once() == 1
    alert = tg.sent(ALICE)[-1]["text"]
    assert "Радники з нацбезпеки зустрілися в Парижі" in alert
    assert "Укрінформ" in alert and "in Ukrainian" in alert
    assert "'коаліції охочих' in the text" in alert


# ---- stories across languages ----------------------------------------------------------------------------------

UK_ORIGINAL = ArticleDraft(
    title="Єрмак і Умєров обговорили з Рубіо мирний план у Женеві",
    body="Керівник Офісу Президента Андрій Єрмак і секретар РНБО Рустем Умєров зустрілися в Женеві з державним "
    "секретарем США Марко Рубіо. Сторони скоротили мирний план з 28 до 19 пунктів і обговорили гарантії "
    "безпеки для України. «Ми зробили великий крок», — заявив Єрмак.",
    url="https://ukr.example/zheneva",
    published_at=datetime(2025, 11, 24, 9, tzinfo=UTC),
)
EN_REWRITE = ArticleDraft(
    title="Yermak and Umerov meet Rubio in Geneva, peace plan cut to 19 points",
    body="Head of the Office of the President Andriy Yermak and NSDC secretary Rustem Umerov met US Secretary of "
    "State Marco Rubio in Geneva. The sides cut the peace plan from 28 to 19 points and discussed security "
    'guarantees for Ukraine. "We have made a big step," Yermak said.',
    url="https://wire.example/geneva",
    published_at=datetime(2025, 11, 24, 15, tzinfo=UTC),
)
EN_OTHER = ArticleDraft(
    title="US imposes sanctions on Rosneft and Lukoil",
    body="Treasury Secretary Scott Bessent announced sanctions against Russia's two largest oil companies, "
    "Rosneft and Lukoil, saying Washington was ready to do more if Moscow did not agree to peace talks.",
    url="https://wire.example/rosneft",
    published_at=datetime(2025, 11, 24, 12, tzinfo=UTC),
)


async def test_an_english_rewrite_joins_the_story_of_its_ukrainian_original(store, clock):
    from datetime import timedelta

    await ingest_drafts(store, [UK_ORIGINAL], now=clock.now())
    await ingest_drafts(store, [EN_OTHER], now=clock.now() + timedelta(hours=1))
    await ingest_drafts(store, [EN_REWRITE], now=clock.now() + timedelta(hours=2))
    stories = await store.run(lambda db: dict(db.execute("select url, story_id from articles").fetchall()))
    assert stories["https://wire.example/geneva"] == stories["https://ukr.example/zheneva"]
    assert stories["https://wire.example/rosneft"] != stories["https://ukr.example/zheneva"]


def test_the_english_gloss_of_a_ukrainian_report() -> None:
    from diplobot.analysis.crosslang import english_gloss

    title, body = english_gloss(UK_ORIGINAL.title, UK_ORIGINAL.body)
    assert "Geneva" in title and "peace plan" in title
    assert "Andriy Yermak" in body and "Rustem Umerov" in body and "security guarantees" in body
    assert "28" in body and "19" in body
    assert english_gloss(EN_OTHER.title, EN_OTHER.body) == (EN_OTHER.title, EN_OTHER.body)


async def test_who_answers_a_cyrillic_spelling_with_the_english_person(chat, store, clock):
    await ingest_drafts(store, [EN_REWRITE], now=clock.now())
    await ingest_drafts(store, [UK_ORIGINAL], now=clock.now())
    for query in ("Умєров", "Rustem Umerov", "Рустем Умєров"):
        reply = await chat(f"/who {query}")
        assert "Rustem Umerov" in reply, (query, reply)
    people = await store.run(lambda db: [row[0] for row in db.execute("select name from people")])
    assert sum("Umerov" in name or "Умєров" in name for name in people) == 1  # one person, not two
