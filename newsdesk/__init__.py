"""newsdesk: news reports about armed conflict in, a sourced record of incidents and claims out.

The public API is small: run the whole pipeline with `run`, or the per-article stage with
`analyze_article` over `load_resources()`; the records are the dataclasses re-exported here.
"""

import logging

from newsdesk import models
from newsdesk.models import *  # noqa: F403 (the records are the public API: models.__all__)

__version__ = "0.1.0"
__all__ = [*models.__all__, "__version__", "analyze_article", "load_resources", "run"]  # noqa: F405

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
