"""People: who is named in which article, under which spellings and roles; the only SQL for people.

Indexing (`index_article_people`, called by the enrichment stage for each new article) extracts the article's
mentions (analysis.people) and resolves each person named to a stored person:

* a full name joins the stored person one of whose full spellings `same_person` accepts (Andrii Sybiga ->
  Andrii Sybiha, Emmanuel Bonn -> Emmanuel Bonne), preferring the one in more articles; a person so far known
  only by surname ("Zelensky") is upgraded when the full name arrives;
* a surname alone ("Vitkoff", "Zelensky") joins the person with that surname; when several people share it, the
  one named in at least twice as many articles, else a surname-only person (never a guess between equals);
* a `weak` mention (a lone capitalised word before "said", see analysis.people) is kept only for a known person.

The aliases (config `[people] aliases`, format in analysis.names.parse_aliases) are passed in by the caller, who
holds the file (analysis.aliases.AliasesFile); they apply to articles indexed from then on (`diplobot reindex
people` applies them to stored ones).

Cost: bench/people_eval.py prints it. Extraction reads a bounded text and grows linearly with the names in it;
the SQL is one indexed look-up per person named plus a few statements per article (`_Writes`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from rapidfuzz import fuzz, process
from sqlite_utils import Database

from diplobot.analysis.cyrillic_names import lookup_spellings
from diplobot.analysis.cyrillic_people import extract_cyrillic_people, is_cyrillic_text
from diplobot.analysis.names import Aliases, Name, has_cyrillic, parse_name, same_person, to_latin
from diplobot.analysis.people import Mention, base_role, extract_people, office_key, role_key, role_kind

log = logging.getLogger(__name__)

DOMINANT = 2.0
FUZZY_MIN = 80.0
REINDEX_BATCH = 100
_VARIANTS_KEY = "people_variants_revision"


# --- indexing -------------------------------------------------------------------------------------------------


def index_article_people(db: Database, article_id: int, aliases: Aliases | None = None) -> None:
    """Extract and store the people of one stored article (once; call again after `reindex_all` clears)."""
    row = db.execute(
        """select title, summary, body, coalesce(published_at, fetched_at), people_at from articles
           where id = ?""",
        [article_id],
    ).fetchone()
    if row is None or row[4] is not None:
        return
    title, summary, body, when, _ = row
    text = _article_body(summary or "", body or "")
    groups: dict[str, list[Mention]] = {}
    cyrillic = is_cyrillic_text(title or "", text or "")  # Ukrainian and Russian: analysis/cyrillic_people.py
    for mention in (extract_cyrillic_people if cyrillic else partial(extract_people, aliases=aliases))(
        title or "", text or ""
    ):
        groups.setdefault(mention.name, []).append(mention)
    writes = _Writes()
    for name, mentions in groups.items():
        strong = any(not m.weak for m in mentions)
        person_id, created, known = _resolve(db, name, aliases, create=strong, writes=writes)
        if person_id is not None:
            _store_mentions(
                db,
                writes,
                person_id,
                article_id,
                name=name,
                mentions=mentions,
                when=when or "",
                created=created,
                known=known,
            )
    writes.flush(db)
    db.execute(
        "update articles set people_at = ? where id = ?", [datetime.now(UTC).isoformat(timespec="seconds"), article_id]
    )


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
        db.execute("delete from person_mentions")
        db.execute("delete from person_roles")
        db.execute("delete from person_spellings")
        db.execute("delete from people")
        db.execute("update articles set people_at = null")
        _bump_variants_revision(db)
    ids = [r[0] for r in db.execute("select id from articles order by id").fetchall()]
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


def _resolve(
    db: Database, name: str, aliases: Aliases | None, *, create: bool, writes: _Writes
) -> tuple[int | None, bool, set[str] | None]:
    """The stored person this name refers to; whether it was created for it (when `create` and none fits); and
    the spellings it had, when the look-up read them (None: not read)."""
    parsed = _latin(name)
    alias_key = aliases.canonical(name) if aliases else None
    if alias_key is not None:
        row = db.execute("select id from people where alias_key = ?", [alias_key]).fetchone()
        if row:
            return row[0], False, None
    found = _candidates(db, name, parsed, aliases)
    rows = []
    known: dict[int, set[str]] = {}
    for person_id, person_name, given_key, articles, spellings in found:
        marked = spellings.split("\x1f") if spellings else []
        known[person_id] = {s[1:] for s in marked}
        rows.append((person_id, person_name, given_key, articles, [s[1:] for s in marked if s[0] == "1"]))
    person_id = (
        _resolve_full(db, name, rows, aliases, writes) if parsed.is_full else _resolve_surname(name, rows, aliases)
    )
    if person_id is None and create:
        return (
            db.execute(
                "insert into people (name, given_key, surname_key, alias_key) values (?, ?, ?, ?)",
                [name, parsed.given_key, parsed.surname_key, alias_key],
            ).lastrowid,
            True,
            None,
        )
    if person_id is not None and alias_key is not None:
        db.execute("update people set alias_key = ? where id = ? and alias_key is null", [alias_key, person_id])
    return person_id, False, known.get(person_id) if person_id is not None else None


def _candidates(db: Database, name: str, parsed: Name, aliases: Aliases | None) -> list[tuple]:
    """The stored people `name` may be, each with all their spellings (full ones marked '1'): the same surname key,
    or (for Bonne / Bonn) the same given name and a surname of about the same length and initial; under every
    spelling the name may be filed by (a Cyrillic name's Latin readings, a Latin name as read back from Cyrillic:
    analysis.cyrillic_names.lookup_spellings)."""
    forms = [parsed, *(parse_name(s) for s in lookup_spellings(name)[1:])]
    keys = sorted({key for form in forms for key in _surname_keys(form, aliases)})
    given = sorted({form.given_key for form in forms if form.given_key})
    initials = sorted({form.surname_key[:1] for form in forms})
    lengths = [len(form.surname_key) for form in forms]
    spellings = "(select group_concat(full || spelling, char(31)) from person_spellings where person_id = p.id)"
    sql = f"""select p.id, p.name, p.given_key, p.articles, {spellings}
              from people p where p.surname_key in ({",".join("?" * len(keys))})"""
    params: list[Any] = list(keys)
    if given:
        sql += f"""
            union select p.id, p.name, p.given_key, p.articles, {spellings}
            from people p where p.given_key in ({",".join("?" * len(given))})
                and substr(p.surname_key, 1, 1) in ({",".join("?" * len(initials))})
                and length(p.surname_key) between ? and ?"""
        params += [*given, *initials, min(lengths) - 2, max(lengths) + 2]
    return db.execute(sql, params).fetchall()


def _resolve_full(db: Database, name: str, rows: list[tuple], aliases: Aliases | None, writes: _Writes) -> int | None:
    full_matches, surname_only = [], []
    for person_id, person_name, given_key, articles, spellings in rows:
        if not given_key:
            if same_person(name, person_name, aliases):
                surname_only.append(person_id)
            continue
        if any(same_person(name, s, aliases) for s in (spellings or [person_name])):
            full_matches.append((articles, person_id))
    if full_matches:
        target = max(full_matches)[1]
        if surname_only and len([r for r in rows if r[2] and r[0] != target and _same_surname(name, r[1])]) == 0:
            writes.flush(db)  # a merge moves stored rows: this article's must be stored first
            for other in surname_only:
                _merge(db, target, other)
        return target
    if surname_only:
        target = surname_only[0]
        parsed = _latin(name)
        db.execute("update people set name = ?, given_key = ? where id = ?", [name, parsed.given_key, target])
        if len(surname_only) > 1:
            writes.flush(db)
        for other in surname_only[1:]:
            _merge(db, target, other)
        return target
    return None


def _same_surname(a: str, b: str) -> bool:
    return _latin(a).surname_key == _latin(b).surname_key


def _resolve_surname(name: str, rows: list[tuple], aliases: Aliases | None) -> int | None:
    matches = sorted(
        (
            (articles, person_id, given_key)
            for person_id, person_name, given_key, articles, _ in rows
            if same_person(name, person_name, aliases)
        ),
        reverse=True,
    )
    if not matches:
        return None
    if len(matches) == 1 or matches[0][0] >= DOMINANT * max(matches[1][0], 1):
        return matches[0][1]
    return next((person_id for _, person_id, given_key in matches if not given_key), None)


@dataclass
class _Writes:
    """The rows an article adds, written together once its names are resolved: a few statements per article
    instead of several per person named."""

    mentions: list[tuple[Any, ...]] = field(default_factory=list)
    spellings: list[tuple[Any, ...]] = field(default_factory=list)
    people: list[tuple[Any, ...]] = field(default_factory=list)
    roles: list[tuple[Any, ...]] = field(default_factory=list)

    def flush(self, db: Database) -> None:
        for sql, rows in (
            (_INSERT_MENTION, self.mentions),
            (_INSERT_SPELLING, self.spellings),
            (_UPDATE_PERSON, self.people),
            (_INSERT_ROLE, self.roles),
        ):
            if rows:
                db.conn.executemany(sql, rows)
                rows.clear()


_INSERT_MENTION = """insert into person_mentions (person_id, article_id, surface, role, role_text, state, sentence,
                         position) values (?, ?, ?, ?, ?, ?, ?, ?)"""
_INSERT_SPELLING = """insert into person_spellings (person_id, spelling, key, surname_key, full, mentions, first_seen)
                      values (?, ?, ?, ?, ?, ?, ?)
                      on conflict (person_id, spelling) do update set mentions = mentions + excluded.mentions,
                          first_seen = min(first_seen, excluded.first_seen)"""
# A person is shown under their most used full spelling (the one seen first on a tie).
_DISPLAY_NAME = """coalesce((select spelling from person_spellings where person_id = people.id and full = 1
                             order by mentions desc, first_seen, spelling limit 1), name)"""
_UPDATE_PERSON = f"""update people set mentions = mentions + ?, articles = articles + 1,
                         first_seen = min(coalesce(first_seen, ?), ?), last_seen = max(coalesce(last_seen, ?), ?),
                         name = {_DISPLAY_NAME}
                     where id = ?"""
_INSERT_ROLE = """insert into person_roles (person_id, role_key, state, role, role_text, first_seen, last_seen,
                      articles, last_article_id) values (?, ?, ?, ?, ?, ?, ?, 1, ?)
                  on conflict (person_id, role_key, state) do update set
                      role = case when excluded.last_seen >= last_seen then excluded.role else role end,
                      role_text = case when excluded.last_seen >= last_seen then excluded.role_text else role_text end,
                      last_article_id = case when excluded.last_seen >= last_seen then excluded.last_article_id
                                             else last_article_id end,
                      first_seen = min(first_seen, excluded.first_seen),
                      last_seen = max(last_seen, excluded.last_seen), articles = articles + 1"""


def _store_mentions(
    db: Database,
    writes: _Writes,
    person_id: int,
    article_id: int,
    *,
    name: str,
    mentions: list[Mention],
    when: str,
    created: bool = False,
    known: set[str] | None = None,
) -> None:
    writes.mentions.extend(
        (person_id, article_id, m.surface, m.role, m.role_text, m.state, m.sentence, m.start) for m in mentions
    )
    counts = Counter(m.surface for m in mentions)
    counts[name] += 0
    if not created:  # a new spelling of a known person changes what topics match (a new person has none yet)
        if known is None:
            known = {r[0] for r in db.execute("select spelling from person_spellings where person_id = ?", [person_id])}
        if known and counts.keys() - known:
            _bump_variants_revision(db)
    writes.spellings.extend(
        (
            person_id,
            spelling,
            _latin(spelling).key,
            _latin(spelling).surname_key,
            int(_latin(spelling).is_full),
            count,
            when,
        )
        for spelling, count in counts.items()
    )
    writes.people.append((len(mentions), when, when, when, when, person_id))
    roles: dict[tuple[str, str], tuple[str, str | None]] = {}
    for mention in mentions:
        if mention.role:
            key, _ = role_key(base_role(mention.role))
            roles.setdefault((key or mention.role.casefold(), mention.state or ""), (mention.role, mention.role_text))
    writes.roles.extend(
        (person_id, key, state, role, text, when, when, article_id) for (key, state), (role, text) in roles.items()
    )


def _bump_variants_revision(db: Database) -> None:
    db.execute(
        """insert into meta (key, value) values (?, '1')
           on conflict (key) do update set value = cast(value as integer) + 1""",
        [_VARIANTS_KEY],
    )


def variants_revision(db: Database) -> int:
    """Changes whenever a known person gets a new spelling, i.e. when `phrase_variants` answers may change."""
    row = db.execute("select value from meta where key = ?", [_VARIANTS_KEY]).fetchone()
    return int(row[0]) if row else 0


def _merge(db: Database, keep: int, drop: int) -> None:
    """Move everything of person `drop` to `keep` (a surname-only person whose full name is now known)."""
    db.execute("update person_mentions set person_id = ? where person_id = ?", [keep, drop])
    db.execute(
        """insert into person_spellings (person_id, spelling, key, surname_key, full, mentions, first_seen)
           select ?, spelling, key, surname_key, full, mentions, first_seen from person_spellings
           where person_id = ?
           on conflict (person_id, spelling) do update set mentions = mentions + excluded.mentions,
               first_seen = min(first_seen, excluded.first_seen)""",
        [keep, drop],
    )
    db.execute(
        """insert into person_roles (person_id, role_key, state, role, role_text, first_seen, last_seen, articles,
               last_article_id)
           select ?, role_key, state, role, role_text, first_seen, last_seen, articles, last_article_id
           from person_roles
           where person_id = ?
           on conflict (person_id, role_key, state) do update set
               first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
               articles = articles + excluded.articles""",
        [keep, drop],
    )
    db.execute("delete from people where id = ?", [drop])
    _bump_variants_revision(db)
    db.execute(
        """update people set
               mentions = (select count(*) from person_mentions where person_id = people.id),
               articles = (select count(distinct article_id) from person_mentions where person_id = people.id),
               first_seen = (select min(coalesce(a.published_at, a.fetched_at)) from person_mentions m
                             join articles a on a.id = m.article_id where m.person_id = people.id),
               last_seen = (select max(coalesce(a.published_at, a.fetched_at)) from person_mentions m
                            join articles a on a.id = m.article_id where m.person_id = people.id)
           where id = ?""",
        [keep],
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
        for (person_id,) in db.execute("select id from people where alias_key = ?", [alias_key]).fetchall():
            scores[person_id] = 100.0
    full = [f.key for f in forms if f.is_full]
    if full:
        marks = ",".join("?" * len(full))
        for (person_id,) in db.execute(
            f"select distinct person_id from person_spellings where key in ({marks})", full
        ).fetchall():
            scores[person_id] = 100.0
    if not scores:
        surnames = sorted({f.surname_key for f in forms})
        marks = ",".join("?" * len(surnames))
        rows = db.execute(
            f"select distinct person_id from person_spellings where surname_key in ({marks})", surnames
        ).fetchall()
        if full:
            rows = [
                r
                for r in rows
                if any(
                    same_person(query_form.text, name, aliases) for query_form in forms for name in _names_of(db, r[0])
                )
            ]
        for (person_id,) in rows:
            scores[person_id] = 100.0 if not full else 95.0
    if not scores and not full:
        given = sorted({f.surname_key for f in forms})
        marks = ",".join("?" * len(given))
        for (person_id,) in db.execute(f"select id from people where given_key in ({marks})", given).fetchall():
            scores[person_id] = 90.0  # a given name alone: "Donald" -> Donald Trump, Donald Tusk
    return scores


def _names_of(db: Database, person_id: int) -> list[str]:
    return [r[0] for r in db.execute("select spelling from person_spellings where person_id = ?", [person_id])]


def _fuzzy(db: Database, forms: list[Name]) -> dict[int, float]:
    rows = db.execute("select distinct person_id, key, surname_key from person_spellings").fetchall()
    scores: dict[int, float] = {}
    for form in forms:
        column = 1 if form.is_full else 2
        choices = [r[column] for r in rows]
        query = form.key if form.is_full else form.surname_key
        for _, score, index in process.extract(query, choices, scorer=fuzz.ratio, limit=20, score_cutoff=FUZZY_MIN):
            person_id = rows[index][0]
            scores[person_id] = max(scores.get(person_id, 0.0), score)
    return scores


def _ranked(db: Database, scores: dict[int, float], limit: int) -> list[Candidate]:
    if not scores:
        return []
    marks = ",".join("?" * len(scores))
    rows = db.execute(f"select id, name, articles from people where id in ({marks})", list(scores)).fetchall()
    found = [Candidate(r[0], r[1], scores[r[0]], r[2]) for r in rows]
    found.sort(key=lambda c: (-c.score, -c.articles, c.name))
    return found[:limit]


def closest_names(db: Database, query: str, limit: int = 3) -> list[str]:
    """The stored people whose names look most like `query`, however faintly (for 'did you mean')."""
    rows = db.execute("select name from people").fetchall()
    if not rows:
        return []
    names = [r[0] for r in rows]
    words = " ".join(to_latin(query)[0].split())
    best = process.extract(words, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=50)
    return [name for name, _, _ in best]


def person(db: Database, person_id: int) -> dict[str, Any] | None:
    """A person's name, other spellings (most used first), counts and roles (latest first)."""
    row = db.execute(
        "select id, name, articles, mentions, first_seen, last_seen from people where id = ?", [person_id]
    ).fetchone()
    if row is None:
        return None
    spellings = [
        r[0]
        for r in db.execute(
            "select spelling from person_spellings where person_id = ? order by full desc, mentions desc, spelling",
            [person_id],
        )
    ]
    return {
        "id": row[0],
        "name": row[1],
        "articles": row[2],
        "mentions": row[3],
        "first_seen": row[4],
        "last_seen": row[5],
        "spellings": [s for s in spellings if s != row[1]],
        "roles": person_roles(db, person_id),
    }


