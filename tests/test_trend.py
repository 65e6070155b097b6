"""Trend charts (issue 16): series and captions, story counts against the store, the PNG, /trend, CLI, console."""

import asyncio
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image as PILImage
from typer.testing import CliRunner

from diplobot.analysis.query import parse_query
from diplobot.analysis.topics import Topics, Window
from diplobot.analysis.trend import (
    DayStories,
    Point,
    build_series,
    caption_line,
    highest_peaks,
    rolling_mean,
)
from diplobot.analysis.trend_counts import MatchedStoryCounts, Verdicts
from diplobot.bot import app
from diplobot.charts import TrendChart, render_trend
from diplobot.clock import FixedClock, iso
from diplobot.config import ChartsConfig, Config, StoreConfig
from diplobot.enrichment.corpus import StoredArticles
from diplobot.handlers.dispatcher import Dispatcher
from diplobot.handlers.incoming import Incoming
from diplobot.handlers.registry import UsageError
from diplobot.handlers.reply import Image, Reply, reply_from_json, reply_to_json
from diplobot.handlers.trend import Topic, split_args, story_counts, trend_reply
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import enrich_pending, store_drafts
from diplobot.platforms.console import ConsolePlatform
from diplobot.store import articles, sources
from diplobot.store.db import open_database
from diplobot.store.trends import StoredTrendCorpus
from diplobot.store.worker import Store

NOW = datetime(2025, 9, 4, 10, 0, tzinfo=UTC)


# --- the pure part ---------------------------------------------------------------------------------------------------


def test_daily_series_fills_missing_days_with_zero_and_keeps_the_biggest_story():
    days = [DayStories(date(2025, 5, 2), 3, "Talks in Istanbul", 5), DayStories(date(2025, 5, 4), 1, "Other", 1)]
    series = build_series("ceasefire", days, date(2025, 5, 1), date(2025, 5, 5))
    assert series.bucket == "day"
    assert [p.count for p in series.points] == [0, 3, 0, 1, 0]
    assert series.total == 4 and series.peaks[0] == Point(date(2025, 5, 2), 3, "Talks in Istanbul", 5)


def test_more_than_180_days_are_counted_per_week_from_monday():
    first, last = date(2025, 1, 1), date(2025, 12, 31)  # 1 Jan 2025 is a Wednesday
    days = [
        DayStories(date(2025, 1, 1), 2, "a", 2),
        DayStories(date(2025, 1, 5), 1, "b", 9),
        DayStories(date(2025, 1, 6), 4, "c", 1),
    ]
    series = build_series("x", days, first, last)
    assert series.bucket == "week" and series.rolling_label == "4-week mean"
    assert series.points[0] == Point(date(2024, 12, 30), 3, "b", 9)  # the week's biggest story, not its first
    assert series.points[1].count == 4 and series.points[1].start == date(2025, 1, 6)
    assert series.total == 7


def test_rolling_mean_is_trailing_and_averages_what_there_is_at_the_start():
    assert rolling_mean([7, 0, 0, 0, 0, 0, 0, 7], 7) == (7.0, 3.5, 7 / 3, 1.75, 1.4, 7 / 6, 1.0, 1.0)


def test_peaks_are_the_highest_points_apart_from_each_other():
    counts = [0, 9, 8, 0, 0, 0, 5, 0, 0, 0, 7, 0]
    points = [Point(date(2025, 1, 1) + timedelta(days=n), c) for n, c in enumerate(counts)]
    assert [p.count for p in highest_peaks(points)] == [9, 7, 5]  # 8 is the same surge as 9
    assert highest_peaks([Point(date(2025, 1, 1), 0)]) == ()


def test_caption_says_it_in_words():
    days = [
        DayStories(date(2025, 5, 16), 12, "Istanbul talks end without a deal on prisoners or a truce", 30),
        DayStories(date(2025, 5, 20), 29, "", 0),
    ]
    series = build_series(
        "ceasefire", [*days[:1], DayStories(date(2025, 4, 1), 29, "Big", 2)], date(2025, 2, 16), date(2025, 5, 16)
    )
    assert caption_line(series, "90 days") == "ceasefire: 41 stories in 90 days, peak 29 on 1 Apr: Big"
    one = build_series("truce", days[:1], date(2025, 5, 1), date(2025, 5, 16))
    assert caption_line(one, "16 days") == (
        "truce: 12 stories in 16 days, peak 12 on 16 May: Istanbul talks end without a deal on…"
    )
    assert (
        caption_line(build_series("x", [], date(2025, 5, 1), date(2025, 5, 2)), "2 days") == "x: no stories in 2 days"
    )


