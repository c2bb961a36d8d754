"""newsdesk: news reports about armed conflict in, a sourced record of incidents and claims out.

The public API is small: run the whole pipeline with `run`, or the per-article stage with
`analyze_article` over `load_resources()`; the records are the dataclasses re-exported here.
"""

import logging

from newsdesk.models import (
    ActorMention,
    Article,
    ArticleRecords,
    Claim,
    ClaimGroup,
    DateRef,
    Incident,
    InputError,
    PlaceMention,
    Quote,
    Story,
)

__version__ = "0.1.0"
__all__ = [
    "ActorMention",
    "Article",
    "ArticleRecords",
    "Claim",
    "ClaimGroup",
    "DateRef",
    "Incident",
    "InputError",
    "PlaceMention",
    "Quote",
    "Story",
    "__version__",
    "analyze_article",
    "load_resources",
    "run",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> object:
    # The pipeline pulls in spaCy; import it only when asked for, so `import newsdesk`
    # stays cheap for tools that only read records.
    if name == "run":
        from newsdesk.pipeline import run

        return run
    if name in ("analyze_article", "load_resources"):
        from newsdesk.analyse import article as analyze

        return getattr(analyze, name)
    raise AttributeError(name)