def person_roles(db: Database, person_id: int) -> list[dict[str, Any]]:
    """Role history: official titles latest first, then descriptions ('dictator', 'top diplomat'), each with its
    `kind` (analysis.people.role_kind), so that the current role is an office whatever the latest article said.

    A role seen with and without a state is one role, with that state. So are the wordings of one office
    (analysis.people.office_key: "Zelensky's chief of staff" = "head of the Presidential Office") when their
    states do not differ: one period, shown by the official title.
    """
    rows = db.execute(
        """select r.role_key, r.state, r.role, r.role_text, r.first_seen, r.last_seen, r.articles,
                  r.last_article_id, a.title, a.url, coalesce(s.title, s.url) as source
           from person_roles r left join articles a on a.id = r.last_article_id
           left join sources s on s.id = a.source_id
           where r.person_id = ? order by r.last_seen desc, r.articles desc""",
        [person_id],
    ).fetchall()
    merged: dict[str, dict[str, Any]] = {}
    for key, state, role, role_text, first, last, articles, article_id, title, url, source in rows:
        office = office_key(key)
        item = merged.get(office)
        if item is not None and office != key and state and item["state"] not in (None, state):
            office, item = key, merged.get(key)  # a wording of that office, but of another state's
        if item is None:
            merged[office] = {
                "role": role,
                "role_text": role_text,
                "state": state or None,
                "first_seen": first,
                "last_seen": last,
                "articles": articles,
                "article_id": article_id,
                "title": title,
                "url": url,
                "source": source,
                "official": key == office,
            }
            continue
        item["state"] = item["state"] or state or None
        item["first_seen"] = min(item["first_seen"], first)
        item["articles"] += articles
        if key == office and not item["official"]:  # the office's own title is the one shown
            item.update(role=role, role_text=role_text, official=True)
    for item in merged.values():
        del item["official"]
        item["kind"] = role_kind(item["role"])
    return sorted(merged.values(), key=lambda r: (r["kind"] == "title", r["last_seen"], r["articles"]), reverse=True)


