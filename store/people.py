"""People: who is named in which article, under which spellings and roles; the only SQL for people.

Only reads and writes, no name policy: which stored person a name is, and how a name is keyed, is decided in
enrichment/people.py (with analysis/names.py); the keys arrive here worked out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

_VARIANTS_KEY = "people_variants_revision"


# --- indexing -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleSource:
    """What people indexing reads of an article; `indexed` when its people are stored already."""

    title: str
    summary: str
    body: str
    when: str
    indexed: bool


def people_source(db: Database, article_id: int) -> PeopleSource | None:
    row = db.execute(
        """select title, summary, body, coalesce(published_at, fetched_at), people_at from articles
           where id = ?""",
        [article_id],
    ).fetchone()
    if row is None:
        return None
    return PeopleSource(row[0] or "", row[1] or "", row[2] or "", row[3] or "", row[4] is not None)


def is_indexed(db: Database, article_id: int) -> bool:
    """Whether the article's people are stored (or it is gone)."""
    row = db.execute("select people_at is not null from articles where id = ?", [article_id]).fetchone()
    return row is None or bool(row[0])


def mark_indexed(db: Database, article_id: int, when: str) -> None:
    db.execute("update articles set people_at = ? where id = ?", [when, article_id])


def forget_all(db: Database) -> list[int]:
    """Delete every person and mark every article unindexed; returns all article ids, oldest first."""
    db.execute("delete from person_mentions")
    db.execute("delete from person_roles")
    db.execute("delete from person_spellings")
    db.execute("delete from people")
    db.execute("update articles set people_at = null")
    bump_variants_revision(db)
    return [r[0] for r in db.execute("select id from articles order by id").fetchall()]


@dataclass(frozen=True)
class KeyQuery:
    """Which stored people a name may be: a surname key among `surname_keys`, or a given-name key among
    `given_keys` with a surname key starting with one of `initials`, of a length within [shortest, longest]."""

    surname_keys: tuple[str, ...]
    given_keys: tuple[str, ...] = ()
    initials: tuple[str, ...] = ()
    shortest: int = 0
    longest: int = 0


@dataclass(frozen=True)
class StoredPerson:
    """A person a name may be, with all their spellings as (spelling, full name?)."""

    person_id: int
    name: str
    given_key: str | None
    articles: int
    spellings: tuple[tuple[str, bool], ...]


_SPELLINGS = "(select group_concat(full || spelling, char(31)) from person_spellings where person_id = p.id)"


def people_by_keys(db: Database, query: KeyQuery) -> list[StoredPerson]:
    sql = f"""select p.id, p.name, p.given_key, p.articles, {_SPELLINGS}
              from people p where p.surname_key in ({_marks(query.surname_keys)})"""
    params: list[Any] = list(query.surname_keys)
    if query.given_keys:
        sql += f"""
            union select p.id, p.name, p.given_key, p.articles, {_SPELLINGS}
            from people p where p.given_key in ({_marks(query.given_keys)})
                and substr(p.surname_key, 1, 1) in ({_marks(query.initials)})
                and length(p.surname_key) between ? and ?"""
        params += [*query.given_keys, *query.initials, query.shortest, query.longest]
    out = []
    for person_id, name, given_key, articles, spellings in db.execute(sql, params).fetchall():
        marked = spellings.split("\x1f") if spellings else []
        out.append(StoredPerson(person_id, name, given_key, articles, tuple((s[1:], s[0] == "1") for s in marked)))
    return out


def _marks(values: tuple[str, ...]) -> str:
    return ",".join("?" * len(values))


def person_by_alias(db: Database, alias_key: str) -> int | None:
    row = db.execute("select id from people where alias_key = ?", [alias_key]).fetchone()
    return row[0] if row else None


