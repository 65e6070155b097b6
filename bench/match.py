"""Topic matching throughput: diplobot's Matcher against a per-subscription regex loop and a bare automaton.

Usage (from the repository root, with the package installed: pip install -e ".[test]"):

    python bench/match.py [--articles N] [--rounds R] [--seed S]

Defaults (300 articles, 5 rounds) take about two to three minutes on a 2-vCPU VM; most of it is the regex
loop and tracemalloc. The last line is machine-readable:

    RESULT diplobot_per_s_10k=... regex_per_s_10k=... ac_raw_per_s_10k=... vs_ac_raw_10k=...
           speedup_1k=... speedup_10k=... speedup_100k=... peak_mb_100k=...

Synthetic data, generated deterministically: English-like articles (~600 words; Zipf sampling over function
words, diplomacy words and pronounceable pseudo-words; capitalised sentences with commas, quotes, possessives,
numbers and person names; some diplomacy phrases) and nested subscription sets 1k ⊂ 10k ⊂ 100k of 1-4-word
phrases, about one in twelve of them a boolean query ("a" b -c, "a" OR "b c").

Measured in the same run, on the same article texts (title and body; diplobot gets them as separate fields,
the others as title + newline + body), each as articles per second:
* diplobot: Matcher.match(title, "", body): normalisation, one automaton scan, boolean evaluation, and the
  first hit's field and character offsets for every matched subscription (computed eagerly, as the alert
  pipeline stores them);
* regex loop: what simple bots do, for every subscription and every term a precompiled, case-insensitive
  ``\\bterm\\b`` pattern searched in the article (measured on a few articles only, it is slow);
* ac_raw, the ceiling: the terms as typed, lower-cased, in one pyahocorasick automaton scanned over the
  lower-cased article with the word-boundary check of ../shared/docs/perf-notes.md section 1 ("AC iter +
  boundary check"), and nothing else: no Unicode, plural or punctuation handling, no boolean evaluation.
Rounds are interleaved (diplobot and ac_raw alternate, order flipped each round); a rate is the median over
rounds, vs_ac_raw is the median of the per-round ratios diplobot / ac_raw, speedup = diplobot / regex loop.
"agree" is a sanity check: of the one-phrase subscriptions ac_raw finds, the share diplobot finds too
(below 1 only where the raw scan matches what normalisation reads differently, e.g. across a hyphen).
Peak memory is tracemalloc's peak while parsing the 100k queries, building the matcher and matching articles.
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
from diplobot.analysis.query import Query, Term, evaluate, parse_query, terms

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
    "security guarantees",
    "coalition of the willing",
    "prisoner exchange",
    "peace plan",
    "reparations loan",
    "ceasefire agreement",
    "united nations security council",
    "frozen russian assets",
    "sanctions package",
    "air defence systems",
    "reassurance force",
    "energy infrastructure",
    "peace talks",
    "direct talks",
    "national security adviser",
    "foreign ministers",
    "special envoy",
    "black sea",
    "grain deal",
    "nuclear power plant",
    "european commission",
    "white house",
    "oval office",
    "secondary sanctions",
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
    ngrams = [
        words
        for body in bodies
        for sentence in re.split(r"[.?:,]", body.lower())
        if len(words := re.findall(r"[a-z]+", sentence)) >= 4
    ]
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
            topic = " ".join(words[at : at + size])
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
            patterns = [
                (term, re.compile(r"\b" + re.escape(term.display) + r"\b", re.IGNORECASE)) for term in terms(query.expr)
            ]
            self.subs.append((sub_id, query.expr, patterns))

    def match(self, title: str, body: str) -> list[int]:
        text = f"{title}\n{body}"
        return [
            sub_id
            for sub_id, expr, patterns in self.subs
            if evaluate(expr, {term for term, pattern in patterns if pattern.search(text)})
        ]


class BareAutomaton:
    """The same terms, lower-cased, in one automaton over the lower-cased article, with the boundary check
    of perf-notes section 1 ("AC iter + boundary check"): the cost floor of whole-word matching."""

    def __init__(self, queries: dict[int, Query]) -> None:
        self.automaton = ahocorasick.Automaton()
        self.keys = list(dict.fromkeys(term.display for query in queries.values() for term in terms(query.expr)))
        for number, key in enumerate(self.keys):
            self.automaton.add_word(key, (number, len(key)))
        self.automaton.make_automaton()

    def match(self, title: str, body: str) -> set[int]:
        low = f"{title}\n{body}".lower()
        n = len(low)
        return {
            i
            for end, (i, length) in self.automaton.iter(low)
            if (end - length + 1 == 0 or not low[end - length].isalnum())
            and (end + 1 == n or not low[end + 1].isalnum())
        }


def agreement(
    matcher: Matcher, bare: BareAutomaton, queries: dict[int, Query], articles: list[tuple[str, str]]
) -> tuple[float, float]:
    """Diplobot's matches per article, and of the one-phrase subscriptions the bare scan finds, the share
    diplobot's matcher finds too."""
    by_key: dict[str, list[int]] = {}
    for sub_id, query in queries.items():
        if isinstance(query.expr, Term):
            by_key.setdefault(query.expr.display, []).append(sub_id)
    found = agreed = matches = 0
    for title, body in articles:
        ours = matcher.match(title, "", body)
        matches += len(ours)
        raw = {sub_id for i in bare.match(title, body) for sub_id in by_key.get(bare.keys[i], ())}
        found += len(raw)
        agreed += len(raw & ours.keys())
    return matches / len(articles), agreed / found if found else 1.0


