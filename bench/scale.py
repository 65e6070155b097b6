"""Scale: a year of world news in one database, stored through the real pipeline, and what each command then costs.

Usage: python bench/scale.py [--articles 1000000] [--queries 200] [--workers 2] [--seed 5] [--db PATH]

Data (generated, deterministic for a seed; generation is not timed). News-like articles published evenly over 12
months from 2025-01-01 and stored in that order, each fetched a few minutes after publication:

* sizes as in bench/ingest.py: a title of 6-14 words, a summary of 1-3 sentences (at most 400 characters), and for
  80% a body of a log-normal number of words (median about 520, 120-2,500); the rest carry the summary only;
* words drawn Zipf (s=1) from a 30k-word vocabulary (function words, news words, pronounceable pseudo-words; the
  lists of bench/ingest.py), sentence by sentence from a pool of generated sentences, each article with a dozen
  words of its own event;
* 3,000 recurring people (a given name from analysis/data/given_names.txt and a generated surname), named with
  their role and country on first mention ("Foreign Minister Anna Koravi of Nelaria") and by surname after,
  chosen Zipf by popularity, so a few are in thousands of articles and most in a handful;
* 80 topic phrases ("security guarantees", "grain corridor talks", ...) in about one article in four;
* 30% are rewrites of an article of the previous two days (another outlet's copy: new headline, sentences
  dropped and reordered), so that story assignment has real work; 60 sources.

Steps, on one database file (a temporary one unless --db; a file that already has articles is measured as it is):

1. ingest: 40 chats following 3 topic phrases each, then the articles in chunks: `pipeline.store_drafts` in
   batches of 100 (one feed poll each), then `Pipeline.enrich_and_match` with a `Sandbox` of `--workers` worker
   processes, as the bot runs them. The rate of the whole (store + enrich + match) is measured per chunk;
   `ingest_per_s_first` and `ingest_per_s_last` are the rates over the first and the last 5% of the articles.
2. commands: each command's store work (what its handler asks the store and the topic service for, without
   rendering) timed over `--queries` varied queries, against the bare indexed or FTS5 SQL that answers the same
   question on the same file (`*_vs_raw`: ratio of the medians):
   * /search: `Topics.find` of the query, first page of 5 with the count (the handler's call) vs the FTS5 rows of
     the words newest first (up to the 2,000 the count reads) and the five rows;
   * /latest: half plain (`StoredArticles` candidates and rows, as the handler), half for a topic (`Topics.find`,
     count=False) vs `order by id desc limit n`, and the FTS5 rows newest first;
   * /who: `handlers.who.who` (find the person, profile: roles, headlines, people named alongside) vs the
     indexed look-ups by spelling key, roles, latest mentions, and the co-mention count;
   * digest: `handlers.digest.digest_reply` for a chat's three topics over one day vs one FTS5 query per topic
     for that day's rows;
   * trend: a topic's stories per day over 90 days (`handlers.trend.story_counts(...).stories_per_day`, what
     /trend charts) vs the bare GROUP BY day count of the FTS5 hits (`store.trends.candidates_per_day`).

Peak memory is the largest resident set of this process and of its worker processes. The last line is
`RESULT articles=N db_mb=... ingest_per_s_first=... ingest_per_s_last=... search_ms_p50=... search_ms_p95=...
search_vs_raw=... latest_ms_p95=... who_ms_p95=... who_vs_raw=... digest_ms=... trend_ms=... peak_mb=...`
(digest_ms and trend_ms are medians).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from diplobot.analysis.names import parse_name, to_latin
from diplobot.analysis.topics import Topics, Window
from diplobot.clock import iso
from diplobot.enrichment.corpus import StoredArticles
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import Pipeline, store_drafts
from diplobot.sandbox import Sandbox
from diplobot.store import articles, chats, sources, subscriptions, trends
from diplobot.store.db import open_database
from diplobot.store.worker import Store
from ingest import FUNCTION_WORDS, NEWS_WORDS, PHRASES, PLACES

START = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 365
SOURCES = 60
CHATS, TOPICS_PER_CHAT = 40, 3
PEOPLE = 3_000
BATCH = 100  # drafts per store_drafts call: one feed poll
GIVEN_NAMES = Path(__file__).resolve().parent.parent / "analysis" / "data" / "given_names.txt"

ROLES = [
    "Foreign Minister",
    "President",
    "Prime Minister",
    "Defence Minister",
    "Finance Minister",
    "envoy",
    "ambassador",
    "spokesperson",
    "national security adviser",
    "Deputy Foreign Minister",
    "chief negotiator",
    "Energy Minister",
    "head of the presidential office",
    "Secretary-General",
]
TOPIC_WORDS = [
    "grain",
    "corridor",
    "talks",
    "energy",
    "truce",
    "sanctions",
    "reactor",
    "port",
    "border",
    "summit",
    "prisoner",
    "frozen",
    "assets",
    "drone",
    "shipping",
    "pipeline",
    "monitoring",
    "reconstruction",
    "mission",
    "ceasefire",
]


def _pseudo_word(rng: random.Random, syllables: tuple[int, int] = (2, 4)) -> str:
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(*syllables)))


def topic_phrases(rng: random.Random) -> list[str]:
    """80 distinct topic phrases: bench/ingest.py's, then two-word combinations of topic words."""
    phrases = list(dict.fromkeys(PHRASES))
    while len(phrases) < 80:
        phrase = " ".join(rng.sample(TOPIC_WORDS, 2))
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases


