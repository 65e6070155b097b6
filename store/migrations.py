"""Schema migrations, applied at start-up (sqlite-utils `Migrations`) in the order they are defined here.

They are defined in numeric order (tests/test_migrations.py checks it), so a fresh database is built in that
order. Never edit or rename a migration that has shipped (databases record the names they applied): add a new
one at the end, numbered after the last.
"""

from __future__ import annotations

import re

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("diplobot")


@MIGRATIONS()
def m001_core(db: Database) -> None:
    db.executescript(
        """
        create table sources (
            id integer primary key,
            url text not null unique,
            kind text not null,
            title text,
            every_s integer not null default 600,
            full_text integer not null default 0,
            etag text,
            last_modified text,
            created_at text not null,
            last_polled_at text,
            last_ok_at text,
            next_poll_at text,
            error_count integer not null default 0,
            last_error text,
            paused integer not null default 0,
            paused_reason text
        );
        create table articles (
            id integer primary key,
            source_id integer references sources(id) on delete set null,
            url text,
            canonical_url text,
            guid text,
            title text not null,
            summary text not null default '',
            body text not null default '',
            published_at text,
            fetched_at text not null,
            content_hash text not null,
            story_id integer,
            matched_at text,
            people_at text
        );
        create unique index articles_canonical_url on articles(canonical_url)
            where canonical_url is not null;
        create unique index articles_guid on articles(guid) where guid is not null;
        create unique index articles_content_hash on articles(content_hash);
        create index articles_unmatched on articles(id) where matched_at is null;
        create index articles_story on articles(story_id);
        create index articles_published on articles(published_at);
        create table chats (
            id text primary key,
            platform text not null,
            kind text not null default 'private',
            title text,
            active integer not null default 1,
            inactive_reason text,
            timezone text,
            muted_until text,
            alerts_mode text not null default 'instant',
            digest_time text,
            digest_weekday text,
            digest_skip_empty integer not null default 0,
            quiet_start text,
            quiet_end text,
            created_at text not null
        );
        create table subscriptions (
            id integer primary key,
            chat_id text not null references chats(id) on delete cascade,
            query text not null,
            since_article_id integer not null default 0,
            muted_until text,
            created_at text not null,
            unique (chat_id, query)
        );
        create table alerts (
            id integer primary key,
            chat_id text not null references chats(id) on delete cascade,
            article_id integer not null references articles(id) on delete cascade,
            story_id integer not null,
            topics text not null,
            state text not null default 'pending',
            attempts integer not null default 0,
            next_attempt_at text not null,
            last_error text,
            created_at text not null,
            sent_at text,
            message_id text,
            unique (chat_id, story_id)
        );
        create index alerts_due on alerts(state, next_attempt_at);
        create table meta (key text primary key, value text not null);
        """
    )
    db.table("articles").enable_fts(
        ["title", "summary", "body"],
        create_triggers=True,
        tokenize="porter unicode61 remove_diacritics 2",
    )


@MIGRATIONS()
def m002_people(db: Database) -> None:
    # People named in articles (store/people.py): spellings are keyed by analysis.names keys so any variant finds
    # its person; mentions keep the sentence; person_roles is the role history (first/last seen, articles).
    # One statement at a time (not executescript, which commits): the migration stays one transaction.
    for statement in (
        """create table people (
               id integer primary key,
               name text not null,
               given_key text not null default '',
               surname_key text not null,
               alias_key text,
               articles integer not null default 0,
               mentions integer not null default 0,
               first_seen text,
               last_seen text
           )""",
        "create index people_surname on people(surname_key)",
        "create index people_given on people(given_key)",
        "create index people_alias on people(alias_key) where alias_key is not null",
        """create table person_spellings (
               person_id integer not null references people(id) on delete cascade,
               spelling text not null,
               key text not null,
               surname_key text not null,
               full integer not null,
               mentions integer not null default 0,
               first_seen text not null default '',
               primary key (person_id, spelling)
           ) without rowid""",
        "create index person_spellings_key on person_spellings(key)",
        "create index person_spellings_surname on person_spellings(surname_key)",
        """create table person_mentions (
               id integer primary key,
               person_id integer not null references people(id) on delete cascade,
               article_id integer not null references articles(id) on delete cascade,
               surface text not null,
               role text,
               role_text text,
               state text,
               sentence text not null,
               position integer not null
           )""",
        "create index person_mentions_person on person_mentions(person_id, article_id)",
        "create index person_mentions_article on person_mentions(article_id)",
        """create table person_roles (
               person_id integer not null references people(id) on delete cascade,
               role_key text not null,
               state text not null default '',
               role text not null,
               role_text text,
               first_seen text not null,
               last_seen text not null,
               articles integer not null default 0,
               last_article_id integer,
               primary key (person_id, role_key, state)
           ) without rowid""",
    ):
        db.execute(statement)


