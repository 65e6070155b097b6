"""People: extract the people each article names and resolve every name to a stored person; find people again.

Indexing runs in two halves, so that the enrichment stage can do the costly part in parallel worker processes and
hold the write lock only for short writes:

* `prepare_people` reads only: it extracts the article's mentions (analysis.people, analysis.cyrillic_people), works
  out each name's keys, spelling and role rows, reads the stored people the name may be and makes the decision once
  on them, which leaves the name comparisons it needed (`_Judge`) worked out.
* `write_people`, in the write transaction: reads the candidates again (another article may have created, renamed
  or merged a person since), makes the decision again on what is stored now, with the comparisons prepared (any
  new spelling is compared there and then), and writes. The outcome is therefore exactly the in-process one.

How a name is resolved to a stored person:

* a full name joins the stored person one of whose full spellings `same_person` accepts (Andrii Sybiga ->
  Andrii Sybiha, Emmanuel Bonn -> Emmanuel Bonne), preferring the one in more articles; a person so far known
  only by surname ("Zelensky") is upgraded when the full name arrives;
* a surname alone ("Vitkoff", "Zelensky") joins the person with that surname; when several people share it, the
  one named in at least twice as many articles, else a surname-only person (never a guess between equals);
* a `weak` mention (a lone capitalised word before "said", see analysis.people) is kept only for a known person.

The aliases (config `[people] aliases`, format in analysis.names.parse_aliases) are passed in by the caller, who
holds the file (analysis.aliases.AliasesFile); they apply to articles indexed from then on (`diplobot reindex
people` applies them to stored ones). Cost: bench/people_eval.py and bench/ingest.py print it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlite_utils import Database

from diplobot.analysis.cyrillic_names import lookup_spellings
from diplobot.analysis.cyrillic_people import extract_cyrillic_people, is_cyrillic_text
from diplobot.analysis.names import Aliases, Name, has_cyrillic, parse_name, same_person, to_latin
from diplobot.analysis.people import Mention, base_role, extract_people, office_key, role_key, role_kind
from diplobot.store import people as stored
from diplobot.store.people import KeyQuery, StoredPerson, Writes

DOMINANT = 2.0
FUZZY_MIN = 80.0
REINDEX_BATCH = 100


# --- indexing -------------------------------------------------------------------------------------------------


class _Judge:
    """`same_person(name, other)` and surname keys for one name, each worked out once: prepared in a worker, the
    verdicts travel with the name to the write, which then only compares what is new since."""

    def __init__(self, name: str, aliases: Aliases | None) -> None:
        self.name = name
        self.aliases = aliases
        self.verdicts: dict[str, bool] = {}
        self.surnames: dict[str, str] = {}

    def same(self, other: str) -> bool:
        verdict = self.verdicts.get(other)
        if verdict is None:
            verdict = self.verdicts[other] = same_person(self.name, other, self.aliases)
        return verdict

    def surname_key(self, other: str) -> str:
        key = self.surnames.get(other)
        if key is None:
            key = self.surnames[other] = _latin(other).surname_key
        return key


@dataclass(frozen=True)
class NameWork:
    """One name of an article, ready to resolve and write: everything about it that needs no stored person."""

    name: str
    mentions: tuple[Mention, ...]
    strong: bool  # some mention is not `weak`: a new person may be created for it
    parsed: Name
    alias_key: str | None
    query: KeyQuery
    spellings: tuple[tuple[str, str, str, int, int], ...]  # spelling, key, surname key, full, mentions
    roles: tuple[tuple[str, str, str, str | None], ...]  # role key, state, role, role as written
    verdicts: dict[str, bool] = field(default_factory=dict)  # same_person(name, other), as far as worked out
    surnames: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedPeople:
    """One article's people, prepared without the write lock (picklable: a worker process returns it)."""

    article_id: int
    when: str
    names: tuple[NameWork, ...]
    aliases: Aliases | None  # those the work was done with; other ones at the write make it prepare again


def index_article_people(db: Database, article_id: int, aliases: Aliases | None = None) -> None:
    """Extract and store the people of one stored article (once; call again after `reindex_all` clears)."""
    prepared = prepare_people(db, article_id, aliases, resolve=False)  # the write resolves: no need to twice here
    if prepared is not None:
        write_people(db, prepared, aliases)


