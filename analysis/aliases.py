"""The aliases file in force (config `[people] aliases`, format in analysis.names.parse_aliases).

One `AliasesFile` is built where the config is read (bot.py for the CLI, runtime.py for the bot) and passed to
whatever resolves names: people indexing during enrichment and `/who`. A sandbox worker gets only the file's path
and builds its own. No module keeps aliases of its own, so two runtimes in one process (tests) never share them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from diplobot.analysis.names import AliasError, Aliases, parse_aliases

log = logging.getLogger(__name__)


class AliasesFile:
    """The aliases named at start-up, re-read whenever the file changes.

    A file that cannot be read or is invalid at start-up raises `AliasError`, so a bad config fails at once; a bad
    edit later is logged and the last good version stays in force.
    """

    def __init__(self, path: str | Path | None = None, *, aliases: Aliases | None = None) -> None:
        """`path` names the file (None: no file); `aliases` gives them directly instead (tests).

        :raises AliasError: when the file cannot be read or is not valid.
        """
        self.path = Path(path) if path else None
        self._aliases = aliases
        self._mtime: float | None = None
        if self.path is not None:
            self._load(self.path)

    def current(self) -> Aliases | None:
        """The aliases in force; a file that changed is re-read (kept as it was if the new version is invalid)."""
        path = self.path
        if path is not None:
            try:
                mtime: float | None = path.stat().st_mtime
            except OSError:
                mtime = None
            if mtime != self._mtime:
                try:
                    self._load(path)
                except AliasError as exc:
                    self._mtime = mtime
                    log.warning("aliases file not reloaded: %s", exc)
        return self._aliases

    def _load(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
            mtime = path.stat().st_mtime
        except (OSError, UnicodeDecodeError) as exc:
            raise AliasError(f"{path}: cannot read aliases file: {exc.__class__.__name__}") from None
        self._aliases = parse_aliases(text, str(path))
        self._mtime = mtime