@MIGRATIONS()
def m003_stories(db: Database) -> None:
    # Document frequencies of the story-grouping terms (analysis/stories.py), which are not the FTS5 index's porter
    # stems; story_documents records which articles were counted, so counting stays idempotent.
    db.executescript(
        """
        create table story_terms (term text primary key, documents integer not null) without rowid;
        create table story_documents (article_id integer primary key);
        """
    )


@MIGRATIONS()
def m005_digests(db: Database) -> None:
    db.executescript(
        """
        create table digests (
            id integer primary key,
            chat_id text not null references chats(id) on delete cascade,
            period_key text not null,
            period_start text not null,
            period_end text not null,
            state text not null default 'sending',
            sent_at text,
            message_id text,
            last_error text,
            unique (chat_id, period_key)
        );
        alter table chats add column digest_since text;
        alter table alerts add column held integer not null default 0;
        alter table alerts add column edit_pending integer not null default 0;
        """
    )


@MIGRATIONS()
def m006_ingest_stages(db: Database) -> None:
    # Ingest is split in stages (pipeline.py): store (insert, FTS5), enrich (story, people), match. `enriched_at`
    # marks the second; articles stored before the split were enriched when stored. story_vectors keeps each
    # enriched article's story features (analysis/stories.py), so candidates are compared without re-reading and
    # re-tokenising their text. The FTS5 update trigger from m001 re-indexed the whole article on every update,
    # including story_id and matched_at: it now fires only when an indexed column changes.
    # One statement at a time (not executescript, which commits): the migration stays one transaction.
    for statement in (
        "alter table articles add column enriched_at text",
        "update articles set enriched_at = fetched_at",
        "create index articles_unenriched on articles(id) where enriched_at is null",
        "create table story_vectors (article_id integer primary key, features text not null)",
        "drop trigger if exists articles_au",
        """create trigger articles_au after update of title, summary, body on articles begin
               insert into articles_fts (articles_fts, rowid, title, summary, body)
                   values ('delete', old.rowid, old.title, old.summary, old.body);
               insert into articles_fts (rowid, title, summary, body)
                   values (new.rowid, new.title, new.summary, new.body);
           end""",
    ):
        db.execute(statement)


@MIGRATIONS()
def m007_enrich_error(db: Database) -> None:
    # why an article's story and people could not be worked out (a worker limit hit), shown by `stats`
    db.execute("alter table articles add column enrich_error text")


@MIGRATIONS()
def m008_digest_outbox(db: Database) -> None:
    # a built digest waits in the outbox like an alert: paced, retried, and sent by whichever process delivers
    for statement in (
        "alter table digests add column reply text",
        "alter table digests add column next_attempt_at text",
        "alter table digests add column attempts integer not null default 0",
        "create index digests_ready on digests(next_attempt_at) where state = 'ready'",
    ):
        db.execute(statement)


@MIGRATIONS()
def m009_retention(db: Database) -> None:
    # Retention (store/retention.py): `pruned_at` marks an article whose summary and body were removed after
    # `[store] keep_days`; the partial index finds the next batch to prune without walking pruned rows again.
    for statement in (
        "alter table articles add column pruned_at text",
        "create index articles_prunable on articles(fetched_at) where pruned_at is null",
    ):
        db.execute(statement)