def current_role(roles: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest official title of a `person_roles` history; None when the articles gave only descriptions."""
    return next((role for role in roles if role["kind"] == "title"), None)


def person_headlines(db: Database, person_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """The latest articles naming the person, newest first."""
    return list(
        db.query(
            """select a.id, a.title, a.url, a.published_at, a.fetched_at, coalesce(s.title, s.url) as source
           from articles a left join sources s on s.id = a.source_id
           where a.id in (select article_id from person_mentions where person_id = ?)
           order by coalesce(a.published_at, a.fetched_at) desc, a.id desc limit ?""",
            [person_id, limit],
        )
    )


def co_mentioned(db: Database, person_id: int, limit: int = 5) -> list[tuple[str, int]]:
    """People most often named in the same articles, with how many articles."""
    rows = db.execute(
        """select p.name, count(distinct m.article_id) as n from person_mentions m
           join people p on p.id = m.person_id
           where m.article_id in (select article_id from person_mentions where person_id = ?)
             and m.person_id != ?
           group by m.person_id order by n desc, p.articles desc, p.name limit ?""",
        [person_id, person_id, limit],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def indexed_article_count(db: Database) -> int:
    return db.execute("select count(*) from articles where people_at is not null").fetchone()[0]


def phrase_variants(db: Database, phrase: str) -> list[str]:
    """Other spellings of the person a phrase names ('Witkoff' -> ['Vitkoff']), for topic matching; else [].

    A surname gives the other surname spellings of every person with that surname; a full name gives the
    person's other full spellings, and their surname spellings too when nobody else has that surname.
    """
    words = phrase.split()
    if not 1 <= len(words) <= 4 or not any(w[:1].isalpha() for w in words):
        return []
    forms = [_latin(form) for form in to_latin(" ".join(words))]
    if len(words) == 1:
        keys = sorted({f.surname_key for f in forms if f.surname_key})
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        rows = db.execute(
            f"""select spelling, full, person_id from person_spellings where person_id in
                (select person_id from person_spellings where surname_key in ({marks}) and full = 0)""",
            keys,
        ).fetchall()
        found = {_latin(s).surname for s, _, _ in rows if _latin(s).surname_key in keys}
    else:
        keys = sorted({f.key for f in forms})
        marks = ",".join("?" * len(keys))
        ids = [
            r[0]
            for r in db.execute(
                f"select distinct person_id from person_spellings where key in ({marks})", keys
            ).fetchall()
        ]
        if len(ids) != 1:
            return []
        rows = db.execute("select spelling, full from person_spellings where person_id = ?", ids).fetchall()
        found = {s for s, full in rows if full}
        surname = [s for s, full in rows if not full]
        others = db.execute(
            "select count(distinct person_id) from person_spellings where surname_key = ? and person_id != ?",
            [forms[0].surname_key, ids[0]],
        ).fetchone()[0]
        if not others:
            found.update(surname)
    own = {" ".join(words).casefold()}
    return sorted(s for s in found if s.casefold() not in own)


def top_people(db: Database, article_ids: list[int], limit: int = 5) -> list[dict[str, Any]]:
    """The people most mentioned in these articles: name, latest role, mentions."""
    if not article_ids:
        return []
    ids = list(dict.fromkeys(article_ids))
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        f"""select p.id, p.name, count(*) as n from person_mentions m join people p on p.id = m.person_id
            where m.article_id in ({marks}) group by p.id order by n desc, p.articles desc, p.name limit ?""",
        [*ids, limit],
    ).fetchall()
    out = []
    for person_id, name, count in rows:
        role = current_role(person_roles(db, person_id))  # never "Putin, dictator"
        out.append({"name": name, "role": format_role(role) if role else None, "mentions": count})
    return out


def format_role(role: dict[str, Any]) -> str:
    """'head of the Presidential Office (Ukraine)'."""
    state = role.get("state")
    text = role["role"]
    return f"{text} ({state})" if state and state.casefold() not in text.casefold() else text


def iter_article_people(db: Database, article_id: int) -> Iterable[dict[str, Any]]:
    """Per person named in one article: id, name, surfaces, and the first role as the text words it."""
    rows = db.execute(
        """select m.person_id, p.name, m.surface, m.role_text, m.state from person_mentions m
           join people p on p.id = m.person_id where m.article_id = ? order by m.position""",
        [article_id],
    ).fetchall()
    people: dict[int, dict[str, Any]] = {}
    for person_id, name, surface, role_text, state in rows:
        item = people.setdefault(
            person_id, {"id": person_id, "name": name, "surfaces": [], "role_text": None, "state": None}
        )
        if surface not in item["surfaces"]:
            item["surfaces"].append(surface)
        if item["role_text"] is None and role_text:
            item["role_text"], item["state"] = role_text, state
    return list(people.values())