def create_person(db: Database, name: str, given_key: str, surname_key: str, alias_key: str | None) -> int:
    cursor = db.execute(
        "insert into people (name, given_key, surname_key, alias_key) values (?, ?, ?, ?)",
        [name, given_key, surname_key, alias_key],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def set_alias_key(db: Database, person_id: int, alias_key: str) -> None:
    """Give the person this alias key unless it has one."""
    db.execute("update people set alias_key = ? where id = ? and alias_key is null", [alias_key, person_id])


def rename_person(db: Database, person_id: int, name: str, given_key: str) -> None:
    db.execute("update people set name = ?, given_key = ? where id = ?", [name, given_key, person_id])


def spellings_of(db: Database, person_id: int) -> list[str]:
    return [r[0] for r in db.execute("select spelling from person_spellings where person_id = ?", [person_id])]


SpellingRow = tuple[int, str, str, str, int, int, str]  # person, spelling, key, surname key, full, mentions, first seen
MentionRow = tuple[int, int, str, str | None, str | None, str | None, str, int]  # person, article, surface, role, ...
PersonCounts = tuple[int, str, str, str, str, int]  # mentions, first/last seen (twice each), person
RoleRow = tuple[int, str, str, str, str | None, str, str, int]  # person, key, state, role, text, first, last, article


@dataclass
class Writes:
    """The rows an article adds, written together once its names are resolved: a few statements per article
    instead of several per person named."""

    mentions: list[MentionRow] = field(default_factory=list)
    spellings: list[SpellingRow] = field(default_factory=list)
    people: list[PersonCounts] = field(default_factory=list)
    roles: list[RoleRow] = field(default_factory=list)

    def flush(self, db: Database) -> None:
        batches: tuple[tuple[str, list[Any]], ...] = (
            (_INSERT_MENTION, self.mentions),
            (_INSERT_SPELLING, self.spellings),
            (_UPDATE_PERSON, self.people),
            (_INSERT_ROLE, self.roles),
        )
        for sql, rows in batches:
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


def bump_variants_revision(db: Database) -> None:
    db.execute(
        """insert into meta (key, value) values (?, '1')
           on conflict (key) do update set value = cast(value as integer) + 1""",
        [_VARIANTS_KEY],
    )


def variants_revision(db: Database) -> int:
    """Changes whenever a known person gets a new spelling, i.e. when topic variants of a name may change."""
    row = db.execute("select value from meta where key = ?", [_VARIANTS_KEY]).fetchone()
    return int(row[0]) if row else 0


def merge_people(db: Database, keep: int, drop: int) -> None:
    """Move everything of person `drop` to `keep` and delete `drop`; `keep`'s counts are counted again."""
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
    bump_variants_revision(db)
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


def ids_by_alias(db: Database, alias_key: str) -> list[int]:
    return [r[0] for r in db.execute("select id from people where alias_key = ?", [alias_key]).fetchall()]


def ids_by_spelling_keys(db: Database, keys: Iterable[str]) -> list[int]:
    """People with a spelling of one of these (full-name) keys."""
    return [
        r[0]
        for r in db.execute(
            "select distinct person_id from person_spellings where key in (select value from json_each(?))",
            [json.dumps(sorted(set(keys)))],
        ).fetchall()
    ]


def ids_by_surname_keys(db: Database, keys: Iterable[str]) -> list[int]:
    """People with a spelling of one of these surname keys."""
    return [
        r[0]
        for r in db.execute(
            "select distinct person_id from person_spellings where surname_key in (select value from json_each(?))",
            [json.dumps(sorted(set(keys)))],
        ).fetchall()
    ]


def ids_by_given_keys(db: Database, keys: Iterable[str]) -> list[int]:
    return [
        r[0]
        for r in db.execute(
            "select id from people where given_key in (select value from json_each(?))", [json.dumps(sorted(set(keys)))]
        ).fetchall()
    ]


def all_spelling_keys(db: Database) -> list[tuple[int, str, str]]:
    """(person, key, surname key) of every stored spelling."""
    return db.execute("select distinct person_id, key, surname_key from person_spellings").fetchall()


@dataclass(frozen=True)
class PersonSummary:
    person_id: int
    name: str
    articles: int


def summaries(db: Database, ids: Iterable[int]) -> list[PersonSummary]:
    rows = db.execute(
        "select id, name, articles from people where id in (select value from json_each(?))", [json.dumps(list(ids))]
    ).fetchall()
    return [PersonSummary(*row) for row in rows]


def all_names(db: Database) -> list[str]:
    return [r[0] for r in db.execute("select name from people").fetchall()]


@dataclass(frozen=True)
class PersonRecord:
    """A person's row and spellings (most used first; the display name among them)."""

    person_id: int
    name: str
    articles: int
    mentions: int
    first_seen: str | None
    last_seen: str | None
    spellings: tuple[str, ...]


def person_record(db: Database, person_id: int) -> PersonRecord | None:
    row = db.execute(
        "select id, name, articles, mentions, first_seen, last_seen from people where id = ?", [person_id]
    ).fetchone()
    if row is None:
        return None
    spellings = db.execute(
        "select spelling from person_spellings where person_id = ? order by full desc, mentions desc, spelling",
        [person_id],
    ).fetchall()
    person_id, name, articles, mentions, first, last = row
    return PersonRecord(person_id, name, articles, mentions, first, last, tuple(r[0] for r in spellings))


@dataclass(frozen=True)
class StoredRole:
    """One row of a person's role history, with the article that last gave it."""

    key: str
    state: str
    role: str
    role_text: str | None
    first_seen: str
    last_seen: str
    articles: int
    article_id: int | None
    title: str | None
    url: str | None
    source: str | None


def role_history(db: Database, person_id: int) -> list[StoredRole]:
    """The person's stored roles, latest first."""
    rows = db.execute(
        """select r.role_key, r.state, r.role, r.role_text, r.first_seen, r.last_seen, r.articles,
                  r.last_article_id, a.title, a.url, coalesce(s.title, s.url) as source
           from person_roles r left join articles a on a.id = r.last_article_id
           left join sources s on s.id = a.source_id
           where r.person_id = ? order by r.last_seen desc, r.articles desc""",
        [person_id],
    ).fetchall()
    return [StoredRole(*row) for row in rows]


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


def most_mentioned(db: Database, article_ids: Iterable[int], limit: int) -> list[tuple[int, str, int]]:
    """(person, name, mentions) of the people most mentioned in these articles."""
    rows = db.execute(
        """select p.id, p.name, count(*) as n from person_mentions m join people p on p.id = m.person_id
           where m.article_id in (select value from json_each(?))
           group by p.id order by n desc, p.articles desc, p.name limit ?""",
        [json.dumps(list(dict.fromkeys(article_ids))), limit],
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def spellings_of_surname_people(db: Database, surname_keys: Iterable[str]) -> list[tuple[str, int]]:
    """(spelling, person) of every spelling of the people who have a surname-only spelling of one of these keys."""
    return db.execute(
        """select spelling, person_id from person_spellings where person_id in
           (select person_id from person_spellings where surname_key in (select value from json_each(?))
            and full = 0)""",
        [json.dumps(sorted(set(surname_keys)))],
    ).fetchall()


def spellings_with_kind(db: Database, person_id: int) -> list[tuple[str, bool]]:
    """(spelling, full name?) of one person."""
    rows = db.execute("select spelling, full from person_spellings where person_id = ?", [person_id]).fetchall()
    return [(r[0], bool(r[1])) for r in rows]


def others_with_surname(db: Database, surname_key: str, person_id: int) -> int:
    """How many other people have a spelling with this surname key."""
    return int(
        db.execute(
            "select count(distinct person_id) from person_spellings where surname_key = ? and person_id != ?",
            [surname_key, person_id],
        ).fetchone()[0]
    )


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
