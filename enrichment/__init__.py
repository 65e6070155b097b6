"""The enrichment stage's policy: which story an article joins and who it names, decided with analysis/ on rows read
and written through store/."""