@pytest.mark.parametrize(
    ("args", "topics", "period"),
    [
        ("ceasefire", ["ceasefire"], "90d"),
        ("ceasefire, truce 1Y", ["ceasefire", "truce"], "1y"),
        ('"Witkoff, Kushner" -loan, #2 all', ['"Witkoff, Kushner" -loan', "#2"], "all"),
    ],
)
def test_arguments_are_topics_separated_by_commas_and_a_period(args, topics, period):
    assert split_args(args) == (topics, period)


@pytest.mark.parametrize(("args", "says"), [("30d", "Which topic"), ("a, b, c, d", "At most 3 topics")])
def test_bad_arguments_say_what_to_type(args, says):
    with pytest.raises(UsageError, match=says):
        split_args(args)


# --- counting against the store --------------------------------------------------------------------------------------


def at(days_before: float, hour: int = 12) -> datetime:
    return (NOW - timedelta(days=days_before)).replace(hour=hour, minute=0)


def add(db, title, when, *, body="", source_id=None, story_of=None):
    """Store one article published at `when`; `story_of`: the id of an article whose story it joins."""
    n = db.execute("select count(*) from articles").fetchone()[0]
    draft = ArticleDraft(
        title=title, body=body or f"{title}. Reported on day {n}.", url=f"https://x.org/{n}", published_at=when
    )
    store_drafts(db, [draft], source_id=source_id, now=iso(max(when, NOW - timedelta(days=400))))
    article_id = articles.max_article_id(db)
    if story_of is not None:
        db.execute("update articles set story_id = ? where id = ?", [story_of, article_id])
    return article_id


@pytest.fixture
def db(tmp_path):
    db = open_database(tmp_path / "t.db")
    one = sources.upsert_source(
        db, "https://one.example/rss", kind="feed", every_s=600, full_text=False, title="One", now=iso(NOW)
    )
    two = sources.upsert_source(
        db, "https://two.example/rss", kind="feed", every_s=600, full_text=False, title="Two", now=iso(NOW)
    )
    # 10 days ago: two ceasefire stories, the first reported by three outlets
    big = add(db, "Ceasefire talks open in Istanbul", at(10), source_id=one)
    add(db, "Istanbul hosts ceasefire talks", at(10, 14), source_id=two, story_of=big)
    add(db, "Ceasefire: talks in Istanbul", at(9), source_id=two, story_of=big)  # a copy the next day: no new story
    add(db, "A ceasefire in the north", at(10, 15), source_id=one)
    # 5 days ago: one story; 3 days ago: a story that says "cease-fire" only in the body (matched, as alerts do)
    add(db, "Front line quiet", at(5), body="The ceasefire held overnight.", source_id=two)
    add(db, "Talks resume", at(3), body="A cease-fire was signed.")
    # a different word (not matching), and a plural in the title (matching)
    add(db, "Truce agreed", at(4), source_id=one)
    add(db, "Ceasefires in the past", at(2), body="Historians discuss older arrangements.")
    yield db
    db.close()


def test_stories_per_day_against_the_store(db):
    days = story_counts(db).stories_per_day(parse_query("ceasefire"), at(30, 0), NOW, "UTC")
    by_day = {d.day: (d.stories, d.top_title, d.top_articles) for d in days}
    assert by_day == {
        at(10).date(): (2, "Ceasefire talks open in Istanbul", 3),
        at(5).date(): (1, "Front line quiet", 1),
        at(3).date(): (1, "Talks resume", 1),
        at(2).date(): (1, "Ceasefires in the past", 1),
    }


