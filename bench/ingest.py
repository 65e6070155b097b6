"""Ingest throughput: diplobot's ingest path against a plain sqlite-utils insert into an FTS5 table.

Usage: python bench/ingest.py [--n 20000] [--rounds 3] [--batch 100] [--seed 7] [--no-enrich]

Data (generated, deterministic for a seed; generation is not timed). Feed-item-like articles, 500 published a day,
arriving roughly in publication order:

* title 6-14 words; summary 1-3 sentences (about 45 words), as feeds carry it;
* 80% carry a full text body: a log-normal number of words (median about 520, mean about 600, clipped to
  120-2,500; about 3.8 KB), English-like sentences of 8-28 words drawn Zipf (s=1) from a 30k-word vocabulary
  (function words, real news and diplomacy words, pronounceable pseudo-words), with person names from a pool of 5k
  and diplomacy phrases ("security guarantees", ...), as in ../shared/docs/perf-notes.md; the other 20% are
  summary-only items (empty body);
* about 30% of the articles are rewritten copies of an earlier one (new headline, sentences dropped and
  reordered, some words replaced), published up to two days later, so that story assignment has real work;
* every article has a distinct URL, 70% a feed guid; none is a duplicate of another (dedup is still checked).

Each round, on fresh temporary database files and the same rows:

* diplobot: `pipeline.store_drafts` (the function `diplobot ingest`, the poller and `ingest_drafts` use: canonical
  URL and content hash, dedup lookups, insert with the FTS5 triggers) in batches of `--batch` drafts, one
  transaction each, like one poll of a feed, on a database opened by `open_database` (WAL, synchronous=NORMAL,
  every migration and index);
* plain: the rows `to_row` produced (precomputed, untimed), with the same columns, inserted by
  `Table.insert_all(batch_size=1000)` into a table with an FTS5 index on title, summary and body kept by triggers
  and the same tokenizer, WAL and synchronous=NORMAL.

The two run interleaved (`--rounds` times, order alternating) and the medians are reported; `ratio` is the median
of the per-round ratios. After the first round, the enrichment stage (story assignment and people indexing) runs over
the diplobot database twice: as the bot runs it, `Pipeline.enrich` with a sandbox of two worker processes
(`enrich_per_s`), on a copy of the file, and in this process, `pipeline.enrich_pending` (`enrich_inproc_per_s`, with
the per-call costs `story_ms` and `people_ms`); both must give the same stories and people. Then matching
(`pipeline.match_pending`, no subscriptions) runs, and its rate is reported too, along with the end-to-end rate of
store + enrich (in-process) + match. The last line is
`RESULT diplobot_per_s=... plain_per_s=... ratio=... enrich_per_s=... enrich_inproc_per_s=... ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from diplobot import pipeline
from diplobot.clock import iso
from diplobot.enrichment.stories import StoryAssigner
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import MatchState, Pipeline, enrich_pending, match_pending, store_drafts, to_row
from diplobot.sandbox import Sandbox
from diplobot.store.db import open_database
from diplobot.store.worker import Store

PER_DAY = 500
START = datetime(2025, 3, 1, tzinfo=UTC)


def _split(words: str) -> list[str]:
    return words.split()


FUNCTION_WORDS = _split("""the of and to a in that is was he for it with as his on be at by i this had not are but from
or have an they which one you were her all she there would their we him been has when who will more no if out so
said what up its about into than them can only other new some could time these two may then do first any my now
such like our over man me even most made after also did many before must through back years where much your way
well down should because each just those people how too little state good very make world still own see men work
long get here between both life being under never day same another know while last might us great old year off
come since against go came right used take three""")
NEWS_WORDS = _split("""minister president talks ceasefire sanctions security guarantees negotiations delegation summit
envoy foreign defence ministry government parliament agreement treaty memorandum peace troops border occupied
territories
prisoner exchange humanitarian aid reconstruction energy grain corridor drones missile strikes attack shelling
frontline offensive counteroffensive ambassador embassy consulate diplomat diplomatic statement declaration
communique coalition alliance partners allies support package military assistance weapons artillery air defence
systems long range capabilities intelligence sharing nuclear plant inspectors agency resolution council assembly
vote veto proposal framework roadmap principles sovereignty integrity independence referendum annexation
withdrawal deployment mission monitoring observers mediation mediator host venue round meeting visit trip
conference call phone discussion consultations bilateral trilateral multilateral format platform initiative plan
deal concession demand condition ultimatum deadline pressure leverage tariffs export import oil gas pipeline
price cap assets frozen fund loan budget financing investment recovery accession membership candidate status
negotiator spokesman adviser chief staff office administration kremlin white house capital region city
regional oblast district villages residents civilians casualties wounded killed evacuated infrastructure grid
power outages blackout heating winter spring summer autumn week month weekend morning evening night statement
briefing press conference journalists reporters interview television channel agency reported confirmed denied
rejected welcomed condemned praised warned urged called insisted stressed noted added announced""")
PHRASES = [
    "security guarantees",
    "ceasefire agreement",
    "prisoner exchange",
    "peace talks",
    "united nations security council",
    "coalition of the willing",
    "energy infrastructure",
    "air defence systems",
    "frozen russian assets",
    "black sea grain corridor",
    "peace summit",
    "nuclear power plant",
    "humanitarian corridor",
    "sanctions package",
    "territorial integrity",
]
PLACES = [
    "Kyiv",
    "Moscow",
    "Washington",
    "Brussels",
    "Paris",
    "London",
    "Berlin",
    "Istanbul",
    "Ankara",
    "Geneva",
    "Riyadh",
    "Jeddah",
    "Doha",
    "Warsaw",
    "Rome",
    "Vienna",
    "Helsinki",
    "Minsk",
    "Odesa",
    "Kharkiv",
]
OUTLETS = 40


def _pseudo_word(rng: random.Random) -> str:
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))


def _name(rng: random.Random) -> str:
    return " ".join(_pseudo_word(rng).capitalize() for _ in range(2))


class Generator:
    """English-like feed items (see the module docstring)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        vocabulary = list(dict.fromkeys(FUNCTION_WORDS + NEWS_WORDS))
        seen = set(vocabulary)
        while len(vocabulary) < 30_000:
            word = _pseudo_word(self.rng)
            if word not in seen:
                seen.add(word)
                vocabulary.append(word)
        self.vocabulary = vocabulary
        # Zipf (s=1) by rank, as a pool in which each word appears in proportion to its weight: uniform choices
        # from it are Zipf draws, several times faster than weighted choices.
        harmonic = sum(1 / rank for rank in range(1, len(vocabulary) + 1))
        self.pool = [
            word for rank, word in enumerate(vocabulary, 1) for _ in range(max(1, round(2_000_000 / (rank * harmonic))))
        ]
        self.names = [_name(self.rng) for _ in range(5_000)]

    def words(self, k: int) -> list[str]:
        return self.rng.choices(self.pool, k=k)

    def sentence(self, topic: list[str]) -> str:
        random, pick = self.rng.random, self._pick
        words = self.words(8 + int(random() * 21))
        for _ in range(1 + int(random() * 3)):  # the event's own vocabulary
            words[int(random() * len(words))] = pick(topic)
        for chance, pool in ((0.12, self.names), (0.05, PHRASES), (0.15, PLACES)):
            if random() < chance:
                words.insert(1 + int(random() * (len(words) - 1)), pick(pool))
        if random() < 0.1:
            words.insert(1 + int(random() * (len(words) - 1)), str(int(random() * 2000)))
        if random() < 0.3:
            words[int(random() * (len(words) - 1))] += ","
        text = " ".join(words)
        if random() < 0.1:
            text = f'"{text}," {pick(self.names)} said'
        return text[0].upper() + text[1:] + "."

    def _pick(self, items: list[str]) -> str:
        return items[int(self.rng.random() * len(items))]

    def body(self, topic: list[str]) -> str:
        rng = self.rng
        target = min(2_500, max(120, int(rng.lognormvariate(math.log(520), 0.55))))
        sentences, words = [], 0
        while words < target:
            sentence = self.sentence(topic)
            sentences.append(sentence)
            words += sentence.count(" ") + 1
        paragraphs = []
        while sentences:
            take = rng.randint(2, 5)
            paragraphs.append(" ".join(sentences[:take]))
            sentences = sentences[take:]
        return "\n\n".join(paragraphs)

    def title(self, topic: list[str]) -> str:
        words = self.words(self.rng.randint(4, 10)) + self.rng.sample(topic, 2)
        self.rng.shuffle(words)
        return " ".join(words).capitalize()

    def rewrite(self, original: ArticleDraft, topic: list[str], published_at: datetime, index: int) -> ArticleDraft:
        """Another outlet's copy: new headline, sentences dropped and reordered, some words replaced."""
        rng = self.rng
        text = original.body or original.summary
        sentences = [s for paragraph in text.split("\n\n") for s in paragraph.split(". ") if s]
        kept = [s for s in sentences if rng.random() < 0.8] or sentences[:1]
        for i in range(len(kept) - 1):
            if rng.random() < 0.2:
                kept[i], kept[i + 1] = kept[i + 1], kept[i]
        for i, sentence in enumerate(kept):
            if rng.random() < 0.3:
                words = sentence.split(" ")
                words[rng.randrange(len(words))] = self.words(1)[0]
                kept[i] = " ".join(words)
        kept[0] = f"{self._pick(PLACES).upper()} ({index % OUTLETS}) - {kept[0]}"  # the outlet's dateline
        paragraphs = [". ".join(kept[i : i + 4]) for i in range(0, len(kept), 4)]
        body = "\n\n".join(p if p.endswith(".") else p + "." for p in paragraphs) if original.body else ""
        summary = paragraphs[0][:400] if paragraphs else original.summary
        return self.draft(index, self.title(topic), summary, body, published_at)

    def draft(self, index: int, title: str, summary: str, body: str, published_at: datetime) -> ArticleDraft:
        outlet = index % OUTLETS
        return ArticleDraft(
            title=title,
            summary=summary,
            body=body,
            published_at=published_at,
            url=f"https://outlet{outlet}.example/news/{published_at:%Y/%m/%d}/story-{index}?utm_source=rss",
            guid=f"outlet{outlet}-{index}" if self.rng.random() < 0.7 else None,
        )

    def drafts(self, n: int) -> list[ArticleDraft]:
        """`n` feed items; `self.origin[i]` is the index of the item that item i is a copy of (itself if none)."""
        rng = self.rng
        self.origin: list[int] = []
        originals: list[tuple[ArticleDraft, list[str], int]] = []
        first_recent = 0
        items: list[ArticleDraft] = []
        for index in range(n):
            published_at = START + timedelta(days=index / PER_DAY, minutes=rng.uniform(-30, 30))
            while first_recent < len(originals) and (
                published_at - originals[first_recent][0].published_at > timedelta(days=2)
            ):
                first_recent += 1
            if first_recent < len(originals) and rng.random() < 0.3:
                original, topic, origin = originals[rng.randrange(first_recent, len(originals))]
                items.append(self.rewrite(original, topic, max(published_at, original.published_at), index))
                self.origin.append(origin)
                continue
            topic = [*rng.sample(self.vocabulary[300:20_000], 12), *rng.sample(self.names, 3), rng.choice(PLACES)]
            body = self.body(topic)
            summary = " ".join(body.split("\n\n")[0].split(". ")[: rng.randint(1, 3)])[:400]
            draft = self.draft(index, self.title(topic), summary, body if rng.random() < 0.8 else "", published_at)
            originals.append((draft, topic, index))
            items.append(draft)
            self.origin.append(index)
        return items