def rate(run: Callable[[str, str], object], articles: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for title, body in articles:
        run(title, body)
    return len(articles) / (time.perf_counter() - start)


def measure_memory(
    texts: list[str], articles: list[tuple[str, str]], make: Callable[[], Matcher] = Matcher
) -> tuple[float, dict[int, Query], Matcher]:
    tracemalloc.start()
    queries = {number: parse_query(text) for number, text in enumerate(texts)}
    matcher = make()
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
    parser.add_argument(
        "--lexicon",
        action="store_true",
        help="give diplobot's matcher the topic service's cross-language expansions (the bundled "
        "lexicon's Ukrainian and Russian equivalents in every grammatical form) as variants",
    )
    args = parser.parse_args()
    make: Callable[[], Matcher] = Matcher
    if args.lexicon:
        from diplobot.analysis.lexicon import bundled_lexicon

        expansions = bundled_lexicon().expansions
        make = lambda: Matcher(variants=expansions)  # noqa: E731

    rng = random.Random(args.seed)
    corpus = Corpus(rng)
    articles = [corpus.article() for _ in range(args.articles)]
    elsewhere = [corpus.article()[1] for _ in range(300)]
    texts = topic_texts(corpus, elsewhere, max(SIZES), rng)
    chars = sum(len(t) + len(b) for t, b in articles) / len(articles)
    boolean = sum('"' in text for text in texts)
    print(
        f"{len(articles)} articles, {chars:,.0f} chars each on average; {len(texts):,} topics, "
        f"{boolean:,} of them boolean"
    )

    peak_mb, queries, _ = measure_memory(texts, articles[:50], make)
    rows, figures = [], {}
    for size in SIZES:
        subset = {number: queries[number] for number in range(size)}
        started = time.perf_counter()
        matcher = make()
        matcher.update(subset)
        build_s = time.perf_counter() - started
        bare = BareAutomaton(subset)
        ours, ceiling = [], []
        for round_ in range(args.rounds):
            pair = [(ours, lambda t, b, m=matcher: m.match(t, "", b)), (ceiling, bare.match)]
            for results, run in pair if round_ % 2 == 0 else reversed(pair):
                results.append(rate(run, articles))
        loop = RegexLoop(subset)
        regex = rate(loop.match, articles[: REGEX_ARTICLES[size]])
        hits, agree = agreement(matcher, bare, subset, articles)
        ours_s, ceiling_s = statistics.median(ours), statistics.median(ceiling)
        ratio = statistics.median(o / c for o, c in zip(ours, ceiling, strict=True))
        rows.append((size, build_s, hits, ours_s, regex, ceiling_s, ours_s / regex, ratio, agree))
        figures[size] = (ours_s, regex, ceiling_s, ratio)

    print(
        f"\n{'subs':>8} {'build s':>8} {'hits/art':>9} {'diplobot/s':>11} {'regex/s':>9} "
        f"{'ac_raw/s':>9} {'vs regex':>9} {'vs ac_raw':>10} {'agree':>6}"
    )
    for size, build_s, hits, ours_s, regex, ceiling_s, speedup, ratio, agree in rows:
        print(
            f"{size:>8,} {build_s:>8.2f} {hits:>9.1f} {ours_s:>11,.0f} {regex:>9.2f} {ceiling_s:>9,.0f} "
            f"{speedup:>8,.0f}x {ratio:>9.2f}x {agree:>6.3f}"
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak traced memory, parse + build + match at 100k: {peak_mb:.0f} MB (process max RSS {rss_mb:.0f} MB)")
    ours10, regex10, ceiling10, ratio10 = figures[10_000]
    print(
        f"RESULT diplobot_per_s_10k={ours10:.0f} regex_per_s_10k={regex10:.2f} ac_raw_per_s_10k={ceiling10:.0f} "
        f"vs_ac_raw_10k={ratio10:.2f} "
        + " ".join(f"speedup_{size // 1000}k={figures[size][0] / figures[size][1]:.0f}" for size in SIZES)
        + f" peak_mb_100k={peak_mb:.0f}"
    )


if __name__ == "__main__":
    main()
