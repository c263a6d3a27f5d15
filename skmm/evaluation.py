"""Robustness evaluation of fitted estimators: missing patterns and corruption.

* :func:`missing_pattern_scores` scores a fitted estimator under every (or
  each given) test-time missing pattern, the RAML paper's Table I;
  :func:`summarize_by_size` averages those scores by the number of present
  modalities and over all patterns.
* :func:`corruption_scores` scores it under increasing corruption (noise std,
  masking rate, missing rate), the paper's Tables II and III.
* :func:`calibration_scores` gives the expected calibration error
  (:func:`expected_calibration_error`) under every missing pattern, and
  :func:`removal_violations` how often confidence *rises* when a modality is
  removed ("Calibrating Multimodal Learning", Ma et al., ICML 2023).

Tables are pandas DataFrames when pandas is installed, else dicts of numpy
arrays with the same columns; the plotting functions of
:mod:`skmm.plotting` take either. This module imports numpy and scikit-learn
only (never torch); it works with any fitted estimator or Pipeline that
accepts skmm's inputs.
"""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.utils import _safe_indexing

from skmm._data import _is_dataframe, as_multimodal, check_multimodal
from skmm.augmentation import _check_patterns, presence_patterns
from skmm.corruption import KeepModalities

__all__ = [
    "calibration_scores",
    "corruption_scores",
    "expected_calibration_error",
    "missing_pattern_scores",
    "removal_violations",
    "summarize_by_size",
]


# ---------------------------------------------------------------------------
# Tables: a DataFrame when pandas is there, else a dict of arrays
# ---------------------------------------------------------------------------


def _pandas():
    """pandas, or None when it is not installed (an optional dependency)."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def _make_table(columns):
    columns = {k: _column(v) for k, v in columns.items()}
    pd = _pandas()
    return columns if pd is None else pd.DataFrame(columns)


def _column(values):
    values = list(values)
    if any(isinstance(v, tuple | list | str) for v in values):
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.asarray(values)


def _columns(table):
    """A table (DataFrame or dict of arrays) as a dict of numpy arrays."""
    if _is_dataframe(table):
        return {str(c): table[c].to_numpy() for c in table.columns}
    if isinstance(table, dict):
        return {k: v if isinstance(v, np.ndarray) else _column(v) for k, v in table.items()}
    raise TypeError(
        f"Expected a table (a pandas DataFrame or a dict of arrays), got {type(table).__name__}."
    )


def _score_columns(cols):
    names = [c for c in cols if c == "score" or c.startswith("score_")]
    if not names:
        raise ValueError(f"The table has no score column (columns: {list(cols)}).")
    return names


# ---------------------------------------------------------------------------
# The input, seen as modalities, and put back in the estimator's form
# ---------------------------------------------------------------------------


class _Input:
    """``X`` as modalities, for an estimator that may take a flat array plus a spec.

    An estimator with a dict ``modalities`` parameter (a column spec) splits a
    flat ``X`` itself; patterns and corruption are then applied to the
    modalities and written back into a copy of the flat ``X``, so the
    estimator still gets the form it was fitted on.
    """

    def __init__(self, X, estimator):
        spec = getattr(estimator, "modalities", None)
        self.X = X
        self.spec = spec if isinstance(spec, dict) and not isinstance(X, dict) else None
        self.mm = as_multimodal(X, self.spec)
        data = check_multimodal(self.mm, dtype=None, fill=np.nan)
        self.names, self.mask = list(data.names), data.mask

    def back(self, mm, rows):
        """The estimator's input for samples ``rows`` from transformed modalities ``mm``."""
        if isinstance(self.X, dict):
            return mm
        sub = _safe_indexing(self.X, rows)
        groups = {"x": slice(None)} if self.spec is None else self.spec
        if _is_dataframe(sub):
            out = sub.copy()
            for name, cols in groups.items():
                if isinstance(cols, slice) or np.asarray(cols).dtype.kind in "iu":
                    positions = np.arange(out.shape[1])[cols]
                else:
                    positions = out.columns.get_indexer(list(np.atleast_1d(cols)))
                for j, pos in enumerate(np.atleast_1d(positions)):
                    out.isetitem(int(pos), mm[name][:, j])
            return out
        if self.spec is None:
            return mm["x"]
        sub = np.asarray(sub)
        out = np.array(sub, dtype=sub.dtype if sub.dtype.kind == "f" else np.float64)
        for name, cols in groups.items():
            out[:, cols] = mm[name]
        return out