def prepare_people(
    db: Database, article_id: int, aliases: Aliases | None = None, *, resolve: bool = True
) -> PreparedPeople | None:
    """The article's people, with (`resolve`) the name comparisons that resolving them against the people stored
    now takes; reads only. None when the article is gone or its people are stored already."""
    source = stored.people_source(db, article_id)
    if source is None or source.indexed:
        return None
    text = _article_body(source.summary, source.body)
    if is_cyrillic_text(source.title, text):  # Ukrainian and Russian: analysis/cyrillic_people.py
        mentions = extract_cyrillic_people(source.title, text)
    else:
        mentions = extract_people(source.title, text, aliases=aliases)
    groups: dict[str, list[Mention]] = {}
    for mention in mentions:
        groups.setdefault(mention.name, []).append(mention)
    names = []
    for name, group in groups.items():
        work = _name_work(name, group, aliases)
        if resolve and (work.alias_key is None or stored.person_by_alias(db, work.alias_key) is None):
            _decide(work, stored.people_by_keys(db, work.query), _judge(work, aliases))  # fills the verdicts
        names.append(work)
    return PreparedPeople(article_id, source.when, tuple(names), aliases)


def write_people(db: Database, prepared: PreparedPeople, aliases: Aliases | None = None) -> None:
    """Resolve the prepared names against the people stored now and write the article's people (in the caller's
    transaction). Nothing when they are stored already; prepared with other aliases, it prepares again."""
    if prepared.aliases != aliases:
        again = prepare_people(db, prepared.article_id, aliases)
        if again is None:
            return
        prepared = again
    elif stored.is_indexed(db, prepared.article_id):
        return
    writes = Writes()
    for work in prepared.names:
        person_id, created, known = _resolve(db, work, aliases, writes)
        if person_id is not None:
            _store_mentions(
                db, writes, person_id, prepared.article_id, work=work, when=prepared.when, created=created, known=known
            )
    writes.flush(db)
    stored.mark_indexed(db, prepared.article_id, datetime.now(UTC).isoformat(timespec="seconds"))


def _article_body(summary: str, body: str) -> str:
    """The body, with the summary in front when the body does not already contain it (feeds repeat it)."""
    if not body:
        return summary
    return body if not summary or summary[:60] in body else f"{summary}\n\n{body}"


def reindex_all(
    db: Database, on_progress: Callable[[int, int], None] | None = None, *, aliases: Aliases | None = None
) -> None:
    """Forget every person and extract them again from all stored articles, oldest first."""
    with db.atomic():
        ids = stored.forget_all(db)
    total = len(ids)
    if on_progress:
        on_progress(0, total)
    for start in range(0, total, REINDEX_BATCH):
        with db.atomic():
            for article_id in ids[start : start + REINDEX_BATCH]:
                index_article_people(db, article_id, aliases)
        if on_progress:
            on_progress(min(start + REINDEX_BATCH, total), total)


def _latin(name: str) -> Name:
    return parse_name(to_latin(name)[0])


def _surname_keys(parsed: Name, aliases: Aliases | None) -> list[str]:
    keys = {parsed.surname_key}
    if aliases is not None:
        group = aliases.surname_groups.get(parsed.surname_key)
        if group is not None:
            keys.update(k for k, g in aliases.surname_groups.items() if g == group)
    return sorted(keys)


def _key_query(name: str, parsed: Name, aliases: Aliases | None) -> KeyQuery:
    """The stored people `name` may be: the same surname key, or (for Bonne / Bonn) the same given name and a
    surname of about the same length and initial; under every spelling the name may be filed by (a Cyrillic name's
    Latin readings, a Latin name as read back from Cyrillic: analysis.cyrillic_names.lookup_spellings)."""
    forms = [parsed, *(parse_name(s) for s in lookup_spellings(name)[1:])]
    keys = tuple(sorted({key for form in forms for key in _surname_keys(form, aliases)}))
    given = tuple(sorted({form.given_key for form in forms if form.given_key}))
    if not given:
        return KeyQuery(keys)
    lengths = [len(form.surname_key) for form in forms]
    initials = tuple(sorted({form.surname_key[:1] for form in forms}))
    return KeyQuery(keys, given, initials, min(lengths) - 2, max(lengths) + 2)


