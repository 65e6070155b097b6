"""diplobot: a self-hosted alert bot for diplomacy news."""

__version__ = "0.1.0"