def _scorer(estimator, scoring):
    scorer = check_scoring(estimator, scoring)

    def score(X, y):
        result = scorer(estimator, X, y)
        if isinstance(result, dict):  # several metrics
            return {f"score_{k}": float(v) for k, v in result.items()}
        return {"score": float(result)}

    return score


def _append(table, values):
    for key, value in values.items():
        table.setdefault(key, []).append(value)


# ---------------------------------------------------------------------------
# Missing patterns (Table I)
# ---------------------------------------------------------------------------


def missing_pattern_scores(estimator, X, y, patterns="all", scoring=None):
    """Score a fitted estimator under test-time missing-modality patterns.

    For each pattern (a non-empty set of modalities), every other modality
    is set missing with :class:`~skmm.KeepModalities` and the estimator is
    scored: the RAML paper's Table I. When ``X`` already has missing
    modalities, a pattern is scored on the samples that keep at least one
    present modality under it (column ``n_samples``).

    Parameters
    ----------
    estimator : estimator object
        A fitted estimator (or Pipeline) that accepts ``X``.
    X : dict, MultimodalData, array-like or DataFrame
        Test data. A flat array is the single modality ``"x"``, unless the
        estimator has a dict ``modalities`` parameter (a column spec), whose
        modalities are then used.
    y : array-like of shape (n_samples,)
        True labels.
    patterns : "all" or list of tuple of str, default="all"
        ``"all"``: the ``2**M - 1`` non-empty subsets of the modalities,
        ordered by size (the full set last). Or the patterns to score, each a
        tuple of modality names.
    scoring : str, callable, list, dict or None, default=None
        Anything :func:`sklearn.metrics.check_scoring` accepts; ``None`` uses
        ``estimator.score``. With several metrics the table has one column
        ``score_<name>`` per metric instead of ``score``.

    Returns
    -------
    table : pandas.DataFrame or dict of ndarray
        One row per pattern, with columns ``pattern`` (tuple of names),
        ``n_present`` (its size), ``n_samples`` (samples scored) and
        ``score``. A DataFrame when pandas is installed, else a dict of
        arrays. :func:`summarize_by_size` turns it into the summary by number
        of present modalities plus the average over all patterns;
        :func:`skmm.plotting.plot_pattern_scores` plots it.

    See Also
    --------
    summarize_by_size : Average scores by number of present modalities.
    corruption_scores : Scores under increasing corruption.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import RAMLClassifier
    >>> from skmm.evaluation import missing_pattern_scores, summarize_by_size
    >>> rng = np.random.RandomState(0)
    >>> y = np.tile([0, 1], 30)
    >>> X = {"a": y[:, None] + 0.3 * rng.randn(60, 2), "b": rng.randn(60, 2),
    ...      "c": rng.randn(60, 3)}
    >>> clf = RAMLClassifier(hidden_sizes=(16,), latent_dim=8, max_epochs=2,
    ...                      random_state=0).fit(X, y)
    >>> table = missing_pattern_scores(clf, X, y)
    >>> table[["pattern", "n_present", "n_samples"]].tail(2)
         pattern  n_present  n_samples
    5     (b, c)          2         60
    6  (a, b, c)          3         60
    >>> summarize_by_size(table)["n_patterns"].tolist()
    [3, 3, 1, 7]
    """
    inp = _Input(X, estimator)
    if isinstance(patterns, str) and patterns == "all":
        chosen = presence_patterns(inp.names)
    else:
        keep = _check_patterns(patterns, inp.names, "missing_pattern_scores")
        chosen = [tuple(n for n, k in zip(inp.names, row) if k) for row in keep]
    score = _scorer(estimator, scoring)
    results = []
    for pattern in chosen:
        kept = np.array([n in pattern for n in inp.names])
        rows = np.flatnonzero((inp.mask & kept).any(1))
        result = {"pattern": pattern, "n_present": len(pattern), "n_samples": rows.size}
        if rows.size:  # else no sample keeps a present modality: NaN score
            Xp = KeepModalities(list(pattern)).corrupt(inp.mm[rows])
            result.update(score(inp.back(Xp, rows), _safe_indexing(y, rows)))
        results.append(result)
    keys = list(dict.fromkeys(k for r in results for k in r))
    table = {k: [r.get(k, np.nan) for r in results] for k in keys}
    return _make_table(table)