def test_the_count_is_what_the_topic_service_finds_for_latest_and_digests(db):
    query = parse_query("ceasefire")
    window = Window(since=iso(at(30, 0)), until=iso(NOW))
    per_day, complete = Topics(StoredArticles(db)).stories_per_day(query, window, "UTC")
    ours = story_counts(db).stories_per_day(query, at(30, 0), NOW, "UTC")
    assert complete and {day: len(hits) for day, hits in per_day.items()} == {d.day: d.stories for d in ours}


def test_days_are_the_chats_local_days(db):
    late = add(db, "Late ceasefire news", datetime(2025, 8, 20, 22, 30, tzinfo=UTC))
    assert late
    days = story_counts(db).stories_per_day(parse_query("late ceasefire"), at(30, 0), NOW, "Europe/Kyiv")
    assert [(d.day, d.stories) for d in days] == [(date(2025, 8, 21), 1)]  # 01:30 in Kyiv
    days = story_counts(db).stories_per_day(parse_query("late ceasefire"), at(30, 0), NOW, "America/New_York")
    assert [(d.day, d.stories) for d in days] == [(date(2025, 8, 20), 1)]


def test_a_story_that_began_before_the_period_is_not_a_first_day_spike(db):
    days = story_counts(db).stories_per_day(parse_query("ceasefire"), at(9, 0), NOW, "UTC")
    assert at(9).date() not in {d.day for d in days}  # the Istanbul story's copy of day 9 is old news


class CountingCorpus(StoredTrendCorpus):
    def __init__(self, db):
        super().__init__(db)
        self.read: list[int] = []
        self.bodies: list[int] = []
        self.batches = 0

    def texts(self, ids, *, body=True):
        self.batches += body
        self.read.extend(ids)
        if body:
            self.bodies.extend(ids)
        return super().texts(ids, body=body)


def test_verdicts_are_remembered_and_new_articles_still_counted(db):
    corpus, verdicts = CountingCorpus(db), Verdicts()
    counts = MatchedStoryCounts(corpus, Topics(StoredArticles(db)), verdicts)
    query = parse_query("ceasefire")
    first = counts.stories_per_day(query, at(30, 0), NOW, "UTC")
    assert corpus.read
    corpus.read.clear()
    assert counts.stories_per_day(query, at(30, 0), NOW, "UTC") == first
    assert corpus.read == []  # nothing read again
    new = add(db, "Ceasefire extended", at(1))
    again = counts.stories_per_day(query, at(30, 0), NOW, "UTC")
    assert corpus.read == [new] and sum(d.stories for d in again) == sum(d.stories for d in first) + 1


def test_a_first_count_decides_only_what_can_change_it(tmp_path):
    db = open_database(tmp_path / "few.db")
    old = add(db, "Ceasefire story of last month", at(40))  # its story has no article in the period: never read
    add(db, "Ceasefire story of last month, again", at(39), story_of=old)
    lead = add(db, "Talks", at(12), body="The ceasefire holds.")  # decided; its copies need not be
    copies = [add(db, f"Talks {n}", at(11.5 - n), body="The ceasefire holds.", story_of=lead) for n in range(3)]
    headline = add(db, "Ceasefire signed", at(8), body="A long report. " * 50)  # the title decides it
    corpus = CountingCorpus(db)
    days = MatchedStoryCounts(corpus, Topics(StoredArticles(db))).stories_per_day(
        parse_query("ceasefire"), at(30, 0), NOW, "UTC"
    )
    assert sum(d.stories for d in days) == 2
    assert old not in corpus.read and not set(copies) & set(corpus.read)
    assert sorted(corpus.read) == [lead, headline] and corpus.bodies == [lead]  # the body of "Talks" only, once


def test_a_story_whose_articles_do_not_match_takes_a_few_batches_not_one_each(tmp_path):
    db = open_database(tmp_path / "misses.db")
    lead = add(db, "Talks on a ceasefire", at(20), body="Talks about a ceasefire.")  # near, not the phrase
    for n in range(40):
        add(db, f"Talks on a ceasefire {n}", at(19, 0) + timedelta(minutes=n), story_of=lead)
    hit = add(db, "Ceasefire talks begin", at(18), story_of=lead)
    corpus = CountingCorpus(db)
    days = MatchedStoryCounts(corpus, Topics(StoredArticles(db))).stories_per_day(
        parse_query('"ceasefire talks"'), at(30, 0), NOW, "UTC"
    )
    assert [(d.day, d.stories, d.top_title) for d in days] == [(at(18).date(), 1, "Ceasefire talks begin")]
    assert hit in corpus.read and corpus.batches <= 8  # 1, 2, 4, 8, 16, 32 candidates of the story at a time


