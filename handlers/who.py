"""/who: who a person is, from the people named in stored articles.

Any spelling, a surname alone, Cyrillic in any grammatical case and small typos find the person
(enrichment.people.find_people, `_find`). One match gets a profile: name, other spellings, current role with its date
and source, earlier roles, article count, the latest headlines and the people most often named alongside. Several
equally good matches get up to five buttons; no match says so and suggests the closest names.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from diplobot.analysis.cyrillic_names import nominative_guesses
from diplobot.analysis.names import Aliases
from diplobot.enrichment import people
from diplobot.handlers.format import article_line, local_date, source_label
from diplobot.handlers.reply import Button, Link, Reply, ReplyBuilder, Span, Text
from diplobot.store import articles
from diplobot.store.people import co_mentioned, person_headlines

MAX_CHOICES = 5
HEADLINES = 5
CLEAR_LEAD = 8.0


def who(db: Database, name: str, *, tz: str, aliases: Aliases | None = None) -> Reply:
    """The profile of the person `name` means, a choice between candidates, or closest names.

    `aliases`: the people aliases in force (a merge group finds its person under any of its names).
    """
    query = " ".join(name.split())
    found = _find(db, query, aliases)
    chosen = _chosen(found)
    if chosen is not None:
        return profile(db, chosen.person_id, tz=tz)
    if found:
        return _choices(db, query, found)
    return _unknown(db, query)


def _find(db: Database, query: str, aliases: Aliases | None) -> list[people.Candidate]:
    """The people `query` may mean. A Cyrillic name pasted from a sentence is in the case the sentence put it in
    (Умєрова, Єрмаком) while people are stored in the nominative: when the name as written matches nobody exactly,
    its likely dictionary forms (analysis.cyrillic_names.nominative_guesses) are tried in turn, and the first with a
    better match is taken; small typos only when no form matches at all."""
    found = people.find_people(db, query, limit=MAX_CHOICES, aliases=aliases, typos=False)
    if found and found[0].score >= 100.0:
        return found
    for form in nominative_guesses(query):
        again = people.find_people(db, form, limit=MAX_CHOICES, aliases=aliases, typos=False)
        if again and (not found or again[0].score > found[0].score):
            found = again
            if found[0].score >= 100.0:
                break
    return found or people.find_people(db, query, limit=MAX_CHOICES, aliases=aliases)


def _chosen(found: list[people.Candidate]) -> people.Candidate | None:
    """The one candidate clearly meant: the only exact match, or a typo match well ahead of the next."""
    if not found:
        return None
    exact = [c for c in found if c.score >= 100.0]
    if exact:
        return exact[0] if len(exact) == 1 else None
    if len(found) == 1 or found[0].score - found[1].score >= CLEAR_LEAD:
        return found[0]
    return None


def _choices(db: Database, query: str, found: list[people.Candidate]) -> Reply:
    out = ReplyBuilder().para(f"Several people match {query}. Which one?")
    for candidate in found:
        role = _short_role(people.person_roles(db, candidate.person_id))
        count = f"{candidate.articles} article{'s' if candidate.articles != 1 else ''}"
        out.para(Text(candidate.name, "bold"), f"{role} ({count})")
    return out.build(buttons=tuple((Button(c.name, f"/who {c.name}"),) for c in found[:MAX_CHOICES]))


def _unknown(db: Database, query: str) -> Reply:
    """Says how many articles were searched, and whether just-stored ones are still being read."""
    unread = articles.unenriched_count(db)
    read = articles.article_total(db) - unread
    out = ReplyBuilder().para(f"I found nobody called {query} in {read} article{'s' if read != 1 else ''}.")
    if unread:
        out.para(
            f"{unread} just-stored article{'s are' if unread != 1 else ' is'} still being read; ask again in a minute."
        )
    closest = people.closest_names(db, query)
    if closest:
        out.para(f"Closest names: {', '.join(closest)}.")
    return out.build(buttons=tuple((Button(n, f"/who {n}"),) for n in closest))


def profile(db: Database, person_id: int, *, tz: str) -> Reply:
    """Everything stored about one person."""
    person = people.person(db, person_id)
    if person is None:
        return Reply.text("That person is no longer in the index.")
    out = ReplyBuilder().heading(person["name"])
    if person["spellings"]:
        out.para(f"Also written: {', '.join(person['spellings'])}.")
    _roles(out, person["roles"], tz)
    count = person["articles"]
    first, last = local_date(person["first_seen"], tz), local_date(person["last_seen"], tz)
    seen = f", {first} to {last}" if first and last and first != last else (f", {last}" if last else "")
    out.para(f"Named in {count} article{'s' if count != 1 else ''}{seen}.")
    headlines = person_headlines(db, person_id, HEADLINES)
    if headlines:
        out.heading("Latest headlines")
        for row in headlines:
            out.para(*article_line(dict(row, published_at=row["published_at"] or row["fetched_at"]), tz))
    alongside = co_mentioned(db, person_id)
    if alongside:
        out.para("Often named with: " + ", ".join(f"{name} ({n})" for name, n in alongside) + ".")
    return out.build()


def _short_role(roles: list[dict[str, Any]]) -> str:
    """', President (Russia)' for a list of candidates: the official title, else what the articles called them."""
    role = people.current_role(roles)
    if role is not None:
        return f", {people.format_role(role)}"
    return f", described as {people.format_role(roles[0])}" if roles else ""


def _roles(out: ReplyBuilder, roles: list[dict[str, Any]], tz: str) -> None:
    """Now: the latest official title; Also: titles whose period overlaps it (held at the same time); Before:
    titles last seen before it was first seen. Descriptions ('dictator', 'top diplomat') come last, as such."""
    titles = [role for role in roles if role["kind"] == "title"]
    described = [role for role in roles if role["kind"] != "title"]
    if titles:
        now = titles[0]
        out.para("Now: ", *_role_spans(now, tz))
        rest = titles[1:5]
        for role in rest:
            if role["last_seen"] >= now["first_seen"]:
                out.para("Also: ", *_role_spans(role, tz, with_source=False))
        for role in rest:
            if role["last_seen"] < now["first_seen"]:
                out.para("Before: ", *_role_spans(role, tz, with_source=False))
    elif not described:
        out.para("No role stated in the articles so far.")
    else:
        out.para("No official title stated in the articles so far.")
    if described:
        out.para("Described as: " + "; ".join(people.format_role(role) for role in described[:3]) + ".")


def _role_spans(role: dict[str, Any], tz: str, *, with_source: bool = True) -> tuple[Span, ...]:
    spans: list[Span] = [Text(people.format_role(role), "bold")]
    wording = role.get("role_text")
    if (
        wording
        and wording.casefold() not in role["role"].casefold()
        and role["role"].casefold() not in wording.casefold()
    ):
        spans.append(Text(f" (“{wording}”)"))
    first, last = local_date(role["first_seen"], tz), local_date(role["last_seen"], tz)
    spans.append(Text(f", {first}" if first == last else f", {first} to {last}"))
    if with_source and (role.get("source") or role.get("title")):
        spans.append(Text(", "))
        label = source_label(role) or role["title"]
        spans.append(Link(label, role["url"]) if role.get("url") else Text(label))
    return tuple(spans)