def summarize_by_size(table):
    """Average pattern scores by number of present modalities, and over all patterns.

    Parameters
    ----------
    table : pandas.DataFrame or dict of ndarray
        The output of :func:`missing_pattern_scores` (columns ``n_present``
        and ``score``, or ``score_<name>`` per metric).

    Returns
    -------
    summary : pandas.DataFrame or dict of ndarray
        One row per number of present modalities ``k = 1 .. M``, then a last
        row ``n_present="all"``: columns ``n_present``, ``n_patterns`` and
        the mean of each score column (a plain mean over patterns; patterns
        with no scored sample are ignored). A DataFrame when pandas is
        installed, else a dict of arrays.

    Examples
    --------
    >>> from skmm.evaluation import summarize_by_size
    >>> table = {"n_present": [1, 1, 2], "score": [0.5, 0.7, 0.9]}
    >>> summarize_by_size(table)["score"].round(2).tolist()
    [0.6, 0.9, 0.7]
    """
    cols = _columns(table)
    if "n_present" not in cols:
        raise ValueError(f"The table has no n_present column (columns: {list(cols)}).")
    scores = _score_columns(cols)
    sizes = cols["n_present"].astype(int)
    summary = {"n_present": [], "n_patterns": []}
    groups = [(int(k), sizes == k) for k in np.unique(sizes)] + [("all", np.ones_like(sizes, bool))]
    for label, rows in groups:
        summary["n_present"].append(label)
        summary["n_patterns"].append(int(rows.sum()))
        for name in scores:
            values = cols[name][rows].astype(float)
            values = values[~np.isnan(values)]
            summary.setdefault(name, []).append(values.mean() if values.size else np.nan)
    out = {k: _column(v) for k, v in summary.items()}
    out["n_present"] = np.array(summary["n_present"], dtype=object)
    pd = _pandas()
    return out if pd is None else pd.DataFrame(out)


# ---------------------------------------------------------------------------
# Increasing corruption (Tables II and III)
# ---------------------------------------------------------------------------


def corruption_scores(estimator, X, y, corruption, param_name, values, scoring=None):
    """Score a fitted estimator under increasing corruption of the test data.

    For each value ``v``, ``corruption`` is cloned with
    ``set_params(param_name=v)``, applied to ``X`` through its explicit
    :meth:`~skmm.GaussianNoise.corrupt` path (whatever its ``apply_on``
    says; a transformer without ``corrupt`` is fitted on ``X`` and its
    ``transform`` used), and the estimator is scored: the RAML paper's
    Tables II (noise) and III (masking).

    Parameters
    ----------
    estimator : estimator object
        A fitted estimator (or Pipeline) that accepts ``X``.
    X : dict, MultimodalData, array-like or DataFrame
        Clean test data (see :func:`missing_pattern_scores` for a flat array).
    y : array-like of shape (n_samples,)
        True labels.
    corruption : transformer
        E.g. ``GaussianNoise(modalities="image", random_state=0)``,
        ``FeatureMasking()``, ``ModalityDropout()``. With an int
        ``random_state`` every value gets the same underlying draws, so the
        curve varies with the parameter only.
    param_name : str
        The parameter to vary (``"std"``, ``"p"``, ``"rates"``).
    values : sequence
        Its values, in the order of the table rows.
    scoring : str, callable, list, dict or None, default=None
        As in :func:`missing_pattern_scores`.

    Returns
    -------
    table : pandas.DataFrame or dict of ndarray
        One row per value: columns ``param_name`` (the value) and ``score``
        (or ``score_<name>`` per metric). A DataFrame when pandas is
        installed, else a dict of arrays;
        :func:`skmm.plotting.plot_robustness_curve` plots it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm import GaussianNoise
    >>> from skmm.evaluation import corruption_scores
    >>> rng = np.random.RandomState(0)
    >>> y = np.tile([0, 1], 50)
    >>> X = y[:, None] + 0.1 * rng.randn(100, 2)
    >>> clf = LogisticRegression().fit(X, y)
    >>> table = corruption_scores(clf, X, y, GaussianNoise(random_state=0), "std", [0.0, 3.0])
    >>> table["score"].tolist()[0], bool(table["score"].iloc[1] < 0.9)
    (1.0, True)
    """
    if not isinstance(param_name, str):
        raise TypeError(f"param_name must be a parameter name (str), got {param_name!r}.")
    inp = _Input(X, estimator)
    score = _scorer(estimator, scoring)
    rows = np.arange(inp.mask.shape[0])
    table = {}
    for value in values:
        corrupter = clone(corruption).set_params(**{param_name: value})
        if hasattr(corrupter, "corrupt"):
            Xc = corrupter.corrupt(inp.mm)
        else:
            Xc = corrupter.fit(inp.mm).transform(inp.mm)
        _append(table, {param_name: value, **score(inp.back(Xc, rows), y)})
    if not table:
        raise ValueError("values is empty: give at least one parameter value.")
    return _make_table(table)


