"""A fitted model seen from outside: its task, its column spec, its score, and the
input it takes (shared by :mod:`skmm.evaluation` and :mod:`skmm.calibration`).

Looks through Pipelines and fitted searches (``best_estimator_``) to the final
estimator. Imports numpy and scikit-learn only.
"""

import warnings

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, is_classifier, is_regressor
from sklearn.metrics import check_scoring
from sklearn.utils import _safe_indexing

from skmm._data import (
    SINGLE_MODALITY,
    MultimodalData,
    _is_dataframe,
    check_multimodal,
    mark_missing,
    restore_like,
)
from skmm._tables import _make_table
from skmm._warnings import user_stacklevel
from skmm.augmentation import _check_patterns, presence_patterns


def _model_spec(estimator):
    """The column spec a model applies to flat input, or ``None``.

    The ``modalities`` dict of the first step that has one: a
    :class:`~skmm.SplitModalities` step, a corruption step or the final
    estimator of a Pipeline (searched recursively; a fitted search such as
    ``GridSearchCV`` is looked into through ``best_estimator_``). The steps
    before it are assumed to keep the input's columns (a scaler does).
    """
    estimator = getattr(estimator, "best_estimator_", estimator)
    steps = [step for _, step in estimator.steps] if hasattr(estimator, "steps") else [estimator]
    for step in steps:
        if step is None or isinstance(step, str):  # "passthrough"
            continue
        if hasattr(step, "steps"):
            spec = _model_spec(step)
        else:
            spec = getattr(step, "modalities", None)
        if isinstance(spec, dict):
            return spec
    return None


def _final_estimator(estimator):
    estimator = getattr(estimator, "best_estimator_", estimator)
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    return estimator


def _task(estimator):
    """``"classifier"``, ``"regressor"`` or ``None`` (neither, or unknown).

    Looks through Pipelines and fitted searches to the final estimator.
    """
    for est in (estimator, _final_estimator(estimator)):
        try:
            if is_regressor(est):
                return "regressor"
            if is_classifier(est):
                return "classifier"
        except (AttributeError, TypeError):  # no scikit-learn tags: a duck-typed model
            kind = getattr(est, "_estimator_type", None)
            if kind in ("classifier", "regressor"):
                return kind
    return None


def _scoring_name(estimator, scoring):
    """What the ``score`` column measures: ``"accuracy"``, ``"r2"``, a scoring string.

    ``None`` when unknown (a callable) or when there is no single ``score``
    column (several metrics).
    """
    if scoring is None:  # the estimator's score: named when it is scikit-learn's
        method = getattr(type(_final_estimator(estimator)), "score", None)
        return {ClassifierMixin.score: "accuracy", RegressorMixin.score: "r2"}.get(method)
    return scoring if isinstance(scoring, str) else None


class _Input:
    """``X`` as modalities, for a model that may take a flat array plus a column spec.

    The spec is ``modalities`` when given, else the one the model applies
    (:func:`_model_spec`). Patterns and corruption act on the modalities and
    are written back into a copy of the flat ``X`` (a DataFrame stays one), so
    the model gets the form it was fitted on.
    """

    def __init__(self, X, estimator, modalities=None):
        if isinstance(X, dict):
            if modalities is not None:
                raise ValueError(
                    "modalities= is the column spec of flat data; X is already a dict of "
                    f"modalities {list(X)}."
                )
            spec = None
        else:
            spec = modalities if modalities is not None else _model_spec(estimator)
        self.X, self.spec = X, spec
        data = check_multimodal(X, modalities=spec, dtype=None, fill=np.nan)
        self.names, self.mask = list(data.names), data.mask
        self.mm = MultimodalData(dict(zip(data.names, data.arrays)))
        used = getattr(_final_estimator(estimator), "modalities_", None)
        if used is not None and set(used) != set(self.names):
            raise ValueError(
                f"The model uses modalities {list(used)}, but X reads as modalities "
                f"{self.names}. Pass modalities={{name: columns, ...}}, the column spec that "
                "splits X into the model's modalities."
            )

    def keep(self, rows, kept):
        """Samples ``rows`` with only the modalities where ``kept`` is True (the others
        missing), as modalities: copies, made by the data layer's NaN rule."""
        arrays = [a[rows] for a in self.mm.values()]  # fancy indexing copies
        present = np.broadcast_to(kept, (len(rows), len(kept)))
        return MultimodalData(dict(zip(self.names, mark_missing(arrays, present))))

    def back(self, mm, rows):
        """The model's input for samples ``rows`` from transformed modalities ``mm``."""
        if isinstance(self.X, dict):  # DataFrame modalities become DataFrames again
            return restore_like(self.X, list(mm), list(mm.values()), rows=rows)
        sub = _safe_indexing(self.X, rows)
        spec = self.spec
        if spec is None and _is_dataframe(sub):
            spec = {SINGLE_MODALITY: slice(None)}
        return restore_like(sub, list(mm), list(mm.values()), spec)


def _scorer(estimator, scoring):
    scorer = check_scoring(estimator, scoring)

    def score(X, y):
        result = scorer(estimator, X, y)
        if isinstance(result, dict):  # several metrics
            return {f"score_{k}": float(v) for k, v in result.items()}
        return {"score": float(result)}

    return score


def _score_patterns(estimator, X, y, patterns, scoring, modalities, caller):
    """The table of :func:`skmm.evaluation.missing_pattern_scores`: ``estimator`` scored
    on the samples of ``X`` that keep a present modality under each pattern, the
    other modalities set missing. The input is validated once; each pattern's
    copy is made by the data layer's NaN rule, not validated again."""
    inp = _Input(X, estimator, modalities)
    if len(inp.names) == 1:
        warnings.warn(
            f"{caller}: X reads as the single modality {inp.names[0]!r}, so there "
            "is one pattern to score. For flat data, pass modalities={name: columns, ...}.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    if isinstance(patterns, str) and patterns == "all":
        chosen = presence_patterns(inp.names)
    else:
        keep = _check_patterns(patterns, inp.names, caller)
        chosen = [tuple(n for n, k in zip(inp.names, row) if k) for row in keep]
    score = _scorer(estimator, scoring)
    results = []
    for pattern in chosen:
        kept = np.array([n in pattern for n in inp.names])
        rows = np.flatnonzero((inp.mask & kept).any(1))
        result = {"pattern": pattern, "n_present": len(pattern), "n_samples": rows.size}
        if rows.size:  # else no sample keeps a present modality: NaN score
            result.update(score(inp.back(inp.keep(rows, kept), rows), _safe_indexing(y, rows)))
        results.append(result)
    keys = list(dict.fromkeys(k for r in results for k in r))
    table = {k: [r.get(k, np.nan) for r in results] for k in keys}
    return _make_table(table, _scoring_name(estimator, scoring))