def _name_work(name: str, mentions: list[Mention], aliases: Aliases | None) -> NameWork:
    counts = Counter(m.surface for m in mentions)
    counts[name] += 0
    spellings = []
    for spelling, count in counts.items():
        latin = _latin(spelling)
        spellings.append((spelling, latin.key, latin.surname_key, int(latin.is_full), count))
    roles: dict[tuple[str, str], tuple[str, str | None]] = {}
    for mention in mentions:
        if mention.role:
            key, _ = role_key(base_role(mention.role))
            roles.setdefault((key or mention.role.casefold(), mention.state or ""), (mention.role, mention.role_text))
    parsed = _latin(name)
    return NameWork(
        name=name,
        mentions=tuple(mentions),
        strong=any(not m.weak for m in mentions),
        parsed=parsed,
        alias_key=aliases.canonical(name) if aliases else None,
        query=_key_query(name, parsed, aliases),
        spellings=tuple(spellings),
        roles=tuple((key, state, role, text) for (key, state), (role, text) in roles.items()),
    )


def _judge(work: NameWork, aliases: Aliases | None) -> _Judge:
    """The name's comparisons, sharing (and so filling) the work's prepared ones."""
    judge = _Judge(work.name, aliases)
    judge.verdicts, judge.surnames = work.verdicts, work.surnames
    return judge


@dataclass(frozen=True)
class _Decision:
    """Which stored person a name is (None: nobody), who merges into it, and whether it gets the full name."""

    target: int | None
    merged: tuple[int, ...] = ()
    upgraded: bool = False


def _decide(work: NameWork, rows: list[StoredPerson], judge: _Judge) -> _Decision:
    if work.parsed.is_full:
        return _decide_full(work, rows, judge)
    return _Decision(_decide_surname(rows, judge))


def _decide_full(work: NameWork, rows: list[StoredPerson], judge: _Judge) -> _Decision:
    full_matches, surname_only = [], []
    for row in rows:
        if not row.given_key:
            if judge.same(row.name):
                surname_only.append(row.person_id)
            continue
        full = [spelling for spelling, is_full in row.spellings if is_full]
        if any(judge.same(s) for s in (full or [row.name])):
            full_matches.append((row.articles, row.person_id))
    if full_matches:
        target = max(full_matches)[1]
        surname = work.parsed.surname_key
        namesakes = [r for r in rows if r.given_key and r.person_id != target and judge.surname_key(r.name) == surname]
        return _Decision(target, tuple(surname_only) if surname_only and not namesakes else ())
    if surname_only:
        return _Decision(surname_only[0], tuple(surname_only[1:]), upgraded=True)
    return _Decision(None)


def _decide_surname(rows: list[StoredPerson], judge: _Judge) -> int | None:
    matches = sorted(
        ((row.articles, row.person_id, row.given_key) for row in rows if judge.same(row.name)),
        reverse=True,
    )
    if not matches:
        return None
    if len(matches) == 1 or matches[0][0] >= DOMINANT * max(matches[1][0], 1):
        return matches[0][1]
    return next((person_id for _, person_id, given_key in matches if not given_key), None)


def _resolve(
    db: Database, work: NameWork, aliases: Aliases | None, writes: Writes
) -> tuple[int | None, bool, set[str] | None]:
    """The stored person this name refers to; whether it was created for it (when the name is strong and none
    fits); and the spellings it had, when the look-up read them (None: not read)."""
    if work.alias_key is not None:
        person_id = stored.person_by_alias(db, work.alias_key)
        if person_id is not None:
            return person_id, False, None
    rows = stored.people_by_keys(db, work.query)
    decision = _decide(work, rows, _judge(work, aliases))
    target = decision.target
    if decision.upgraded and target is not None:
        stored.rename_person(db, target, work.name, work.parsed.given_key)
    if decision.merged and target is not None:
        writes.flush(db)  # a merge moves stored rows: this article's must be stored first
        for other in decision.merged:
            stored.merge_people(db, target, other)
    if target is None:
        if not work.strong:
            return None, False, None
        person_id = stored.create_person(db, work.name, work.parsed.given_key, work.parsed.surname_key, work.alias_key)
        return person_id, True, None
    if work.alias_key is not None:
        stored.set_alias_key(db, target, work.alias_key)
    known = next(({s for s, _ in row.spellings} for row in rows if row.person_id == target), None)
    return target, False, known


