"""Start-up's objects kept out of the cyclic garbage collector's way.

Importing spaCy and newsdesk and loading the model, gazetteer and actors make about
170,000 tracked objects that live as long as the process. CPython's collector does not
know that: while they are made it runs a full collection every so often, walking all of
them again (0.13-0.15 CPU s of a one-report `analyze`), and at exit its last collection
walks them once more only to free memory the OS takes back anyway (0.2 CPU s). Made
inside `long_lived()`, they are not collected while being made and are frozen after
(`gc.freeze`): later collections, in a long run too, and the one at exit skip them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived() -> Iterator[None]:
    """Make objects that live as long as the process: no automatic collection meanwhile,
    and what exists at the end is frozen.

    The threshold, not `gc.disable()`, turns collection off: srsly's msgpack reader,
    which spaCy's model load calls 127 times, re-enables a disabled collector. Cycles
    that became garbage meanwhile are frozen with the rest and never freed: about 5,700
    objects of the 170,000 (a collection right after start-up finds that many), the
    trade CPython's documentation of `gc.freeze` makes for start-up objects.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(0)
    try:
        yield
    finally:
        gc.freeze()
        gc.set_threshold(*thresholds)
