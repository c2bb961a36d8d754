"""Reports of one air strike as outlets republish them (tests/link, tests/publish): the
original, verbatim copies found by dedup (`duplicate_of`, not wire copy), wire copy, and an
independent report of the same figure."""

from __future__ import annotations

from newsdesk.models import Article, ArticleRecords, Claim

TEXT = ("QAMISHLI, Syria - At least 14 civilians were killed on Tuesday when air strikes hit "
        "a bakery in the al-Badu district of Raqqa, residents said. Rescue workers pulled "
        "bodies from the rubble until nightfall.")
OTHER = ("Local activists said that at least 14 civilians died in the strikes on the bakery "
         "in al-Badu, on the western edge of Raqqa's old city, on Tuesday.")


def report(aid: str, outlet: str, text: str = TEXT, *, duplicate_of: str | None = None,
           wire: str | None = None, republished: bool = False) -> ArticleRecords:
    """One report with its "at least 14 civilians killed" claim, asserted by the outlet."""
    art = Article(id=aid, source=f"{aid}.html", text=text, outlet=outlet, wire=wire,
                  republished=republished, published="2017-06-21", duplicate_of=duplicate_of)
    start = text.index("14")
    end = text.index(".", start) + 1
    claim = Claim(id=f"{aid}-c1", article_id=aid, sentence=text[:end], value=14, low=None,
                  high=None, counted="civilians killed", subject="air strikes", scope=None,
                  claimant=None, claimant_text=None, start=start, end=start + 2,
                  sentence_start=0, sentence_end=end, number_text="14", qualifier="at least",
                  category="casualties")
    return ArticleRecords(article=art, claims=[claim])
