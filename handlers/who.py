"""PLACEHOLDER (being replaced by the people work for issue 4)."""

from sqlite_utils import Database

from diplobot.handlers.reply import Reply


def who(db: Database, name: str, *, tz: str) -> Reply:
    return Reply.text(f"I found nobody called {name}.")
