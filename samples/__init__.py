"""Bundled sample sources so the bot works with no configuration and no network."""