# ---------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------


def expected_calibration_error(y_true, y_proba, *, classes=None, n_bins=15):
    """Expected calibration error of the top-label confidence.

    The predictions are binned by confidence ``max_k p_k`` into ``n_bins``
    equal-width bins ``(i / n_bins, (i + 1) / n_bins]`` (a confidence of 0
    goes to the first), and ``ECE = sum_b |B_b| / n * |acc(B_b) - conf(B_b)|``
    (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities.
    classes : array-like of shape (n_classes,), default=None
        The label of each column of ``y_proba`` (an estimator's ``classes_``);
        ``None``: ``0 .. n_classes - 1``.
    n_bins : int, default=15
        Number of confidence bins.

    Returns
    -------
    float
        In ``[0, 1]``; 0 for a perfectly calibrated predictor.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.evaluation import expected_calibration_error
    >>> proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    >>> round(expected_calibration_error([0, 1, 1, 1], proba, n_bins=10), 3)
    0.35
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, numbers.Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")
    y_true = np.asarray(y_true)
    y_proba = np.asarray(y_proba, dtype=np.float64)
    if y_proba.ndim != 2 or y_proba.shape[0] != y_true.shape[0]:
        raise ValueError(
            f"y_proba must have shape (n_samples, n_classes) with n_samples={y_true.shape[0]}, "
            f"got {y_proba.shape}."
        )
    classes = np.arange(y_proba.shape[1]) if classes is None else np.asarray(classes)
    if classes.shape != (y_proba.shape[1],):
        raise ValueError(
            f"classes has {classes.size} labels but y_proba has {y_proba.shape[1]} columns."
        )
    confidence = y_proba.max(1)
    correct = (classes[y_proba.argmax(1)] == y_true).astype(np.float64)
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    n_correct = np.bincount(bins, correct, minlength=n_bins)
    gap = np.abs(n_correct - np.bincount(bins, confidence, minlength=n_bins))
    return float(gap.sum() / max(count.sum(), 1))


def calibration_scores(estimator, X, y, *, patterns="all", n_bins=15):
    """Expected calibration error, accuracy and confidence under every missing pattern.

    Runs :func:`missing_pattern_scores` (same patterns, same handling of
    samples already missing modalities) with three metrics: the expected
    calibration error of ``predict_proba`` (:func:`expected_calibration_error`),
    the accuracy and the mean top-label confidence.

    Parameters
    ----------
    estimator : estimator object
        A fitted classifier (or Pipeline) with ``predict_proba`` and ``classes_``.
    X : dict, MultimodalData, array-like or DataFrame
        Test data (see :func:`missing_pattern_scores`).
    y : array-like of shape (n_samples,)
        True labels.
    patterns : "all" or list of tuple of str, default="all"
        As in :func:`missing_pattern_scores`.
    n_bins : int, default=15
        Confidence bins of the ECE.

    Returns
    -------
    table : pandas.DataFrame or dict of ndarray
        One row per pattern: ``pattern``, ``n_present``, ``n_samples``,
        ``score_ece``, ``score_accuracy`` and ``score_confidence``.
        :func:`summarize_by_size` averages it by number of present
        modalities.

    See Also
    --------
    removal_violations : Does confidence rise when a modality is removed?

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import LateFusionClassifier
    >>> from skmm.evaluation import calibration_scores
    >>> rng = np.random.RandomState(0)
    >>> y = np.tile([0, 1], 30)
    >>> X = {"a": y[:, None] + 0.5 * rng.randn(60, 2), "b": rng.randn(60, 2)}
    >>> clf = LateFusionClassifier(hidden_sizes=(8,), max_epochs=5, random_state=0).fit(X, y)
    >>> table = calibration_scores(clf, X, y)
    >>> list(table.columns)
    ['pattern', 'n_present', 'n_samples', 'score_ece', 'score_accuracy', 'score_confidence']
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, numbers.Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")

    def ece(est, X, y):
        return expected_calibration_error(y, est.predict_proba(X), classes=est.classes_,
                                          n_bins=n_bins)

    def confidence(est, X, y):
        return float(np.asarray(est.predict_proba(X)).max(1).mean())

    scoring = {"ece": ece, "accuracy": "accuracy", "confidence": confidence}
    return missing_pattern_scores(estimator, X, y, patterns=patterns, scoring=scoring)


