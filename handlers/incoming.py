"""What a platform hands to the dispatcher: one typed command from one user in one chat."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ChatKind = Literal["private", "group", "channel"]

# Characters that show nothing but can hide or disguise text: Unicode tag characters (U+E0000-U+E007F),
# the Arabic letter mark, word joiner and invisible operators (U+2060-U+2064), zero-width space, bidi
# marks and controls, soft hyphen, BOM. Removed outright. The zero-width (non-)joiners U+200C/U+200D stay:
# Persian and Indic words and emoji sequences need them.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\U000e0000-\U000e007f]"
)
# Characters that render as an empty space (Hangul fillers U+3164, U+115F, U+1160, U+FFA0 and the
# blank Braille pattern U+2800): used to make "empty" names and messages. They become a plain space.
_BLANK = re.compile("[\u115f\u1160\u2800\u3164\uffa0]")


def strip_invisible(text: str) -> str:
    """`text` without invisible characters, and with blank-looking ones as plain spaces.

    Used on what users type (every `Incoming`) and on everything rendered into a chat, so a title or
    command cannot carry hidden text. Variation selectors (emoji presentation) are kept.
    """
    return _BLANK.sub(" ", _INVISIBLE.sub("", text))


@dataclass(frozen=True)
class Incoming:
    """A command as the user typed it (`/subscribe coalition of the willing`).

    `chat_id` and `user_id` carry the platform prefix (`telegram:-1001`, `slack:U123`). The platform
    strips its own decorations first (Telegram `@botname`, Slack's `/diplo` prefix).
    """

    chat_id: str
    user_id: str
    text: str
    chat_kind: ChatKind = "private"
    chat_title: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", strip_invisible(self.text))

    @property
    def platform(self) -> str:
        return self.chat_id.split(":", 1)[0]