PLAIN_SCHEMA = """create table articles (
    id integer primary key, source_id integer, url text, canonical_url text, guid text, title text not null,
    summary text not null default '', body text not null default '', published_at text, fetched_at text not null,
    content_hash text not null, story_id integer, matched_at text, people_at text, enriched_at text, lang text)"""


BLOCK = 1000  # rows per timed block; the two paths alternate block by block


def open_plain(path: Path) -> Database:
    db = Database(path)
    db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(PLAIN_SCHEMA)
    db["articles"].enable_fts(
        ["title", "summary", "body"], create_triggers=True, tokenize="porter unicode61 remove_diacritics 2"
    )
    return db


def one_round(
    tmp: Path, drafts: list[ArticleDraft], rows: list[dict], *, batch: int, now: str, plain_first: bool
) -> tuple[float, float, Database]:
    """Seconds for the diplobot store stage and for the plain insert, on fresh files, alternating 1,000-row blocks.

    Alternating keeps a load spike on this shared machine from landing on one side only.
    """
    ours, plain = open_database(tmp / "diplobot.db"), open_plain(tmp / "plain.db")
    seconds = {"diplobot": 0.0, "plain": 0.0}
    new = duplicates = 0
    for block, start in enumerate(range(0, len(drafts), BLOCK)):
        for which in ("plain", "diplobot") if (block % 2 == 0) == plain_first else ("diplobot", "plain"):
            started = time.perf_counter()
            if which == "plain":
                plain["articles"].insert_all(rows[start : start + BLOCK], batch_size=1000)
            else:
                for i in range(start, min(start + BLOCK, len(drafts)), batch):
                    counts = store_drafts(ours, drafts[i : min(i + batch, start + BLOCK)], source_id=None, now=now)
                    new, duplicates = new + counts.new, duplicates + counts.duplicates
            seconds[which] += time.perf_counter() - started
    stored = plain.execute("select count(*) from articles").fetchone()[0]
    plain.close()
    if new != len(drafts) or duplicates or stored != len(rows):
        raise SystemExit(
            f"expected {len(drafts)} new articles, got {new} new and {duplicates} duplicates; plain stored {stored}"
        )
    return seconds["diplobot"], seconds["plain"], ours


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="articles per run (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both inserts (default 3)")
    parser.add_argument("--batch", type=int, default=100, help="drafts per store_drafts call (default 100)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-enrich", action="store_true", help="skip the enrichment and matching stages")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    generator = Generator(args.seed)
    drafts = generator.drafts(args.n)
    now = iso(START + timedelta(days=args.n / PER_DAY + 1))
    rows = [asdict(to_row(d, source_id=None, now=now)) for d in drafts]
    megabytes = sum(len(r["title"]) + len(r["summary"]) + len(r["body"]) for r in rows) / 1e6
    words = statistics.mean(len(r["body"].split()) for r in rows if r["body"])
    print(
        f"{args.n} articles generated in {time.perf_counter() - started:.1f} s: {megabytes:.1f} MB of text, "
        f"{sum(1 for r in rows if r['body']) / len(rows):.0%} with a body of {words:.0f} words on average"
    )

    print(
        f"calibration: lower()+split() of the bodies {calibration(drafts):,.0f} articles/s "
        "(perf-notes' VM: 43k/s for 3.8 KB)"
    )
    diplobot_rates, plain_rates, ratios = [], [], []
    later: dict[str, float] = {}
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            ours_s, plain_s, db = one_round(
                Path(tmp), drafts, rows, batch=args.batch, now=now, plain_first=round_ % 2 == 1
            )
            diplobot_rates.append(args.n / ours_s)
            plain_rates.append(args.n / plain_s)
            ratios.append(plain_s / ours_s)
            print(
                f"round {round_ + 1}: diplobot store stage {diplobot_rates[-1]:,.0f}/s, plain insert_all "
                f"{plain_rates[-1]:,.0f}/s, ratio {ratios[-1]:.2f}",
                flush=True,
            )
            if round_ == 0 and not args.no_enrich:
                later = measure_later_stages(db, args.n, ours_s, now, generator.origin)
            db.close()

    diplobot, plain, ratio = (statistics.median(v) for v in (diplobot_rates, plain_rates, ratios))
    print(
        f"median of {args.rounds}: diplobot store stage {diplobot:,.0f} articles/s (batches of {args.batch}), "
        f"plain insert_all {plain:,.0f} articles/s, ratio {ratio:.2f} (target >= 0.5)"
    )
    result = {"diplobot_per_s": f"{diplobot:.0f}", "plain_per_s": f"{plain:.0f}", "ratio": f"{ratio:.2f}"}
    result.update({k: f"{v:.2f}" if k.endswith("_ms") else f"{v:.0f}" for k, v in later.items()})
    if later:
        print(
            f"stages: store {diplobot:,.0f}/s (median), enrich {later['enrich_per_s']:,.0f}/s with workers "
            f"({later['enrich_inproc_per_s']:,.0f}/s in-process), "
            f"match {later['match_per_s']:,.0f}/s"
        )
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))
    return 0


