"""One module per job board (its page parser), plus the demo board and the archive replay.

The sources are listed, with their parser, pagination and politeness, in
:mod:`jobinsight.scrape.registry`; the archive finds a page's parser there by the name its
sidecar records. Every parser has the signature
``(html, page_url, *, fetched_at=None, source=...) -> list[RawJob]``.
"""
