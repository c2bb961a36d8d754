"""Long reports: spaCy refuses a text over its `max_length` (E088); newsdesk parses it in
pieces and keeps every offset pointing into the article (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.analyse import nlp as nlp_module
from newsdesk.analyse.article import analyze_article, load_resources
from newsdesk.ingest.readers import read_inputs
from newsdesk.models import Article

pytestmark = pytest.mark.slow


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch, nlp):
    """spaCy's limit and the piece size scaled down 50 times, so a 30 kB report stands for
    a 1.5 MB one without a minute of parsing."""
    monkeypatch.setattr(nlp, "max_length", 20_000)
    monkeypatch.setattr(nlp_module, "PIECE_CHARS", 2_000)
    return nlp


def _long_report(example_dir: Path, tmp_path: Path) -> Article:
    parts = [p.read_text("utf-8").partition("\n\n")[2] for p in sorted(example_dir.glob("*.txt"))]
    body = "\n\n".join(parts)
    path = tmp_path / "long.txt"
    path.write_text("Raqqa: the long report\n\n" + "\n\n".join([body] * (30_000 // len(body) + 1)),
                    encoding="utf-8")
    [article] = read_inputs([str(path)])
    assert isinstance(article, Article)
    return article


def test_long_report_is_analysed_in_pieces_with_offsets_kept(small_limits, example_dir, tmp_path):
    article = _long_report(example_dir, tmp_path)
    assert len(article.text) > small_limits.max_length
    with pytest.raises(ValueError, match="E088"):  # the failure: spaCy alone refuses it
        small_limits(article.text)
    rec = analyze_article(article, load_resources())
    assert rec.places and rec.actors and rec.claims
    for mention in [*rec.places, *rec.actors]:
        assert article.text[mention.start:mention.end] == mention.text
    last = max(p.start for p in rec.places)
    assert last > len(article.text) - nlp_module.PIECE_CHARS  # the last piece was analysed


def test_pieces_join_into_the_text_and_cut_between_paragraphs(small_limits, example_dir, tmp_path):
    text = _long_report(example_dir, tmp_path).text
    pieces = nlp_module._pieces(text)
    assert "".join(pieces) == text
    assert all(len(p) <= nlp_module.PIECE_CHARS for p in pieces)
    assert all(p.endswith("\n\n") for p in pieces[:-1])
    doc = nlp_module.parse(small_limits, text)
    assert doc.text == text and len(list(doc.sents)) > 10


def test_model_runs_on_one_blas_thread(nlp):
    """OpenBLAS's own threads spin on the model's small matrices: on a busy machine they
    doubled a parse's CPU time (issue 15); the model loads with BLAS on one thread."""
    import numpy
    from threadpoolctl import threadpool_info

    # NumPy's own BLAS, which the model's ops call: SciPy's, loaded later by other tests
    # (the typer's fit), is another library with its own threads
    # (resolved: threadpoolctl reports the real path, which differs where .venv is a link)
    own = (Path(numpy.__file__).parent.parent / "numpy.libs").resolve()
    blas = [lib for lib in threadpool_info()
            if lib["user_api"] == "blas" and Path(lib["filepath"]).resolve().parent == own]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)


# Issue 15: the model's attribute_ruler is replaced by `nlp._PosRules`, built from its rules.
_TRICKY = [
    "There is no water and there were no doctors, he said.",  # expl + is: a later rule wins
    "They have no food. They did it. I don't know whether it has ended.",  # have/do as verbs
    "The   strike \n\n hit  Tabqa;  ca n't  wo n't  gon na.",  # spaces get _SP, SPACE, dep
    "Which of them was hit? That is what we saw, and this one too.",  # DT/WDT not det: PRON
    "",  # no token: the arrays are empty
    "Said",  # one token: no two-token rule fits
]


