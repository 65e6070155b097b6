"""An alert as a platform-neutral card: what matched, where, and how to silence it."""

from __future__ import annotations

from typing import Any

from diplobot.analysis.matcher import snippet
from diplobot.analysis.text import normalize_words
from diplobot.handlers.format import language_tag, local_date, source_label
from diplobot.handlers.reply import Button, Link, Paragraph, Reply, Text

FIELD_NAMES = {"title": "the title", "summary": "the summary", "body": "the text"}


def alert_reply(article: dict[str, Any], topics: list[dict[str, Any]], tz: str, also_reported: int = 0) -> Reply:
    """The card for one article matching one or more of a chat's topics.

    `topics` items carry the subscription id, its described query and the first hit (phrase, field,
    start, end) recorded at match time.
    """
    title = article["title"] or "(untitled)"
    head = Link(title, article["url"]) if article.get("url") else Text(title, "bold")
    meta = [source_label(article), local_date(article.get("published_at"), tz, with_time=True), language_tag(article)]
    blocks = [Paragraph((head,), kind="heading"), Paragraph((Text(" · ".join(m for m in meta if m)),), kind="context")]
    first = topics[0]
    text = article.get(first["field"]) or ""
    if first["field"] != "title" and text:
        before, hit, after = snippet(text, first["start"], first["end"])
        blocks.append(Paragraph((Text(before), Text(hit, "mark"), Text(after))))
    elif article.get("summary"):
        blocks.append(Paragraph((Text(_shorten(article["summary"], 220)),)))
    why = "; ".join(
        f"{t['describe']} ({_found(article, t)!r} in {FIELD_NAMES.get(t['field'], t['field'])})" for t in topics
    )
    blocks.append(Paragraph((Text(f"Matched: {why}"),), kind="context"))
    if also_reported:
        outlets = f"{also_reported} more outlet{'s' if also_reported != 1 else ''}"
        blocks.append(Paragraph((Text(f"Also reported by {outlets}."),), kind="context"))
    buttons = (
        (
            Button("Mute this topic 24h", f"/mute 24h #{first['id']}"),
            Button("Unsubscribe", f"/unsubscribe #{first['id']}"),
        ),
    )
    return Reply(blocks=tuple(blocks), buttons=buttons, visibility="public", preview=True)


def folded_reply(items: list[tuple[dict[str, Any], list[dict[str, Any]]]], tz: str) -> Reply:
    """Several held alerts (after quiet hours) as one message: a line per article."""
    blocks = [Paragraph((Text(f"{len(items)} new matches while you were away"),), kind="heading")]
    for article, topics in items:
        title = article["title"] or "(untitled)"
        head = Link(title, article["url"]) if article.get("url") else Text(title)
        when = local_date(article.get("published_at"), tz)
        blocks.append(Paragraph((head, Text(f" — {source_label(article)} {when}".rstrip()))))
        blocks.append(Paragraph((Text("Matched: " + "; ".join(t["describe"] for t in topics)),), kind="context"))
    return Reply(blocks=tuple(blocks), visibility="public")


def _found(article: dict[str, Any], topic: dict[str, Any]) -> str:
    """What the article says where the topic matched, when that is another phrase than the one followed (an
    equivalent in another language, a grammatical form: 'гарантій безпеки' for security guarantees); else the
    phrase as followed."""
    text = article.get(topic["field"]) or ""
    start, end = topic.get("start"), topic.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
        return str(topic["phrase"])
    found = " ".join(text[start:end].split())
    return found if normalize_words(found) != normalize_words(topic["phrase"]) else str(topic["phrase"])


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