def removal_violations(estimator, X, *, tol=0.0):
    """How often confidence rises when one modality is removed.

    "Calibrating Multimodal Learning" (Ma et al., ICML 2023) asks that a
    classifier's confidence never increase when a modality is removed (less
    information should not make it surer). For every sample and every
    modality present in it (with at least one other modality present), the
    modality is set missing and the top-label confidence ``max_k p_k`` is
    compared with the confidence on the sample as given: a *violation* is a
    rise by more than ``tol``.

    Parameters
    ----------
    estimator : estimator object
        A fitted classifier (or Pipeline) with ``predict_proba``.
    X : dict, MultimodalData, array-like or DataFrame
        Test data (see :func:`missing_pattern_scores` for a flat array).
    tol : float, default=0.0
        Rises up to ``tol`` are not counted.

    Returns
    -------
    table : pandas.DataFrame or dict of ndarray
        One row per removed modality, then a row ``removed="all"``: columns
        ``removed``, ``n_cases`` (the (sample, modality) cases),
        ``n_violations`` and ``violation_rate`` (their ratio; NaN without
        cases). The last row's rate is the paper's violation rate.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import LateFusionClassifier
    >>> from skmm.evaluation import removal_violations
    >>> rng = np.random.RandomState(0)
    >>> y = np.tile([0, 1], 30)
    >>> X = {"a": y[:, None] + 0.5 * rng.randn(60, 2), "b": rng.randn(60, 2)}
    >>> clf = LateFusionClassifier(hidden_sizes=(8,), max_epochs=5, random_state=0).fit(X, y)
    >>> table = removal_violations(clf, X)
    >>> table["removed"].tolist(), table["n_cases"].tolist()
    (['a', 'b', 'all'], [60, 60, 120])
    """
    if not isinstance(tol, numbers.Real) or not tol >= 0:
        raise ValueError(f"tol must be a non-negative number, got {tol!r}.")
    inp = _Input(X, estimator)
    confidence = np.asarray(estimator.predict_proba(X)).max(1)
    several = inp.mask.sum(1) > 1
    table = {"removed": [], "n_cases": [], "n_violations": []}
    for m, name in enumerate(inp.names):
        rows = np.flatnonzero(inp.mask[:, m] & several)
        n_viol = 0
        if rows.size:
            others = [n for n in inp.names if n != name]
            Xr = KeepModalities(others).corrupt(inp.mm[rows])
            reduced = np.asarray(estimator.predict_proba(inp.back(Xr, rows))).max(1)
            n_viol = int((reduced > confidence[rows] + tol).sum())
        _append(table, {"removed": name, "n_cases": int(rows.size), "n_violations": n_viol})
    _append(table, {"removed": "all", "n_cases": sum(table["n_cases"]),
                    "n_violations": sum(table["n_violations"])})
    cases = np.asarray(table["n_cases"], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["violation_rate"] = list(np.asarray(table["n_violations"]) / cases)
    return _make_table(table)