def test_pos_rules_give_the_models_own_tags_parse_and_pos(example_dir):
    import numpy
    import spacy
    from spacy.attrs import DEP, HEAD, POS, SENT_START, TAG

    nlp = nlp_module.load_nlp.__wrapped__()  # fresh: no string added by other tests
    assert "attribute_ruler" not in nlp.pipe_names
    assert "senter" not in nlp.component_names  # excluded: its weights are not read
    model = spacy.load(nlp_module.MODEL_PACKAGE, exclude=["lemmatizer"])
    assert "attribute_ruler" in model.pipe_names
    assert model.disabled == ["senter"]  # as the model ships it: the parser's sentences
    # the model's tokenizer loaded into an empty one is the model's own, every setting
    assert nlp.tokenizer.to_bytes(exclude=["vocab"]) == model.tokenizer.to_bytes(exclude=["vocab"])
    assert nlp.config["nlp"]["tokenizer"] != model.config["nlp"]["tokenizer"]
    # the vocab's string table is not read (UNREAD), yet every label is there to be given back
    assert len(nlp.vocab.strings) < 5_000 < 80_000 < len(model.vocab.strings)
    labels = {label for _, pipe in model.pipeline for label in getattr(pipe, "labels", ())}
    assert len(labels) > 100 and all(label in nlp.vocab.strings for label in labels)
    texts = [*_TRICKY, *(p.read_text("utf-8") for p in sorted(example_dir.glob("*.txt")))]
    ours, theirs = list(nlp.pipe(texts)), list(model.pipe(texts))
    for a, b in zip(ours, theirs, strict=True):
        assert [_strings(t) for t in a] == [_strings(t) for t in b]
        assert [(e.start, e.end, e.label_) for e in a.ents] == [
            (e.start, e.end, e.label_) for e in b.ents]
        attrs = [TAG, POS, DEP, HEAD, SENT_START]
        assert numpy.array_equal(a.to_array(attrs), b.to_array(attrs))
    assert {"AUX", "VERB", "SPACE", "PRON", "PART"} <= {t.pos_ for d in ours[:4] for t in d}
    assert [len(d) for d in ours[4:6]] == [0, 1]


def _strings(t):
    """A token's attributes that are strings (and the lexical flags the stages test)."""
    return (t.text, t.whitespace_, t.lower_, t.norm_, t.shape_, t.prefix_, t.suffix_, t.tag_,
            t.pos_, t.dep_, t.ent_type_, t.ent_iob_, t.is_stop, t.like_num, t.is_punct)


def test_pos_rules_keep_the_order_of_interleaved_rules(nlp):
    """Rules of each kind before and after one another: a later rule wins, as in spaCy's."""
    from spacy.pipeline import AttributeRuler
    from spacy.tokens import Doc

    ruler = AttributeRuler(nlp.vocab)
    ruler.add_patterns([
        {"patterns": [[{"TAG": "NN"}]], "attrs": {"POS": "NOUN"}},
        {"patterns": [[{"TAG": "NN", "DEP": "nsubj"}]], "attrs": {"POS": "PROPN"}},
        {"patterns": [[{"TAG": "NN", "LOWER": "strike"}]], "attrs": {"POS": "VERB"}},
        {"patterns": [[{"TAG": "VBD", "LOWER": "hit"}]], "attrs": {"POS": "ADJ"}},
        {"patterns": [[{"TAG": {"IN": ["VBD", "DT"]}}]], "attrs": {"POS": "DET"}},
        {"patterns": [[{"LOWER": "the"}, {"TAG": "NN"}]], "attrs": {"POS": "X", "DEP": "dep"},
         "index": 1},
        {"patterns": [[{"TAG": "NN", "LOWER": {"IN": ["town", "city"]}}]],
         "attrs": {"POS": "NUM", "MORPH": "Number=Sing"}},
    ])
    words = ["The", "strike", "hit", "the", "town", "and", "the", "strike", "mission"]
    tags = ["DT", "NN", "VBD", "DT", "NN", "CC", "DT", "NN", "NN"]
    deps = ["det", "nsubj", "ROOT", "det", "dobj", "cc", "det", "conj", "dobj"]
    heads = [1, 2, 2, 4, 2, 2, 7, 2, 2]
    ours, theirs = (Doc(nlp.vocab, words=words, tags=tags, deps=deps, heads=heads)
                    for _ in range(2))
    nlp_module._PosRules(ruler)(ours)
    ruler(theirs)
    assert [(t.pos_, t.dep_) for t in ours] == [(t.pos_, t.dep_) for t in theirs]
    assert [t.pos_ for t in theirs] == ["DET", "X", "DET", "DET", "NUM", "", "DET", "X", "NOUN"]