@pytest.mark.parametrize(
    "text", ["ceasefire", "ceasefire -Istanbul", "talks AND (Istanbul OR north)", '"ceasefire talks"', "truce"]
)
@pytest.mark.parametrize("days", [4, 10, 30])
def test_the_first_count_and_a_remembered_one_are_what_the_topic_service_counts(db, text, days):
    add(db, "Ceasefire talks open again in Istanbul", at(days + 2), body="Istanbul again.")  # a story from before
    add(db, "Talks", at(days - 1), body="Ceasefire talks in Istanbul resume.", story_of=1)  # ...runs on: not new
    query, since = parse_query(text), at(days, 0)
    window = Window(since=iso(since - timedelta(days=7)), until=iso(NOW))
    per_day, complete = Topics(StoredArticles(db)).stories_per_day(query, window, "UTC")
    expected = {day: len(hits) for day, hits in per_day.items() if day >= since.date()}
    counts = MatchedStoryCounts(StoredTrendCorpus(db), Topics(StoredArticles(db)), Verdicts())
    for _ in range(2):  # nothing remembered, then everything
        assert complete and {d.day: d.stories for d in counts.stories_per_day(query, since, NOW, "UTC")} == expected


def test_warming_up_loads_the_renderer_and_remembers_nothing(db):
    import sys

    from diplobot.handlers import trend as trend_handler

    trend_handler.warm(db)
    assert "matplotlib.backends.backend_agg" in sys.modules
    assert db not in trend_handler._VERDICTS  # the first chart of a topic still decides its candidates


def test_a_person_counts_under_every_spelling(tmp_path):
    db = open_database(tmp_path / "people.db")
    add(db, "Witkoff arrives", at(6), body="US envoy Steve Witkoff arrived in Moscow.")
    add(db, "Vitkoff meets Putin", at(4), body="Envoy Steve Vitkoff met the Kremlin's leader.")
    enrich_pending(db, NOW)  # people and their spellings are learned here
    service = Topics(StoredArticles(db))
    assert service.variants("witkoff") == ("Vitkoff",)
    days = story_counts(db, service).stories_per_day(parse_query("Witkoff"), at(30, 0), NOW, "UTC")
    assert [(d.day, d.stories, d.top_title) for d in days] == [
        (at(6).date(), 1, "Witkoff arrives"),
        (at(4).date(), 1, "Vitkoff meets Putin"),
    ]


# --- the picture and the reply ---------------------------------------------------------------------------------------


def decode(png: bytes) -> PILImage.Image:
    image = PILImage.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def test_the_chart_is_a_1200x675_png_with_colour(db):
    topics = [Topic("ceasefire", parse_query("ceasefire")), Topic("truce", parse_query("truce"))]
    reply = trend_reply(db, topics, (NOW - timedelta(days=29)).date(), NOW.date(), "UTC", period="30d", until=NOW)
    assert reply.image is not None and reply.image.filename.endswith(".png")
    image = decode(reply.image.png)
    assert image.size == (1200, 675)
    colours = image.getcolors(maxcolors=1_000_000)
    assert len(colours) > 10
    assert min(sum(rgb) for _, rgb in colours) < 200  # something dark is drawn: not blank
    blue = (0x00, 0x72, 0xB2)
    assert any(rgb == blue for _, rgb in colours)  # the first topic's Okabe-Ito colour


def test_the_caption_numbers_match_the_store(db):
    reply = trend_reply(
        db,
        [Topic("ceasefire", parse_query("ceasefire"))],
        (NOW - timedelta(days=29)).date(),
        NOW.date(),
        "UTC",
        period="30d",
        until=NOW,
    )
    caption = reply.plain()
    assert caption.startswith(
        f"ceasefire: 5 stories in 30 days, peak 2 on {at(10).day} Aug: Ceasefire talks open in Istanbul"
    )
    assert "2 sources" in caption and "a story counts once" in caption
    assert "ceasefire" in reply.image.alt and "5 stories" in reply.image.alt


