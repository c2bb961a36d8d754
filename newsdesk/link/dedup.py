"""Exact and near-duplicate articles: wire copy republished with small edits counts once.

A monitor's corpus is full of the same agency dispatch carried by many sites, each with
its own headline tweaks, a dropped paragraph or some leftover page chrome. Counting each
copy as an independent source would inflate corroboration, so every copy points
(`duplicate_of`) to the first seen: earliest published date, then earliest stored, then
earliest in the input. The order is a total order on `SortKey`, so the answer is
deterministic whatever order the articles arrive in.

How:
- Texts are normalised (NFKC, case-folded, words only) so punctuation, quotes and case
  changes in a republished copy do not hide it. Exact copies share the SHA-1 of the
  normalised words.
- Near copies: MinHash (datasketch, `NUM_PERM` permutations) over word 5-shingles.
  Candidates come from LSH banding, `_BANDS` bands of `_ROWS` rows: a pair with Jaccard
  0.8 becomes a candidate with probability > 0.999, one with Jaccard 0.3 with about 0.23,
  and unrelated news (Jaccard near 0) almost never. Every candidate is verified against
  `THRESHOLD`: with the exact Jaccard of the shingle sets when both texts are at hand,
  with the MinHash estimate (standard error about 0.035 at 0.8) when one side is only a
  stored signature, which is what lets a later run match articles it does not re-read.
- Banding is done in numpy (sort each band's keys, pair equal runs) rather than with
  datasketch's MinHashLSH, whose per-band Python dicts cost several kilobytes per article;
  here an article costs its signature (512 bytes) plus two sort keys per band, and the
  work is a sort per band, so the cost stays near-linear in the corpus.
- Verified pairs are joined with union-find: a chain of lightly edited copies is one
  group, and the group's first seen is the target of all the others.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 128
THRESHOLD = 0.8
SHINGLE = 5
_BANDS = 32
_ROWS = NUM_PERM // _BANDS
_SEED = 1
# A bucket this large is mostly one family of copies (or a degenerate text); pairing its
# members along a chain instead of all pairs keeps the cost linear and still joins them.
_MAX_BUCKET = 64
_UNDATED = "~"  # sorts after every ISO date, so undated articles are never preferred
_WORD = re.compile(r"\w+")

SortKey = tuple[str, int, int]
"""(published date or "~", 0 for stored / 1 for this run, insertion or input order)."""


@dataclass(slots=True, frozen=True)
class Signature:
    """What is kept of a text to recognise its copies later without reading it again."""

    digest: bytes  # SHA-1 of the normalised words; empty for a text without words
    hashvalues: np.ndarray  # MinHash values, NUM_PERM unsigned 32-bit integers

    def to_bytes(self) -> bytes:
        """Serialise as the digest (0 or 20 bytes) then the little-endian hash values."""
        return self.digest + self.hashvalues.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Signature:
        split = len(blob) - NUM_PERM * 4
        if split not in (0, 20):
            raise ValueError(f"not a newsdesk signature ({len(blob)} bytes)")
        values = np.frombuffer(blob[split:], dtype="<u4").astype(np.uint32)
        return cls(digest=blob[:split], hashvalues=values)

    @property
    def empty(self) -> bool:
        return not self.digest


def sort_key(published: str | None, order: int, *, stored: bool = False) -> SortKey:
    """Rank an article for "first seen": stored articles precede this run's at equal dates."""
    return (published or _UNDATED, 0 if stored else 1, order)


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _shingles(words: list[str]) -> set[str]:
    if len(words) < SHINGLE:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def signature(text: str) -> Signature:
    """Digest and MinHash of a text, the unit persisted by the store."""
    words = _words(text)
    if not words:
        return Signature(b"", np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32))
    digest = hashlib.sha1(" ".join(words).encode()).digest()
    mh = _minhash()
    mh.update_batch([s.encode() for s in _shingles(words)])
    return Signature(digest, mh.hashvalues.astype(np.uint32))


def _minhash() -> MinHash:
    """An empty MinHash over the shared permutations, drawn once per process.

    datasketch is imported here, not with this module: its package imports its LSH classes
    and with them scipy.integrate, half a second of CPU that every command importing the
    store (`serve`, `articles`, the watcher) paid at start even when it signed nothing.
    """
    from datasketch import MinHash

    permutations, scheme = _permutations()
    return MinHash(num_perm=NUM_PERM, seed=_SEED, permutations=permutations, scheme=scheme)


@cache
def _permutations() -> tuple[tuple[np.ndarray, np.ndarray], str]:
    from datasketch import MinHash

    drawn = MinHash(num_perm=NUM_PERM, seed=_SEED)
    return drawn.permutations, drawn.scheme