def _store_mentions(
    db: Database,
    writes: Writes,
    person_id: int,
    article_id: int,
    *,
    work: NameWork,
    when: str,
    created: bool,
    known: set[str] | None,
) -> None:
    writes.mentions.extend(
        (person_id, article_id, m.surface, m.role, m.role_text, m.state, m.sentence, m.start) for m in work.mentions
    )
    if not created:  # a new spelling of a known person changes what topics match (a new person has none yet)
        if known is None:
            known = set(stored.spellings_of(db, person_id))
        if known and any(spelling not in known for spelling, *_ in work.spellings):
            stored.bump_variants_revision(db)
    writes.spellings.extend((person_id, *spelling, when) for spelling in work.spellings)
    writes.people.append((len(work.mentions), when, when, when, when, person_id))
    writes.roles.extend(
        (person_id, key, state, role, text, when, when, article_id) for key, state, role, text in work.roles
    )


# --- look-ups -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A person a /who query may mean, with how well it matched (100: a spelling's key is equal)."""

    person_id: int
    name: str
    score: float
    articles: int


def find_people(
    db: Database, query: str, limit: int = 5, *, aliases: Aliases | None = None, typos: bool = True
) -> list[Candidate]:
    """People a name may mean: any spelling, a surname, Cyrillic (any of its Latin readings), small typos (unless
    `typos` is false); best first. A Latin name that finds nobody is looked up again as read back from Cyrillic
    (Jonathan Powell finds a person so far named only «Джонатан Пауелл»)."""
    query = " ".join(query.split())
    spellings = lookup_spellings(query)
    primary = spellings if has_cyrillic(query) else spellings[:1]
    forms = [f for f in (_latin(form) for form in dict.fromkeys([*to_latin(query), *primary])) if f.surname_key]
    if not forms:
        return []
    scores = _scores(db, query, forms, aliases)
    if not scores and len(primary) < len(spellings):
        scores = _scores(db, query, [f for f in map(_latin, spellings[1:]) if f.surname_key], aliases)
    if not scores and typos:
        scores = _fuzzy(db, forms)
    return _ranked(db, scores, limit)


def _scores(db: Database, query: str, forms: list[Name], aliases: Aliases | None) -> dict[int, float]:
    """Person id -> score for a name's exact, surname and given-name matches (100, 95, 90); {} when none."""
    scores: dict[int, float] = {}
    alias_key = aliases.canonical(query) if aliases is not None else None
    if alias_key is not None:
        scores.update(dict.fromkeys(stored.ids_by_alias(db, alias_key), 100.0))
    full = [f.key for f in forms if f.is_full]
    if full:
        scores.update(dict.fromkeys(stored.ids_by_spelling_keys(db, full), 100.0))
    if not scores:
        ids = stored.ids_by_surname_keys(db, {f.surname_key for f in forms})
        if full:
            ids = [
                person_id
                for person_id in ids
                if any(
                    same_person(form.text, name, aliases)
                    for form in forms
                    for name in stored.spellings_of(db, person_id)
                )
            ]
        scores.update(dict.fromkeys(ids, 100.0 if not full else 95.0))
    if not scores and not full:
        # a given name alone: "Donald" -> Donald Trump, Donald Tusk
        scores.update(dict.fromkeys(stored.ids_by_given_keys(db, {f.surname_key for f in forms}), 90.0))
    return scores


def _fuzzy(db: Database, forms: list[Name]) -> dict[int, float]:
    rows = stored.all_spelling_keys(db)
    scores: dict[int, float] = {}
    for form in forms:
        choices = [key if form.is_full else surname_key for _, key, surname_key in rows]
        query = form.key if form.is_full else form.surname_key
        for _, score, index in process.extract(query, choices, scorer=fuzz.ratio, limit=20, score_cutoff=FUZZY_MIN):
            person_id = rows[index][0]
            scores[person_id] = max(scores.get(person_id, 0.0), score)
    return scores


def _ranked(db: Database, scores: dict[int, float], limit: int) -> list[Candidate]:
    if not scores:
        return []
    found = [Candidate(s.person_id, s.name, scores[s.person_id], s.articles) for s in stored.summaries(db, scores)]
    found.sort(key=lambda c: (-c.score, -c.articles, c.name))
    return found[:limit]


def closest_names(db: Database, query: str, limit: int = 3) -> list[str]:
    """The stored people whose names look most like `query`, however faintly (for 'did you mean')."""
    names = stored.all_names(db)
    if not names:
        return []
    words = " ".join(to_latin(query)[0].split())
    best = process.extract(words, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=50)
    return [name for name, _, _ in best]