def test_an_empty_period_gets_a_text_reply_not_an_empty_chart(db):
    reply = trend_reply(
        db,
        [Topic("referendum", parse_query("referendum"))],
        (NOW - timedelta(days=29)).date(),
        NOW.date(),
        "UTC",
        period="30d",
        until=NOW,
    )
    assert reply.image is None
    assert "No stored story matches referendum in the last 30 days" in reply.plain()


def test_a_weekly_chart_renders_too():
    days = [DayStories(date(2025, 1, 1) + timedelta(days=n * 3), n % 5, f"Headline {n}", 1) for n in range(120)]
    series = build_series("a long topic name", days, date(2025, 1, 1), date(2025, 12, 31))
    png = render_trend(TrendChart("a long topic name", "1 Jan–31 Dec 2025 · per week", (series,), True))
    assert decode(png).size == (1200, 675)


def test_an_image_survives_the_outbox_json():
    reply = Reply.text("caption").__class__(
        blocks=Reply.text("caption").blocks, image=Image(b"\x89PNG\r\n\x1a\n\x00\xff", "a chart", "t.png")
    )
    again = reply_from_json(reply_to_json(reply))
    assert again.image == reply.image and again.plain() == "caption"
    assert reply_from_json(reply_to_json(Reply.text("no image"))).image is None


# --- the command, the CLI and the console ----------------------------------------------------------------------------


@pytest.fixture
async def trend_chat(tmp_path, db):
    config = Config(store=StoreConfig(path=str(tmp_path / "t.db")), charts=ChartsConfig(dir=str(tmp_path / "ch")))
    async with Store(config.store.path) as store:
        dispatcher = Dispatcher(store, config, FixedClock(NOW))

        async def say(text):
            return await dispatcher.handle(Incoming(chat_id="test:1", user_id="test:u1", text=text))

        yield say, dispatcher, config


async def test_trend_command_sends_a_chart_with_its_caption(trend_chat):
    say, _, _ = trend_chat
    reply = await say("/trend ceasefire 30d")
    assert reply.image is not None and decode(reply.image.png).size == (1200, 675)
    assert reply.plain().startswith("ceasefire: 5 stories in 30 days")
    await say("/subscribe truce")
    reply = await say("/trend ceasefire, #1")
    assert "ceasefire: 5 stories in 90 days" in reply.plain() and "truce: 1 story in 90 days" in reply.plain()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("/trend", "Which topic?"),
        ("/trend #7", "This chat has no topic #7"),
        ("/trend a, b, c, d", "At most 3 topics"),
        ("/trend the", "too common"),
        ("/trend referendum", "No stored story matches referendum"),
    ],
)
async def test_trend_command_explains_what_it_cannot_chart(trend_chat, text, says):
    say, _, _ = trend_chat
    reply = await say(text)
    assert says in reply.plain() and reply.image is None


async def test_help_lists_trend(trend_chat):
    say, _, _ = trend_chat
    assert "/trend" in (await say("/help")).plain()


async def test_the_console_writes_the_chart_to_the_charts_folder(trend_chat, tmp_path):
    _, dispatcher, _ = trend_chat
    out = io.StringIO()
    done = asyncio.Event()
    console = ConsolePlatform(dispatcher, stdin=io.StringIO("/trend ceasefire 30d\n"), stdout=out, on_eof=done.set)
    await console.start()
    await asyncio.wait_for(done.wait(), 30)
    await console.stop()
    printed = out.getvalue()
    assert "ceasefire: 5 stories in 30 days" in printed
    path = tmp_path / "ch" / f"trend-ceasefire-{NOW.date().isoformat()}.png"
    assert f"Chart: {path}" in printed
    assert decode(path.read_bytes()).size == (1200, 675)


