"""Schema migrations, applied in order at start-up (sqlite-utils `Migrations`).

Never edit a migration that has shipped: add a new one at the end.
"""

from __future__ import annotations

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
    db["articles"].enable_fts(
        ["title", "summary", "body"],
        create_triggers=True,
        tokenize="porter unicode61 remove_diacritics 2",
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
def m003_stories(db: Database) -> None:
    # Document frequencies of the story-grouping terms (analysis/stories.py), which are not the FTS5 index's porter
    # stems; story_documents records which articles were counted, so counting stays idempotent.
    db.executescript(
        """
        create table story_terms (term text primary key, documents integer not null) without rowid;
        create table story_documents (article_id integer primary key);
        """
    )