@dataclass(frozen=True)
class Person:
    given: str
    surname: str
    role: str
    country: str

    @property
    def name(self) -> str:
        return f"{self.given} {self.surname}"


class News:
    """The generator (see the module docstring); `people[i]` is the i-th most often named person."""

    def __init__(self, seed: int) -> None:
        rng = self.rng = random.Random(seed)
        vocabulary = list(dict.fromkeys(FUNCTION_WORDS + NEWS_WORDS))
        seen = set(vocabulary)
        while len(vocabulary) < 30_000:
            word = _pseudo_word(rng)
            if word not in seen:
                seen.add(word)
                vocabulary.append(word)
        self.vocabulary = vocabulary
        harmonic = sum(1 / rank for rank in range(1, len(vocabulary) + 1))
        pool = [
            word for rank, word in enumerate(vocabulary, 1) for _ in range(max(1, round(1_000_000 / (rank * harmonic))))
        ]
        self.sentences = [self._sentence(rng.choices(pool, k=rng.randint(8, 28))) for _ in range(60_000)]
        given = sorted(
            {
                name
                for line in GIVEN_NAMES.read_text(encoding="utf-8").splitlines()
                if not line.startswith("#")
                for name in line.split()
            }
        )
        countries = sorted({_pseudo_word(rng, (2, 3)).capitalize() + "ia" for _ in range(60)})
        surnames: set[str] = set()
        while len(surnames) < PEOPLE:
            surnames.add(_pseudo_word(rng, (2, 3)).capitalize() + rng.choice(["", "", "ov", "enko", "ski", "i"]))
        self.people = [
            Person(rng.choice(given), surname, rng.choice(ROLES), rng.choice(countries)) for surname in sorted(surnames)
        ]
        rng.shuffle(self.people)
        self.person_weights = list(_cumulative(1 / (rank + 1) for rank in range(PEOPLE)))
        self.phrases = topic_phrases(rng)
        self.origin: list[int] = []

    @staticmethod
    def _sentence(words: list[str]) -> str:
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def _people(self, k: int) -> list[Person]:
        return self.rng.choices(self.people, cum_weights=self.person_weights, k=k)

    def body(self, event: list[str], people: list[Person], phrases: list[str]) -> str:
        rng = self.rng
        target = min(2_500, max(120, int(rng.lognormvariate(math.log(520), 0.55))))
        sentences, words, named = [], 0, set()
        while words < target:
            sentence = rng.choice(self.sentences).split(" ")
            for _ in range(1 + (rng.random() < 0.5)):
                sentence.insert(rng.randrange(1, len(sentence)), rng.choice(event))
            if rng.random() < 0.25:
                person = rng.choice(people)
                if person.surname in named:
                    sentence[-1] = sentence[-1].rstrip(".") + f", {person.surname} said."
                else:
                    named.add(person.surname)
                    role = person.role[0].upper() + person.role[1:]
                    first = sentence[0] if sentence[0] in PLACES else sentence[0].lower()
                    sentence = [role, person.given, person.surname, "of", person.country, "said", first, *sentence[1:]]
            if rng.random() < 0.1:
                sentence.insert(rng.randrange(1, len(sentence)), rng.choice(PLACES))
            if phrases and rng.random() < 0.08:
                sentence.insert(rng.randrange(1, len(sentence)), rng.choice(phrases))
            text = " ".join(sentence)
            sentences.append(text[0].upper() + text[1:])
            words += len(sentence)
        paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
        return "\n\n".join(paragraphs)

    def title(self, event: list[str], people: list[Person], phrases: list[str]) -> str:
        rng = self.rng
        words = rng.sample(event, 3) + rng.sample(self.vocabulary[:3000], rng.randint(2, 8))
        if phrases:
            words.append(phrases[0])
        if people and rng.random() < 0.5:
            words.append(people[0].surname)
        rng.shuffle(words)
        return " ".join(words).capitalize()[:200]

    def rewrite(
        self,
        original: ArticleDraft,
        published_at: datetime,
        index: int,
        story: tuple[list[str], list[Person], list[str]],
    ) -> ArticleDraft:
        """Another outlet's copy: new headline, sentences dropped and reordered."""
        rng = self.rng
        text = original.body or original.summary
        sentences = [s for paragraph in text.split("\n\n") for s in paragraph.split(". ") if s]
        kept = [s for s in sentences if rng.random() < 0.8] or sentences[:1]
        for i in range(len(kept) - 1):
            if rng.random() < 0.2:
                kept[i], kept[i + 1] = kept[i + 1], kept[i]
        for i, sentence in enumerate(kept):
            if i == 0 or rng.random() < 0.3:  # never word for word: that would be the same article
                words = sentence.split(" ")
                words[rng.randrange(len(words))] = rng.choice(self.vocabulary[:5000])
                kept[i] = " ".join(words)
        paragraphs = [". ".join(kept[i : i + 4]) for i in range(0, len(kept), 4)]
        body = "\n\n".join(p if p.endswith(".") else p + "." for p in paragraphs) if original.body else ""
        summary = (paragraphs[0] if paragraphs else original.summary)[:400]
        return self.draft(index, self.title(*story), summary, body, published_at)

    def draft(self, index: int, title: str, summary: str, body: str, published_at: datetime) -> ArticleDraft:
        outlet = index % SOURCES
        return ArticleDraft(
            title=title,
            summary=summary,
            body=body,
            published_at=published_at,
            url=f"https://outlet{outlet}.example/{published_at:%Y/%m/%d}/story-{index}",
            guid=f"outlet{outlet}-{index}" if self.rng.random() < 0.7 else None,
        )

    def drafts(self, n: int) -> Iterator[ArticleDraft]:
        """`n` articles in publication order over `DAYS` days."""
        rng = self.rng
        recent: list[tuple[ArticleDraft, list[str], list[Person], list[str], int]] = []
        for index in range(n):
            published_at = START + timedelta(days=DAYS * index / n, minutes=rng.uniform(-20, 20))
            while recent and published_at - recent[0][0].published_at > timedelta(days=2):  # type: ignore[operator]
                recent.pop(0)
            if recent and rng.random() < 0.3:
                original, event, people, phrases, origin = recent[rng.randrange(len(recent))]
                self.origin.append(origin)
                yield self.rewrite(
                    original,
                    max(published_at, original.published_at),
                    index,  # type: ignore[type-var]
                    (event, people, phrases),
                )
                continue
            event = rng.sample(self.vocabulary[300:20_000], 12)
            people = self._people(rng.randint(1, 4))
            phrases = rng.sample(self.phrases, 1 if rng.random() < 0.25 else 0)
            body = self.body(event, people, phrases)
            summary = " ".join(body.split("\n\n")[0].split(". ")[: rng.randint(1, 3)])[:400]
            draft = self.draft(
                index, self.title(event, people, phrases), summary, body if rng.random() < 0.8 else "", published_at
            )
            recent.append((draft, event, people, phrases, index))
            if len(recent) > 3_000:
                recent.pop(0)
            self.origin.append(index)
            yield draft