def measure_later_stages(db: Database, n: int, store_seconds: float, now: str, origin: list[int]) -> dict[str, float]:
    """Enrich (stories and people) and match everything the store stage left, timing each stage.

    Story assignment and people indexing are timed call by call as well (a wrapper around each), so that their
    shares and the cost of a story assignment with nearly `n` articles stored are visible.
    """
    calls: dict[str, list[float]] = {"assign": [], "index_article_people": []}
    owners: dict[str, Any] = {"assign": StoryAssigner, "index_article_people": pipeline}
    originals = {name: getattr(owner, name) for name, owner in owners.items()}

    def timed(name: str) -> Callable[..., object]:
        def call(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                calls[name].append(time.perf_counter() - started)

        return call

    copy = Path(db.conn.execute("pragma database_list").fetchone()[2] + ".workers")
    with sqlite3.connect(copy) as target:  # the same stored, not yet enriched articles, for the worker pool
        db.conn.backup(target)
    for name, owner in owners.items():
        setattr(owner, name, timed(name))
    try:
        started = time.perf_counter()
        enriched = enrich_pending(db)
        enrich_seconds = time.perf_counter() - started
    finally:
        for name, owner in owners.items():
            setattr(owner, name, originals[name])
    workers_seconds, workers_cpu = enrich_with_workers(copy, now)
    workers_db = open_database(copy)
    same = stories_of(db) == stories_of(workers_db)
    same_people = people_of(db) == people_of(workers_db)
    workers_db.close()
    print(
        f"enrichment with {WORKERS} worker processes (the bot's way): {n / workers_seconds:,.0f}/s, "
        f"{1000 * workers_cpu / n:.2f} ms of CPU per article in all processes ({2 * n / workers_cpu:,.0f}/s if two "
        f"cores were all ours); stories {'the same as' if same else 'DIFFERENT from'} in-process, people "
        f"{'the same' if same_people else 'DIFFERENT'}",
        flush=True,
    )
    started = time.perf_counter()
    match_pending(db, MatchState(), datetime.fromisoformat(now))
    match_seconds = time.perf_counter() - started
    story_ms = 1000 * statistics.mean(calls["assign"])
    story_last_ms = 1000 * statistics.median(calls["assign"][-1000:])
    people_ms = 1000 * statistics.mean(calls["index_article_people"])
    print(
        f"enrichment in-process: {enriched} articles in {enrich_seconds:.1f} s, {n / enrich_seconds:,.0f}/s, "
        f"{1000 * enrich_seconds / n:.2f} ms/article: stories {story_ms:.2f} ms (median of the last 1,000, "
        f"with {n - 1000:,}+ stored: {story_last_ms:.2f} ms), people {people_ms:.2f} ms",
        flush=True,
    )
    precision, recall, stories = story_pairs(db, origin)
    print(
        f"stories: {stories} for {n} articles; same-story pairs against the generated copies: "
        f"precision {precision:.3f}, recall {recall:.3f}"
    )
    total = store_seconds + enrich_seconds + match_seconds
    print(
        f"matching (no subscriptions): {n / match_seconds:,.0f}/s; end to end (store + enrich + match, "
        f"round 1): {n / total:,.0f} articles/s"
    )
    return {
        "enrich_per_s": n / workers_seconds,
        "enrich_cpu_ms": 1000 * workers_cpu / n,
        "enrich_inproc_per_s": n / enrich_seconds,
        "story_ms": story_ms,
        "story_last_ms": story_last_ms,
        "people_ms": people_ms,
        "match_per_s": n / match_seconds,
        "end_to_end_per_s": n / total,
    }


WORKERS = 2


def enrich_with_workers(path: Path, now: str) -> tuple[float, float]:
    """Seconds for `Pipeline.enrich` with a sandbox of `WORKERS` processes to enrich everything stored in `path`, and
    the CPU seconds this process and its workers spent meanwhile (on a shared machine the wall clock also counts
    other people's work; the CPU time does not)."""

    async def run() -> tuple[float, float]:
        async with Store(path) as store:
            with Sandbox(processes=WORKERS) as sandbox:
                await sandbox.run(len, "")  # the pool is started before the clock
                enricher = Pipeline(store, sandbox)
                started, cpu = time.perf_counter(), tree_cpu_seconds()
                while await enricher.enrich(datetime.fromisoformat(now)):
                    pass
                return time.perf_counter() - started, tree_cpu_seconds() - cpu

    return asyncio.run(run())


def tree_cpu_seconds() -> float:
    """CPU seconds (user and system) used so far by this process and all its descendants alive now, from /proc;
    0 where there is no /proc."""
    ticks, parents, used = os.sysconf("SC_CLK_TCK"), {}, {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks

    def ours(pid: int) -> bool:
        while pid in parents:
            if pid == os.getpid():
                return True
            pid = parents[pid]
        return False

    return sum(seconds for pid, seconds in used.items() if ours(pid))


def stories_of(db: Database) -> list[int]:
    return [row[0] for row in db.execute("select story_id from articles order by id")]


def people_of(db: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The people (id, name, counts) and every mention (person, article, surface, role): what indexing stored."""
    people = db.execute("select id, name, mentions, articles, first_seen, last_seen from people order by id")
    mentions = db.execute("select person_id, article_id, surface, role, state from person_mentions order by id")
    return people.fetchall(), mentions.fetchall()


def story_pairs(db: Database, origin: list[int]) -> tuple[float, float, int]:
    """Pair precision and recall of the stored stories against the generator's copies, and the story count."""
    index_of = {
        article_id: int(re.search(r"/story-(\d+)", url).group(1))
        for article_id, url in db.execute("select id, url from articles")
    }
    story = {index_of[a]: s for a, s in db.execute("select id, story_id from articles")}
    both = Counter((story[i], origin[i]) for i in story)

    def pairs(counts: Iterable[int]) -> int:
        return sum(k * (k - 1) // 2 for k in counts)

    hits = pairs(both.values())
    found, truth = pairs(Counter(story.values()).values()), pairs(Counter(origin).values())
    return hits / found if found else 1.0, hits / truth if truth else 1.0, len(set(story.values()))


def calibration(drafts: list[ArticleDraft]) -> float:
    """lower() + split() over the bodies, articles/s: perf-notes' raw ceiling (43k/s for 3.8 KB on its VM)."""
    bodies = [d.body for d in drafts[:5000] if d.body]
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        for body in bodies:
            body.lower().split()
        rates.append(len(bodies) / (time.perf_counter() - started))
    return statistics.median(rates)


if __name__ == "__main__":
    sys.exit(main())