def test_pos_rules_refuse_a_rule_they_cannot_test(nlp):
    """`_PosRules` tests the parse-reading rules on a few of the doc's arrays; a model whose
    ruler reads another attribute fails at load, not with wrong POS."""
    from spacy.pipeline import AttributeRuler

    ruler = AttributeRuler(nlp.vocab)
    ruler.add_patterns([{"patterns": [[{"ENT_TYPE": "GPE", "DEP": "nsubj"}]],
                         "attrs": {"POS": "PROPN"}}])
    with pytest.raises(nlp_module.ModelError, match="ENT_TYPE"):
        nlp_module._PosRules(ruler)


def test_a_batch_parses_as_one_article_at_a_time(small_limits, example_dir, tmp_path):
    """The executors' `parse_batch` (texts and headlines through `nlp.pipe`, a long text
    in pieces) gives the Docs that `analyze_article` makes alone, and the same records;
    a headline without a word a casualty count starts from is not parsed at all."""
    import numpy
    from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, POS, SENT_START, TAG

    from newsdesk.analyse import casualties
    from newsdesk.analyse.article import parse_batch

    articles = [a for a in read_inputs([str(example_dir)]) if isinstance(a, Article)]
    articles.insert(2, _long_report(example_dir, tmp_path))
    counted = tmp_path / "counted.txt"
    body = sorted(example_dir.glob("*.txt"))[0].read_text("utf-8").partition("\n\n")[2]
    counted.write_text("Two Civilians Killed in Raqqa Air Strike\n\n" + body, encoding="utf-8")
    articles += [a for a in read_inputs([str(counted)]) if isinstance(a, Article)]
    assert sum(bool(a.title) for a in articles) == 5  # one Raqqa report and the long one: none
    attrs = [TAG, POS, DEP, HEAD, ENT_IOB, ENT_TYPE, SENT_START]
    parsed = parse_batch(articles, small_limits)
    res = load_resources()
    kinds = set()
    for article, one in zip(articles, parsed, strict=True):
        alone = nlp_module.parse(small_limits, article.text)
        assert one.text.text == article.text
        assert numpy.array_equal(one.text.to_array(attrs), alone.to_array(attrs))
        assert analyze_article(article, res, one) == analyze_article(article, res)
        if not article.title:
            assert one.title is None
            continue
        title = casualties.headline(small_limits, article.title)
        kinds.add(casualties.may_count(title))
        if not casualties.may_count(title):
            assert one.title is None
            continue
        assert one.title is not None and one.title.text == title.text
        assert numpy.array_equal(one.title.to_array(attrs), title.to_array(attrs))
    assert kinds == {True, False}


def test_the_parser_and_ner_step_through_a_whole_batch_at_once(nlp, example_dir, monkeypatch):
    """spaCy's parser and NER cut a batch into sub-batches of a quarter of their
    `batch_size`; `parse_many` has them take the whole batch in one step loop (issue 15)."""
    texts = [p.read_text("utf-8") for p in sorted(example_dir.glob("*.txt"))]
    seen: dict[str, list[int]] = {"parser": [], "ner": []}
    for name, sizes in seen.items():
        model = nlp.get_pipe(name).model  # what the component runs on each sub-batch

        def forward(model, docs, is_train, _real=model._func, _sizes=sizes):  # type: ignore[no-untyped-def]
            _sizes.append(len(docs))
            return _real(model, docs, is_train)

        monkeypatch.setattr(model, "_func", forward)
    nlp_module.parse_many(nlp, texts)
    assert seen == {"parser": [len(texts)], "ner": [len(texts)]}