def _cumulative(values: Iterator[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


# --- step 1: ingest ---------------------------------------------------------------------------------------------


def setup(db: Any, news: News, now: str) -> list[int]:
    """Sources, and chats following topic phrases; returns the source ids."""
    ids = [
        sources.upsert_source(
            db,
            f"https://outlet{i}.example/feed.xml",
            kind="feed",
            every_s=600,
            full_text=False,
            title=f"Outlet {i}",
            now=now,
        )
        for i in range(SOURCES)
    ]
    rng = random.Random(1)
    for n in range(CHATS):
        chat_id = f"console:scale{n}"
        chats.ensure_chat(db, chat_id, timezone="UTC", now=now)
        for phrase in rng.sample(news.phrases, TOPICS_PER_CHAT):
            subscriptions.add_subscription(db, chat_id, phrase, now)
    return ids


async def ingest(path: Path, news: News, n: int, workers: int) -> list[tuple[int, float]]:
    """Store, enrich and match `n` articles chunk by chunk; (articles, seconds) per chunk."""
    chunk = max(500, n // 100)
    rates: list[tuple[int, float]] = []
    drafts = news.drafts(n)
    async with Store(path) as store:
        source_ids = await store.run(setup, news, iso(START))
        with Sandbox(processes=workers) as sandbox:
            pipeline = Pipeline(store, sandbox)
            done = 0
            while done < n:
                batch = [next(drafts) for _ in range(min(chunk, n - done))]
                assert batch[-1].published_at is not None
                now = batch[-1].published_at + timedelta(minutes=10)
                started = time.perf_counter()
                for i in range(0, len(batch), BATCH):
                    source = source_ids[(done + i) // BATCH % len(source_ids)]
                    polled = batch[min(i + BATCH, len(batch)) - 1].published_at
                    assert polled is not None
                    await store.run(
                        store_drafts, batch[i : i + BATCH], source_id=source, now=iso(polled + timedelta(minutes=10))
                    )
                await pipeline.enrich_and_match(now)
                seconds = time.perf_counter() - started
                rates.append((len(batch), seconds))
                done += len(batch)
                if len(rates) % 10 == 0 or done == n:
                    print(
                        f"ingest: {done:,} articles, the last {len(batch):,} at {len(batch) / seconds:,.0f}/s",
                        flush=True,
                    )
    return rates


def rate_over(rates: list[tuple[int, float]], share: float, *, last: bool) -> float:
    """Articles per second over the first (or last) `share` of the articles, whole chunks."""
    total = sum(count for count, _ in rates)
    picked, articles_, seconds = (reversed(rates) if last else rates), 0, 0.0
    for count, spent in picked:
        articles_, seconds = articles_ + count, seconds + spent
        if articles_ >= share * total:
            break
    return articles_ / seconds


# --- step 2: commands -------------------------------------------------------------------------------------------


@dataclass
class Timing:
    """Milliseconds of the store work, of the SQL within it (where the topic service reads the store), and of the
    raw SQL, query by query."""

    store: list[float]
    raw: list[float]
    sql: list[float]

    def line(self, name: str) -> str:
        sql = f" (SQL {p(self.sql, 50):.2f} ms at p50)" if any(self.sql) else ""
        return (
            f"{name}: p50 {p(self.store, 50):.2f} ms{sql}, p95 {p(self.store, 95):.2f} ms, "
            f"max {max(self.store):.1f} ms; "
            f"raw p50 {p(self.raw, 50):.2f} ms, p95 {p(self.raw, 95):.2f} ms; store/raw {ratio(self):.2f} "
            f"({len(self.store)} queries)"
        )


_SQL_SECONDS = [0.0]  # time spent in the topic service's reads of the store (`count_sql`)


def count_sql() -> None:
    """Time the store reads the topic service and trend counting make (their corpus classes), into `_SQL_SECONDS`;
    the rest of a command's store work is matching and counting in Python."""

    def timing(function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                _SQL_SECONDS[0] += time.perf_counter() - started

        return call

    for cls, names in (
        (StoredArticles, ("candidates", "articles", "variants")),
        (trends.StoredTrendCorpus, ("candidates", "texts", "titles")),
    ):
        for name in names:
            setattr(cls, name, timing(getattr(cls, name)))


def p(values: list[float], percentile: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percentile / 100 * (len(ordered) - 1)))]


def ratio(timing: Timing) -> float:
    return p(timing.store, 50) / max(p(timing.raw, 50), 1e-6)


def timed(cases: list[Any], store_work: Callable[[Any], object], raw_work: Callable[[Any], object]) -> Timing:
    """Each case's store work and raw SQL, alternating (a load spike lands on both), in milliseconds."""
    timing = Timing([], [], [])
    for case in cases:
        for kind, work in (("store", store_work), ("raw", raw_work)):
            _SQL_SECONDS[0] = 0.0
            started = time.perf_counter()
            work(case)
            getattr(timing, kind).append(1000 * (time.perf_counter() - started))
            if kind == "store":
                timing.sql.append(1000 * _SQL_SECONDS[0])
    return timing


def fts_words(text: str) -> str:
    """The words of a query as one FTS5 phrase per quoted part (what the raw queries match)."""
    return " ".join('"{}"'.format(part.replace('"', '""')) for part in text.split('"') if part.strip())


def search_cases(news: News, rng: random.Random, count: int) -> list[str]:
    """Varied /search texts: topic phrases, single topic and news words, people, quoted pairs."""
    people = [person.surname for person in news.people[:300]] + [p.name for p in rng.sample(news.people, 50)]
    makers = [
        lambda: rng.choice(news.phrases),
        lambda: rng.choice(TOPIC_WORDS),
        lambda: rng.choice(NEWS_WORDS[:120]),
        lambda: rng.choice(people),
        lambda: f'"{rng.choice(news.phrases)}" {rng.choice(PLACES)}',
        lambda: rng.choice(news.vocabulary[2_000:20_000]),
    ]
    return [rng.choice(makers)() for _ in range(count)]


def measure_search(db: Any, service: Topics, texts: list[str]) -> Timing:
    def store_work(text: str) -> object:
        return service.find({0: service.parse(text)}, limit=5)

    def raw_work(text: str) -> object:
        ids = [
            row[0]
            for row in db.execute(
                "select rowid from articles_fts where articles_fts match ? order by rowid desc limit 2001",
                [fts_words(text)],
            ).fetchall()
        ]
        return db.execute(
            f"select id, title, url, published_at, summary from articles where id in ({','.join('?' * len(ids[:5]))})",
            ids[:5],
        ).fetchall()

    return timed(texts, store_work, raw_work)


def measure_latest(db: Any, service: Topics, texts: list[str], rng: random.Random) -> Timing:
    corpus = StoredArticles(db)
    cases = [(rng.randint(5, 20), text if i % 2 else None) for i, text in enumerate(texts)]

    def store_work(case: tuple[int, str | None]) -> object:
        n, text = case
        if text is None:
            return corpus.articles(corpus.candidates(None, Window(), n))
        return service.find({0: service.parse(text)}, limit=n, count=False)

    def raw_work(case: tuple[int, str | None]) -> object:
        n, text = case
        if text is None:
            return db.execute(
                "select id, title, url, published_at from articles order by id desc limit ?", [n]
            ).fetchall()
        ids = [
            row[0]
            for row in db.execute(
                "select rowid from articles_fts where articles_fts match ? order by rowid desc limit ?",
                [fts_words(text), n],
            ).fetchall()
        ]
        return db.execute(
            f"select id, title, url, published_at from articles where id in ({','.join('?' * len(ids))})", ids
        ).fetchall()

    return timed(cases, store_work, raw_work)


def who_cases(news: News, rng: random.Random, count: int) -> list[str]:
    """Full names (popular and rare), surnames alone, and a few typos."""
    cases = []
    for _ in range(count):
        person = news.people[min(int(rng.paretovariate(0.6)) - 1, PEOPLE - 1)]
        kind = rng.random()
        if kind < 0.6:
            cases.append(person.name)
        elif kind < 0.9:
            cases.append(person.surname)
        else:
            cases.append(person.name[:-2] + person.name[-1] + person.name[-2])
    return cases


def measure_who(db: Any, names: list[str]) -> Timing:
    from diplobot.handlers.who import who

    def store_work(name: str) -> object:
        return who(db, name, tz="UTC")

    def raw_work(name: str) -> object:
        form = parse_name(to_latin(name)[0])
        column, key = ("key", form.key) if form.is_full else ("surname_key", form.surname_key)
        row = db.execute(f"select person_id from person_spellings where {column} = ? limit 1", [key]).fetchone()
        if row is None:
            return None
        person_id = row[0]
        return (
            db.execute("select * from people where id = ?", [person_id]).fetchone(),
            db.execute(
                "select * from person_roles where person_id = ? order by last_seen desc", [person_id]
            ).fetchall(),
            db.execute(
                """select a.id, a.title, a.url, a.published_at from person_mentions m
                              join articles a on a.id = m.article_id where m.person_id = ?
                              group by m.article_id order by m.article_id desc limit 5""",
                [person_id],
            ).fetchall(),
            db.execute(
                """select m2.person_id, count(distinct m2.article_id) as n from person_mentions m1
                              join person_mentions m2 on m2.article_id = m1.article_id
                              where m1.person_id = ? and m2.person_id != ? group by m2.person_id
                              order by n desc limit 5""",
                [person_id, person_id],
            ).fetchall(),
        )

    return timed(names, store_work, raw_work)


def measure_digest(db: Any, rng: random.Random, count: int, last_day: datetime) -> Timing:
    from diplobot.handlers.digest import digest_reply

    chat_rows = [chats.get_chat(db, f"console:scale{n}") for n in range(CHATS)]
    days = (last_day - START).days
    cases = [(rng.choice(chat_rows), START + timedelta(days=rng.randint(1, max(1, days)))) for _ in range(count)]

    def store_work(case: tuple[dict[str, Any], datetime]) -> object:
        chat, end = case
        return digest_reply(db, chat, end - timedelta(days=1), end, default_tz="UTC")

    def raw_work(case: tuple[dict[str, Any], datetime]) -> object:
        chat, end = case
        out = []
        for sub in subscriptions.chat_subscriptions(db, chat["id"]):
            out.append(
                db.execute(
                    """select a.id, a.title, a.url, a.published_at, a.story_id from articles a
                   where a.id in (select rowid from articles_fts where articles_fts match ?)
                     and a.fetched_at >= ? and a.fetched_at < ? order by a.fetched_at desc""",
                    [fts_words(sub["query"]), iso(end - timedelta(days=1)), iso(end)],
                ).fetchall()
            )
        return out

    return timed(cases, store_work, raw_work)


def measure_trend(db: Any, service: Topics, texts: list[str], rng: random.Random, last_day: datetime) -> Timing:
    from diplobot.handlers.trend import story_counts

    counter = story_counts(db, service)
    cases = [(text, last_day - timedelta(days=rng.randint(0, 200))) for text in texts]

    def store_work(case: tuple[str, datetime]) -> object:
        text, end = case
        return counter.stories_per_day(service.parse(text), end - timedelta(days=90), end, "UTC")

    def raw_work(case: tuple[str, datetime]) -> object:
        text, end = case
        return trends.candidates_per_day(db, fts_words(text), iso(end - timedelta(days=90)), iso(end))

    return timed(cases, store_work, raw_work)


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="queries per command (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="sandbox worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--db", type=Path, help="database file to fill (default: a temporary one)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "scale.db"
        news = News(args.seed)
        db = open_database(path)
        stored = articles.article_total(db)
        db.close()
        if stored:
            print(f"{path}: {stored:,} articles already stored; measuring the commands on it")
            rates = []
        else:
            started = time.perf_counter()
            rates = asyncio.run(ingest(path, news, args.articles, args.workers))
            print(f"ingest: {args.articles:,} articles in {time.perf_counter() - started:,.0f} s", flush=True)
        size = sum(os.path.getsize(f) for f in (path, Path(f"{path}-wal")) if f.exists()) / 1e6
        db = open_database(path)
        total = articles.article_total(db)
        last_day = START + timedelta(days=DAYS * min(1.0, total / max(args.articles, 1)))
        count_sql()
        service = Topics(StoredArticles(db))
        rng = random.Random(args.seed + 1)
        texts = search_cases(news, rng, args.queries)
        search = measure_search(db, service, texts)
        print(search.line("/search"), flush=True)
        latest = measure_latest(db, service, search_cases(news, rng, args.queries), rng)
        print(latest.line("/latest"), flush=True)
        who = measure_who(db, who_cases(news, rng, args.queries))
        print(who.line("/who"), flush=True)
        digest = measure_digest(db, rng, args.queries, last_day)
        print(digest.line("digest (a day, three topics)"), flush=True)
        trend = measure_trend(
            db, service, [rng.choice(news.phrases + TOPIC_WORDS) for _ in range(args.queries)], rng, last_day
        )
        print(trend.line("trend (90 days)"), flush=True)
        db.close()

    result = {
        "articles": total,
        "db_mb": f"{size:.0f}",
        "ingest_per_s_first": f"{rate_over(rates, 0.05, last=False):.0f}" if rates else "-",
        "ingest_per_s_last": f"{rate_over(rates, 0.05, last=True):.0f}" if rates else "-",
        "search_ms_p50": f"{p(search.store, 50):.1f}",
        "search_ms_p95": f"{p(search.store, 95):.1f}",
        "search_vs_raw": f"{ratio(search):.2f}",
        "latest_ms_p95": f"{p(latest.store, 95):.1f}",
        "who_ms_p95": f"{p(who.store, 95):.1f}",
        "who_vs_raw": f"{ratio(who):.2f}",
        "digest_ms": f"{p(digest.store, 50):.0f}",
        "trend_ms": f"{p(trend.store, 50):.0f}",
        "peak_mb": f"{peak_mb():.0f}",
    }
    print("RESULT " + " ".join(f"{key}={value}" for key, value in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
