"""What a Ukrainian or Russian article is about, in English words: so it can join the story of its English rewrite.

Story grouping (analysis/stories.py) compares the words and names of two articles. A Ukrainian report and its
English rewrite share almost none of either, so a Cyrillic article is compared through an English *gloss* made of
what survives translation:

* the people it names, in their English spellings (cyrillic_people.py, then the news spelling of Ukrainian names
  or the English spelling of Russian ones: Andriy Yermak, Rustem Umerov, Dmitry Peskov), written as names;
* the concepts, institutions and places of the bundled lexicon it mentions, as their English phrases (security
  guarantees, coalition of the willing, Geneva, Ukraine), found with the topic matcher in any grammatical form;
* its numbers (a 28-point plan cut to 19 points; 1,000 prisoners for 1,000).

The gloss goes through the same feature extraction as English text, so the threshold and the time window of
analysis/stories.py apply unchanged: a gloss shares names and concept words with its rewrite, and little with
other stories (measured by bench/stories_eval.py --also).
"""

from __future__ import annotations

import re
from functools import lru_cache

from diplobot.analysis.cyrillic_names import news_spelling, transliterate
from diplobot.analysis.cyrillic_people import extract_cyrillic_people, is_cyrillic_text
from diplobot.analysis.language import detect_text
from diplobot.analysis.lexicon import bundled_lexicon
from diplobot.analysis.matcher import Matcher
from diplobot.analysis.query import Query, Term
from diplobot.analysis.text import normalize_phrase

_NUMBER = re.compile(r"\d+")


@lru_cache(maxsize=1)
def _concepts() -> tuple[Matcher, tuple[str, ...]]:
    """A matcher holding every lexicon concept (by its first English phrase, with all its renderings and forms)."""
    lexicon = bundled_lexicon()
    heads = tuple(concept.en[0] for concept in lexicon.concepts)
    matcher = Matcher(variants=lexicon.expansions)
    matcher.update(
        {number: Query(head, Term(head.casefold(), (normalize_phrase(head),))) for number, head in enumerate(heads)}
    )
    return matcher, heads


def english_gloss(title: str, body: str) -> tuple[str, str]:
    """(title, body) in English words for a Cyrillic article (see the module docstring); other text as it is."""
    if not is_cyrillic_text(title, body):
        return title, body
    lang = detect_text(f"{title}\n{body}")
    mentions = extract_cyrillic_people(title, body)
    spell = news_spelling if lang == "uk" else (lambda name: transliterate(name, "ru"))
    people = list(dict.fromkeys(spell(m.name) for m in mentions))
    matcher, heads = _concepts()
    in_title = list(dict.fromkeys(spell(m.name) for m in mentions if m.start < len(title)))
    in_title += [heads[number] for number in sorted(matcher.match(title, "", ""))]
    in_text = [
        heads[number]
        for number, _ in sorted(
            matcher.match(title, "", body).items(), key=lambda item: (item[1].field != "title", item[1].start)
        )
    ]
    numbers = _NUMBER.findall(f"{title} {body}")
    gloss_body = (
        (f"The report names {', '.join(people)}. " if people else "")
        + (f"It is about {', '.join(in_text)}. " if in_text else "")
        + (f"Figures: {' '.join(numbers)}." if numbers else "")
    )
    return ", ".join(in_title), gloss_body.strip()