def person(db: Database, person_id: int) -> dict[str, Any] | None:
    """A person's name, other spellings (most used first), counts and roles (latest first)."""
    record = stored.person_record(db, person_id)
    if record is None:
        return None
    return {
        "id": record.person_id,
        "name": record.name,
        "articles": record.articles,
        "mentions": record.mentions,
        "first_seen": record.first_seen,
        "last_seen": record.last_seen,
        "spellings": [s for s in record.spellings if s != record.name],
        "roles": person_roles(db, person_id),
    }


def person_roles(db: Database, person_id: int) -> list[dict[str, Any]]:
    """Role history: official titles latest first, then descriptions ('dictator', 'top diplomat'), each with its
    `kind` (analysis.people.role_kind), so that the current role is an office whatever the latest article said.

    A role seen with and without a state is one role, with that state. So are the wordings of one office
    (analysis.people.office_key: "Zelensky's chief of staff" = "head of the Presidential Office") when their
    states do not differ: one period, shown by the official title.
    """
    merged: dict[str, dict[str, Any]] = {}
    for row in stored.role_history(db, person_id):
        office = office_key(row.key)
        item = merged.get(office)
        if item is not None and office != row.key and row.state and item["state"] not in (None, row.state):
            office, item = row.key, merged.get(row.key)  # a wording of that office, but of another state's
        if item is None:
            merged[office] = {
                "role": row.role,
                "role_text": row.role_text,
                "state": row.state or None,
                "first_seen": row.first_seen,
                "last_seen": row.last_seen,
                "articles": row.articles,
                "article_id": row.article_id,
                "title": row.title,
                "url": row.url,
                "source": row.source,
                "official": row.key == office,
            }
            continue
        item["state"] = item["state"] or row.state or None
        item["first_seen"] = min(item["first_seen"], row.first_seen)
        item["articles"] += row.articles
        if row.key == office and not item["official"]:  # the office's own title is the one shown
            item.update(role=row.role, role_text=row.role_text, official=True)
    for item in merged.values():
        del item["official"]
        item["kind"] = role_kind(item["role"])
    return sorted(merged.values(), key=lambda r: (r["kind"] == "title", r["last_seen"], r["articles"]), reverse=True)


def current_role(roles: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest official title of a `person_roles` history; None when the articles gave only descriptions."""
    return next((role for role in roles if role["kind"] == "title"), None)


def top_people(db: Database, article_ids: list[int], limit: int = 5) -> list[dict[str, Any]]:
    """The people most mentioned in these articles: name, latest role, mentions."""
    if not article_ids:
        return []
    out = []
    for person_id, name, count in stored.most_mentioned(db, article_ids, limit):
        role = current_role(person_roles(db, person_id))  # never "Putin, dictator"
        out.append({"name": name, "role": format_role(role) if role else None, "mentions": count})
    return out


def format_role(role: dict[str, Any]) -> str:
    """'head of the Presidential Office (Ukraine)'."""
    state = role.get("state")
    text = role["role"]
    return f"{text} ({state})" if state and state.casefold() not in text.casefold() else text


def phrase_variants(db: Database, phrase: str) -> list[str]:
    """Other spellings of the person a phrase names ('Witkoff' -> ['Vitkoff']), for topic matching; else [].

    A surname gives the other surname spellings of every person with that surname; a full name gives the
    person's other full spellings, and their surname spellings too when nobody else has that surname.
    """
    words = phrase.split()
    if not 1 <= len(words) <= 4 or not any(w[:1].isalpha() for w in words):
        return []
    forms = [_latin(form) for form in to_latin(" ".join(words))]
    found: set[str]
    if len(words) == 1:
        keys = {f.surname_key for f in forms if f.surname_key}
        if not keys:
            return []
        latin = [_latin(spelling) for spelling, _ in stored.spellings_of_surname_people(db, keys)]
        found = {name.surname for name in latin if name.surname_key in keys}
    else:
        ids = stored.ids_by_spelling_keys(db, {f.key for f in forms})
        if len(ids) != 1:
            return []
        rows = stored.spellings_with_kind(db, ids[0])
        found = {s for s, full in rows if full}
        if not stored.others_with_surname(db, forms[0].surname_key, ids[0]):
            found.update(s for s, full in rows if not full)
    own = {" ".join(words).casefold()}
    return sorted(s for s in found if s.casefold() not in own)