@MIGRATIONS()
def m010_source_origin(db: Database) -> None:
    # where a source was defined: the config file and the bundled samples are synced at start-up (a source
    # removed there stops being polled); sources added with `diplobot sources add` stay until removed
    db.execute("alter table sources add column origin text not null default 'cli'")
    db.execute("update sources set origin = 'sample' where kind = 'sample'")


@MIGRATIONS()
def m011_alerts_newest(db: Database) -> None:
    # the outbox also looks at the newest pending alerts (store/alerts.py due_alerts)
    db.execute("create index alerts_pending_id on alerts(id) where state = 'pending'")


@MIGRATIONS()
def m012_articles_when(db: Database) -> None:
    # Trend charts (store/trends.py) list a period's articles by publication date (never later than the fetch date,
    # as store/articles.py's PUBLISHED_AT) with story and source from this index alone: reading the dates from the
    # table would walk each long article's overflow pages, since they come after the body.
    db.execute(
        "create index articles_when on articles(min(coalesce(published_at, fetched_at), fetched_at), "
        "story_id, source_id)"
    )


@MIGRATIONS()
def m013_article_language(db: Database) -> None:
    # The language of each article (analysis/language.py: uk, ru, en, other; null when too short to tell), set when
    # it is stored and shown as a small tag in alerts and lists. Older articles stay null (unknown).
    db.execute("alter table articles add column lang text")
    # story assignment reads the window's Ukrainian and Russian articles (store/stories.py)
    db.execute("create index articles_cyrillic on articles(id) where lang in ('uk', 'ru')")


@MIGRATIONS()
def m014_topic_lexicon(db: Database) -> None:
    # A deployment's own cross-language lexicon entries (store/lexicon.py), written at start-up from the config.
    db.execute(
        "create table topic_lexicon (id integer primary key, en text not null, uk text not null, "
        "ru text not null, domain text not null default '')"
    )


@MIGRATIONS()
def m015_digest_chart(db: Database) -> None:
    # `/settings digest chart on`: daily digests carry a trend chart too (weekly ones always do; handlers/trend.py)
    db.execute("alter table chats add column digest_chart integer not null default 0")


@MIGRATIONS()
def m016_alerts_rebuilt(db: Database) -> None:
    # Two changes that need the table rebuilt (SQLite cannot alter a constraint):
    # * news_at: the outbox's "newest" alerts are those of the newest news (the article's date as
    #   store/articles.py's PUBLISHED_AT gives it), not the newest rows: an import's backlog, matched after a live
    #   item, must not bury its alert (store/alerts.py due_alerts, newest_due_alerts);
    # * one alert per (story, chat) is kept unique in that order: new alerts come story by story, so their index
    #   entries land together at its end instead of on a page per chat (matching thousands of chats wrote a page
    #   per alert). Per-chat updates are rare (a 429, a chat moved); held alerts, which quiet-hours commands
    #   release, keep an index of their own.
    (sql,) = db.execute("select sql from sqlite_master where type = 'table' and name = 'alerts'").fetchone()
    rebuilt = re.sub(r"^CREATE TABLE alerts\b", "CREATE TABLE alerts_new", sql, count=1, flags=re.IGNORECASE)
    rebuilt = rebuilt.replace("unique (chat_id, story_id)", "unique (story_id, chat_id)", 1)
    if rebuilt.count("alerts_new") != 1 or "unique (story_id, chat_id)" not in rebuilt:
        raise RuntimeError(f"unexpected alerts table: {sql}")
    db.execute(rebuilt)
    db.execute("insert into alerts_new select * from alerts order by id")
    db.execute("drop table alerts")
    db.execute("alter table alerts_new rename to alerts")
    db.execute("alter table alerts add column news_at text")
    db.execute(
        "update alerts set news_at = (select min(coalesce(a.published_at, a.fetched_at), a.fetched_at) "
        "from articles a where a.id = alerts.article_id) where state = 'pending'"
    )
    db.execute("create index alerts_due on alerts(state, next_attempt_at)")
    db.execute("create index alerts_pending_news on alerts(news_at, id) where state = 'pending'")
    db.execute("create index alerts_held on alerts(chat_id) where held = 1")