def test_cli_writes_the_png_and_prints_the_caption(tmp_path):
    db = open_database(tmp_path / "cli.db")
    now = datetime.now(UTC)
    for n in range(3):
        add(db, f"Security guarantees discussed {n}", (now - timedelta(days=2 + n)).replace(hour=12))
    db.close()
    config = tmp_path / "diplobot.toml"
    config.write_text('timezone = "UTC"\n[store]\npath = "cli.db"\n', encoding="utf-8")
    out = tmp_path / "trend.png"
    since = (now - timedelta(days=20)).date().isoformat()
    result = CliRunner().invoke(
        app, ["--config", str(config), "trend", '"security guarantees"', "--since", since, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert '"security guarantees": 3 stories in' in result.output and f"chart written to {out}" in result.output
    assert decode(out.read_bytes()).size == (1200, 675)
    empty = CliRunner().invoke(app, ["--config", str(config), "trend", "referendum", "--out", str(tmp_path / "x.png")])
    assert empty.exit_code == 1 and "No stored story matches referendum" in empty.output
    assert not (tmp_path / "x.png").exists()
    bad = CliRunner().invoke(app, ["--config", str(config), "trend", "x", "--since", "someday"])
    assert bad.exit_code == 2


# --- digests -----------------------------------------------------------------------------------------------------


async def send_due_digests(store, config, clock, messenger):
    """The scheduler's digest job, then the outbox until it has nothing more to send; the digests and charts sent
    (not the alerts)."""
    from diplobot.outbox import OutboxWorker
    from diplobot.scheduler import Jobs

    jobs = Jobs(store, fetcher=None, config=config, clock=clock)
    jobs.platforms.add(messenger.platform)
    await jobs.digests()
    before = len(messenger.sent)
    worker = OutboxWorker(store, messenger, config, clock)
    for _ in range(5):
        await worker.run_once()
        await asyncio.sleep(0.01)
    return [reply for _, _, reply in messenger.sent[before:] if reply.image or "Digest" in reply.plain()]


async def test_settings_turn_the_daily_digest_chart_on_and_off(chat):
    await chat("/settings digest 14:00")
    assert "Daily digests will carry a chart" in await chat("/settings digest chart on")
    assert "with a chart of your topics" in await chat("/settings")
    assert "without a chart" in await chat("/settings digest chart off")
    assert "with a chart" not in await chat("/settings")
    assert "Say /settings digest chart on" in await chat("/settings digest chart maybe")


async def test_a_daily_digest_carries_a_chart_only_when_asked_and_a_weekly_one_always(
    chat, store, messenger, config, clock
):
    from diplobot.pipeline import ingest_drafts

    await chat("/subscribe ceasefire")
    await chat("/subscribe truce")
    await chat("/settings digest 14:00")
    bodies = [
        "Gaza ceasefire brokered by Qatar after months of negotiation in Doha.",
        "Sudan army and militia agree ceasefire for humanitarian corridor in Darfur.",
        "Kashmir border ceasefire restored by military commanders from both sides.",
    ]
    drafts = [
        ArticleDraft(
            title=body.split(" ceasefire")[0] + " ceasefire",
            url=f"https://x.org/c{n}",
            body=body,
            published_at=clock.now() - timedelta(days=n + 1),
        )
        for n, body in enumerate(bodies)
    ]
    await ingest_drafts(store, drafts, now=clock.now())
    clock.advance(hours=4, minutes=1)
    (digest,) = await send_due_digests(store, config, clock, messenger)
    assert "Digest" in digest.plain() and digest.image is None

    await chat("/settings digest chart on")
    clock.advance(days=1)
    digest, chart = await send_due_digests(store, config, clock, messenger)
    assert "Digest" in digest.plain() and digest.image is None
    assert chart.plain().startswith("Your topics, last 30 days\n\nceasefire: 3 stories in 30 days")
    assert "truce" not in chart.plain()  # a topic without a story in those days is left out of the chart
    assert decode(chart.image.png).size == (1200, 675)
    assert await send_due_digests(store, config, clock, messenger) == []  # never twice

    await chat("/settings digest chart off")
    await chat(f"/settings digest weekly {(clock.now() + timedelta(days=1)).strftime('%a').lower()} 14:00")
    clock.advance(days=1)
    digest, chart = await send_due_digests(store, config, clock, messenger)
    assert "Digest" in digest.plain() and chart.image is not None