def jaccard(a: str, b: str) -> float:
    """Exact Jaccard similarity of two texts' word 5-shingle sets."""
    sa, sb = _shingles(_words(a)), _shingles(_words(b))
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def band_keys(sig: Signature) -> list[tuple[int, bytes]]:
    """The signature's LSH bands as (band, key): two texts sharing one are candidates.

    The same banding as `find_duplicates`, kept by the store so that a later run looks up
    the stored articles a new one can match instead of banding every stored signature.
    """
    if sig.empty:
        return []
    values = sig.hashvalues.astype("<u4")
    return [(band, values[band * _ROWS : (band + 1) * _ROWS].tobytes()) for band in range(_BANDS)]


def _candidate_pairs(matrix: np.ndarray) -> set[tuple[int, int]]:
    """Pairs of rows (of at least two) that agree on every value of at least one band."""
    pairs: set[tuple[int, int]] = set()
    wide = matrix.astype(np.uint64)
    for band in range(_BANDS):
        cols = wide[:, band * _ROWS : (band + 1) * _ROWS]
        # Pack the band's 32-bit values two by two into 64-bit keys: equal keys mean an
        # equal band, with no hashing and so no false collisions.
        keys = [(cols[:, k] << np.uint64(32)) | cols[:, k + 1] for k in range(0, _ROWS, 2)]
        order = np.lexsort(keys[::-1])
        same = np.logical_and.reduce([key[order][1:] == key[order][:-1] for key in keys])
        # Runs of equal neighbours in sorted order are the band's buckets.
        edges = np.diff(np.concatenate(([False], same, [False])).astype(np.int8))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            members = sorted(order[start : end + 1].tolist())
            if len(members) > _MAX_BUCKET:
                pairs.update(itertools.pairwise(members))
            else:
                pairs.update((a, b) for n, a in enumerate(members) for b in members[n + 1 :])
    return pairs


def find_duplicates(
    new: Sequence[tuple[str, str, SortKey]],
    prior: Iterable[tuple[str, Signature, SortKey]] = (),
    *,
    threshold: float = THRESHOLD,
    known: Mapping[str, Signature] | None = None,
) -> dict[str, str]:
    """Map every duplicate article id to the id of the first seen copy of its text.

    `new` holds this run's articles with their text; `prior` the stored articles by
    signature only. Duplicates among the stored articles are recomputed too, so a new
    article dated earlier than its stored copies becomes their target and the answer does
    not depend on how the corpus was split into runs. Articles absent from the result are
    no one's duplicate. `known` holds signatures already computed for some of `new` (the
    store keeps one per article): hashing every shingle again is what a re-run would
    spend its time on, and the texts are still compared exactly.
    """
    prior = list(prior)
    if len(new) + len(prior) < 2:  # nothing to compare: spares signing (datasketch's import)
        return {}
    ids: list[str] = []
    keys: list[SortKey] = []
    sigs: list[Signature] = []
    texts: list[str | None] = []
    for article_id, text, key in new:
        ids.append(article_id)
        keys.append(key)
        sigs.append(known[article_id] if known and article_id in known else signature(text))
        texts.append(text)
    for article_id, sig, key in prior:
        ids.append(article_id)
        keys.append(key)
        sigs.append(sig)
        texts.append(None)
    uf = _UnionFind(len(ids))

    first_by_digest: dict[bytes, int] = {}
    representatives: list[int] = []
    for i, sig in enumerate(sigs):
        if sig.empty:
            continue
        j = first_by_digest.setdefault(sig.digest, i)
        if j == i:
            representatives.append(i)
        else:
            uf.union(i, j)

    if len(representatives) > 1:
        matrix = np.stack([sigs[i].hashvalues for i in representatives])
        shingles = lru_cache(maxsize=256)(lambda i: _shingles(_words(texts[i] or "")))
        for a, b in sorted(_candidate_pairs(matrix)):
            i, j = representatives[a], representatives[b]
            if uf.find(i) == uf.find(j):
                continue
            if texts[i] is not None and texts[j] is not None:
                si, sj = shingles(i), shingles(j)
                similarity = len(si & sj) / len(si | sj)
            else:
                similarity = float(np.mean(sigs[i].hashvalues == sigs[j].hashvalues))
            if similarity >= threshold:
                uf.union(i, j)

    groups: dict[int, list[int]] = {}
    for i in range(len(ids)):
        groups.setdefault(uf.find(i), []).append(i)
    result: dict[str, str] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        first = min(members, key=lambda i: (keys[i], ids[i]))
        for i in members:
            if i != first and ids[i] != ids[first]:
                result[ids[i]] = ids[first]
    return result
