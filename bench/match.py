"""Topic matching throughput: diplobot's Matcher against a per-subscription regex loop and a bare automaton.

Usage: python bench/match.py [--articles N] [--rounds R] [--seed S]

Synthetic data, generated deterministically: English-like articles (~600 words; Zipf sampling over function
words, diplomacy words and pronounceable pseudo-words; capitalised sentences with commas, quotes, possessives,
numbers and person names; some diplomacy phrases) and nested subscription sets 1k ⊂ 10k ⊂ 100k of 1-4-word
phrases, one in ten of them a boolean query ("a" b -c, a OR b).

Measured in the same run, each as articles per second:
* diplobot: Matcher.match(title, "", body), i.e. normalisation, one automaton scan, boolean evaluation and
  first-hit offsets for the subscriptions that matched;
* regex loop: what simple bots do, for every subscription and every term a precompiled, case-insensitive
  ``\\bterm\\b`` pattern searched in the article (measured on a few articles only, it is slow);
* bare automaton: the same terms lower-cased in a pyahocorasick automaton scanned over the lower-cased
  article, no normalisation, no word boundaries, no evaluation (the ceiling).
Throughput is the median of interleaved rounds; speed-up = diplobot / regex loop. Peak memory is
tracemalloc's peak while parsing the 100k queries, building the matcher and matching articles.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from itertools import accumulate

import ahocorasick

from diplobot.analysis.matcher import Matcher
from diplobot.analysis.query import Query, evaluate, parse_query, terms

SIZES = (1_000, 10_000, 100_000)
REGEX_ARTICLES = {1_000: 8, 10_000: 2, 100_000: 1}

_FUNCTION_WORDS = (
    "the of and to a in that is was he for it with as his on be at by i this had not are but from or have an they "
    "which one you were her all she there would their we him been has when who will more no if out so said what up "
    "its about into than them can only other new some could time these two may then do first any my now such like "
    "our over man me even most made after also did many before must through back years where much your way well "
    "down should because each just those people how too little state good very make world still own see men work "
    "long get here between both life being under never day same another know while last might us great old year off "
    "come since against go came right used take three"
)
FUNCTION_WORDS = tuple(str.split(_FUNCTION_WORDS))
_DIPLOMACY_WORDS = (
    "ukraine russia kyiv moscow president minister foreign defence security council summit talks meeting ceasefire "
    "truce sanctions sanction negotiations delegation envoy ambassador embassy treaty agreement guarantees "
    "guarantee coalition willing peace plan framework memorandum prisoners prisoner exchange swap reparations loan "
    "assets frozen package energy oil gas pipeline tariffs trade union european nato alliance troops forces "
    "deployment reassurance force air defence missiles drones strikes front line territory occupied annexation "
    "referendum sovereignty independence reconstruction aid assistance weapons intelligence sharing diplomats "
    "diplomatic channel mediation mediator ombudsman humanitarian corridor civilians children deportation tribunal "
    "justice accountability crimes investigation court resolution vote assembly general secretary spokesman "
    "statement declaration communique press conference leaders countries partners allies"
)
DIPLOMACY_WORDS = tuple(str.split(_DIPLOMACY_WORDS))
PHRASES = (
    "security guarantees", "coalition of the willing", "prisoner exchange", "peace plan", "reparations loan",
    "ceasefire agreement", "united nations security council", "frozen russian assets", "sanctions package",
    "air defence systems", "reassurance force", "energy infrastructure", "peace talks", "direct talks",
    "national security adviser", "foreign ministers", "special envoy", "black sea", "grain deal",
    "nuclear power plant", "european commission", "white house", "oval office", "secondary sanctions",
)
SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) + rng.choice(("", "", "n", "r", "s"))


class Corpus:
    """A vocabulary with Zipf weights, a pool of person names and a sentence generator."""

    def __init__(self, rng: random.Random, vocabulary: int = 30_000, names: int = 5_000) -> None:
        words = list(dict.fromkeys(FUNCTION_WORDS + DIPLOMACY_WORDS))
        while len(words) < vocabulary:
            word = pseudo_word(rng)
            if word not in words[-50:]:
                words.append(word)
        self.words = list(dict.fromkeys(words))
        self.cum_weights = list(accumulate(1 / rank for rank in range(1, len(self.words) + 1)))
        self.names = [f"{pseudo_word(rng).title()} {pseudo_word(rng).title()}" for _ in range(names)]
        self.rng = rng

    def sentence(self) -> str:
        rng = self.rng
        words = rng.choices(self.words, cum_weights=self.cum_weights, k=rng.randint(8, 28))
        if rng.random() < 0.12:
            name = rng.choice(self.names) + rng.choice(("", "", "'s"))
            words.insert(rng.randrange(len(words)), name)
        if rng.random() < 0.05:
            words.insert(rng.randrange(len(words)), rng.choice(PHRASES))
        if rng.random() < 0.1:
            words.insert(rng.randrange(len(words)), str(rng.randint(2, 2025)))
        if rng.random() < 0.3:
            words[rng.randrange(len(words))] += ","
        if rng.random() < 0.1:
            at = rng.randrange(len(words) - 1)
            words[at], words[at + 1] = f'"{words[at]}', f'{words[at + 1]}"'
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice((".", ".", ".", "?", ":"))

    def article(self, words: int = 600) -> tuple[str, str]:
        title = self.sentence().rstrip(".?:")
        paragraphs, count = [], 0
        while count < words:
            paragraph = " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))
            paragraphs.append(paragraph)
            count += paragraph.count(" ") + 1
        return title, "\n\n".join(paragraphs)


def topic_texts(corpus: Corpus, bodies: list[str], count: int, rng: random.Random) -> list[str]:
    """`count` distinct topics: diplomacy phrases, rarer single words, names, n-grams of content words from
    other generated articles, random word combinations; one in twelve made boolean."""
    function_words = set(FUNCTION_WORDS)
    ngrams = [words for body in bodies for sentence in re.split(r"[.?:,]", body.lower())
              if len(words := re.findall(r"[a-z]+", sentence)) >= 4]
    content = corpus.words[1000:]
    seen = dict.fromkeys(PHRASES)
    while len(seen) < count:
        roll = rng.random()
        if roll < 0.25:
            topic = rng.choice(content)
        elif roll < 0.40:
            topic = rng.choice(corpus.names)
        elif roll < 0.70:
            words = rng.choice(ngrams)
            size = rng.randint(2, 4)
            at = rng.randrange(len(words) - size + 1)
            if words[at] in function_words or words[at + size - 1] in function_words:
                continue
            topic = " ".join(words[at:at + size])
        else:
            topic = " ".join(rng.choices(content, k=rng.randint(1, 4)))
        seen.setdefault(_maybe_boolean(topic, content, rng))
    return list(seen)[:count]


def _maybe_boolean(topic: str, content: list[str], rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.04:
        return f'"{topic}" {rng.choice(content)} -{rng.choice(content)}'
    if roll < 0.08:
        return f'"{topic}" OR "{rng.choice(content)} {rng.choice(content)}"'
    return topic


class RegexLoop:
    """Per subscription, per term: a compiled case-insensitive \\bterm\\b searched in the article."""

    def __init__(self, queries: dict[int, Query]) -> None:
        self.subs = []
        for sub_id, query in queries.items():
            patterns = [(term, re.compile(r"\b" + re.escape(term.display) + r"\b", re.IGNORECASE))
                        for term in terms(query.expr)]
            self.subs.append((sub_id, query.expr, patterns))

    def match(self, title: str, body: str) -> list[int]:
        text = f"{title}\n{body}"
        return [sub_id for sub_id, expr, patterns in self.subs
                if evaluate(expr, {term for term, pattern in patterns if pattern.search(text)})]


class BareAutomaton:
    """The same terms, lower-cased, in one automaton over the lower-cased article: the cost floor."""

    def __init__(self, queries: dict[int, Query]) -> None:
        self.automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        keys = dict.fromkeys(term.display for query in queries.values() for term in terms(query.expr))
        for number, key in enumerate(keys):
            self.automaton.add_word(key, number)
        self.automaton.make_automaton()

    def match(self, title: str, body: str) -> set[int]:
        return {value for _, value in self.automaton.iter(f"{title}\n{body}".lower())}


def rate(run: Callable[[str, str], object], articles: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for title, body in articles:
        run(title, body)
    return len(articles) / (time.perf_counter() - start)


def measure_memory(texts: list[str], articles: list[tuple[str, str]]) -> tuple[float, dict[int, Query], Matcher]:
    tracemalloc.start()
    queries = {number: parse_query(text) for number, text in enumerate(texts)}
    matcher = Matcher()
    matcher.update(queries)
    for title, body in articles:
        matcher.match(title, "", body)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak, queries, matcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    corpus = Corpus(rng)
    articles = [corpus.article() for _ in range(args.articles)]
    elsewhere = [corpus.article()[1] for _ in range(300)]
    texts = topic_texts(corpus, elsewhere, max(SIZES), rng)
    chars = sum(len(t) + len(b) for t, b in articles) / len(articles)
    boolean = sum('"' in text for text in texts)
    print(f"{len(articles)} articles, {chars:,.0f} chars each on average; {len(texts):,} topics, "
          f"{boolean:,} of them boolean")

    peak_mb, queries, _ = measure_memory(texts, articles[:50])
    rows, figures = [], {}
    for size in SIZES:
        subset = {number: queries[number] for number in range(size)}
        started = time.perf_counter()
        matcher = Matcher()
        matcher.update(subset)
        build_s = time.perf_counter() - started
        bare = BareAutomaton(subset)
        ours, ceiling = [], []
        for _ in range(args.rounds):
            ours.append(rate(lambda t, b, m=matcher: m.match(t, "", b), articles))
            ceiling.append(rate(bare.match, articles))
        loop = RegexLoop(subset)
        regex = rate(loop.match, articles[:REGEX_ARTICLES[size]])
        hits = statistics.mean(len(matcher.match(t, "", b)) for t, b in articles)
        ours_s, ceiling_s = statistics.median(ours), statistics.median(ceiling)
        ratio = statistics.median(o / c for o, c in zip(ours, ceiling, strict=True))
        rows.append((size, build_s, hits, ours_s, regex, ceiling_s, ours_s / regex, ratio))
        figures[size] = (ours_s, regex, ceiling_s)

    print(f"\n{'subs':>8} {'build s':>8} {'hits/art':>9} {'diplobot/s':>11} {'regex/s':>9} "
          f"{'bare AC/s':>10} {'vs regex':>9} {'vs bare AC':>10}")
    for size, build_s, hits, ours_s, regex, ceiling_s, speedup, ratio in rows:
        print(f"{size:>8,} {build_s:>8.2f} {hits:>9.1f} {ours_s:>11,.0f} {regex:>9.2f} {ceiling_s:>10,.0f} "
              f"{speedup:>8,.0f}x {ratio:>9.2f}x")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak traced memory, parse + build + match at 100k: {peak_mb:.0f} MB (process max RSS {rss_mb:.0f} MB)")
    ours10, regex10, ceiling10 = figures[10_000]
    print(f"RESULT diplobot_per_s_10k={ours10:.0f} regex_per_s_10k={regex10:.2f} ac_raw_per_s_10k={ceiling10:.0f} "
          + " ".join(f"speedup_{size // 1000}k={figures[size][0] / figures[size][1]:.0f}" for size in SIZES)
          + f" peak_mb_100k={peak_mb:.0f}")


if __name__ == "__main__":
    main()
