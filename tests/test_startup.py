"""Start-up's objects kept out of the collector's way (`newsdesk.startup.long_lived`)."""

from __future__ import annotations

import gc

from newsdesk.startup import long_lived


def test_long_lived_collects_nothing_inside_and_freezes_what_it_made() -> None:
    collections: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    thresholds = gc.get_threshold()
    frozen = gc.get_freeze_count()
    gc.callbacks.append(seen)
    try:
        with long_lived():
            gc.enable()  # as srsly's msgpack reader does inside spaCy's load
            made = [[n] for n in range(50_000)]  # many times the first threshold (700)
    finally:
        gc.callbacks.remove(seen)
    assert collections == []
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() >= frozen + len(made)


def test_long_lived_restores_collection_when_the_body_raises() -> None:
    thresholds = gc.get_threshold()
    try:
        with long_lived():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.get_threshold() == thresholds
