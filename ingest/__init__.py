"""Sources to articles: fetch, parse, extract text, dedup."""
