"""Calibration under missing modalities, for classifiers and regressors.

* Classifiers: :func:`expected_calibration_error` of the top-label
  confidence, and :func:`removal_violations`, how often confidence *rises*
  when a modality is removed ("Calibrating Multimodal Learning", Ma et al.,
  ICML 2023).
* Regressors with a predictive std (``predict(X, return_std=True)``, as
  :class:`~sklearn.linear_model.BayesianRidge` or
  :class:`~sklearn.gaussian_process.GaussianProcessRegressor`):
  :func:`interval_coverage` of the central Gaussian predictive interval and
  :func:`gaussian_nll`, the Gaussian negative log-likelihood. scikit-learn
  has neither (its ``coverage_error`` is a multilabel ranking metric, and
  ``mean_pinball_loss`` scores one quantile); both are computed with
  :data:`scipy.stats.norm`.
* :func:`calibration_scores` gives either set under every missing pattern,
  as :func:`skmm.evaluation.missing_pattern_scores` scores them.

Every function here is also importable from :mod:`skmm.evaluation`.
"""

import inspect
import numbers

import numpy as np
from scipy.stats import norm
from sklearn.metrics import r2_score

from skmm._model_input import _final_estimator, _Input, _score_patterns, _task
from skmm._tables import _append, _make_table

__all__ = [
    "calibration_scores",
    "expected_calibration_error",
    "gaussian_nll",
    "interval_coverage",
    "removal_violations",
]


# ---------------------------------------------------------------------------
# Regression: the Gaussian predictive distribution N(y_mean, y_std**2)
# ---------------------------------------------------------------------------


def _check_level(level):
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}.")
    return float(level)


def _gaussian_inputs(y_true, y_mean, y_std):
    """The three arrays as float (n_samples, n_outputs); a 1-D ``y_std`` is shared by outputs."""
    arrays, shapes = [], []
    for name, value in (("y_true", y_true), ("y_mean", y_mean), ("y_std", y_std)):
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim not in (1, 2):
            raise ValueError(
                f"{name} must have shape (n_samples,) or (n_samples, n_outputs), got "
                f"{arr.shape}."
            )
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinity.")
        if arr.size == 0:
            raise ValueError(f"{name} is empty: give at least one sample.")
        arrays.append(arr.reshape(len(arr), -1))
        shapes.append(arr.shape)
    y_true, y_mean, y_std = arrays
    if y_mean.shape != y_true.shape:
        raise ValueError(
            f"y_mean has shape {shapes[1]} but y_true has shape {shapes[0]}; they must match."
        )
    if y_std.shape not in (y_true.shape, (y_true.shape[0], 1)):
        raise ValueError(
            f"y_std has shape {shapes[2]}; it must be that of y_true {shapes[0]} or "
            "(n_samples,)."
        )
    if (y_std < 0).any():
        raise ValueError("y_std must be non-negative (a standard deviation).")
    return y_true, y_mean, np.broadcast_to(y_std, y_true.shape)


def _average(values, multioutput):
    """Per-output ``values`` averaged as scikit-learn's regression metrics do."""
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return values
        if multioutput == "uniform_average":
            return float(values.mean())
        raise ValueError(
            "multioutput must be 'raw_values', 'uniform_average' or an array of output "
            f"weights, got {multioutput!r}."
        )
    weights = np.asarray(multioutput, dtype=np.float64)
    if weights.shape != values.shape:
        raise ValueError(
            f"multioutput has {weights.size} weights but there are {values.size} outputs."
        )
    return float(np.average(values, weights=weights))


def _z(level):
    """Half-width of the central ``level`` interval of a standard normal."""
    return float(norm.ppf(0.5 + level / 2))


def interval_coverage(y_true, y_mean, y_std, *, level=0.9, multioutput="uniform_average"):
    """Fraction of targets inside the central Gaussian predictive interval.

    The interval of level ``level`` is ``y_mean ± z * y_std`` with ``z`` the
    ``(1 + level) / 2`` quantile of the standard normal
    (:data:`scipy.stats.norm`; ``z = 1.645`` at 0.9), ends included. A
    calibrated predictor covers a fraction ``level`` of the targets; less
    means overconfident (intervals too narrow), more underconfident. The
    interval's width is ``2 * z * y_std``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True targets.
    y_mean : array-like of the shape of ``y_true``
        Predicted means.
    y_std : array-like of the shape of ``y_true``, or (n_samples,)
        Predicted standard deviations (non-negative), e.g. the second output
        of ``predict(X, return_std=True)``; a 1-D ``y_std`` with 2-D targets
        is shared by the outputs.
    level : float, default=0.9
        Nominal coverage of the interval, strictly between 0 and 1.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape \
            (n_outputs,), default="uniform_average"
        As in scikit-learn's regression metrics: the coverage of each output,
        their plain mean, or their mean weighted by the array.

    Returns
    -------
    float or ndarray of shape (n_outputs,)
        In ``[0, 1]``.

    See Also
    --------
    gaussian_nll : Negative log-likelihood of the same Gaussian.
    calibration_scores : Coverage under every missing pattern.

    Examples
    --------
    >>> from skmm.calibration import interval_coverage
    >>> # |2 - 0| > 1.645 * 1: two of the three targets are inside
    >>> round(interval_coverage([0, 1, 2], [0, 0, 0], [1, 1, 1]), 4)
    0.6667
    >>> interval_coverage([0, 1, 2], [0, 0, 0], [1, 1, 1], level=0.99)
    1.0
    """
    level = _check_level(level)
    y_true, y_mean, y_std = _gaussian_inputs(y_true, y_mean, y_std)
    inside = np.abs(y_true - y_mean) <= _z(level) * y_std
    return _average(inside.mean(0), multioutput)


def gaussian_nll(y_true, y_mean, y_std, *, multioutput="uniform_average"):
    """Mean negative log-likelihood of the targets under ``N(y_mean, y_std**2)``.

    ``NLL = mean_i [log(2 pi) / 2 + log(std_i) + (y_i - mean_i)**2 / (2 std_i**2)]``
    (:func:`scipy.stats.norm.logpdf`), a proper scoring rule: it punishes
    both wrong means and wrong uncertainty, overconfidence most. Lower is
    better; it is in nats, and negative for sharp, right predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True targets.
    y_mean : array-like of the shape of ``y_true``
        Predicted means.
    y_std : array-like of the shape of ``y_true``, or (n_samples,)
        Predicted standard deviations, strictly positive; a 1-D ``y_std``
        with 2-D targets is shared by the outputs.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape \
            (n_outputs,), default="uniform_average"
        As in scikit-learn's regression metrics: the NLL of each output
        (mean over samples), their plain mean, or their weighted mean.

    Returns
    -------
    float or ndarray of shape (n_outputs,)

    See Also
    --------
    interval_coverage : Coverage of the predictive interval.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.calibration import gaussian_nll
    >>> nll = gaussian_nll([0, 1, 2], [0, 0, 0], [1, 1, 1])
    >>> bool(np.isclose(nll, np.log(2 * np.pi) / 2 + (0 + 1 + 4) / 6))
    True
    >>> round(nll, 4)
    1.7523
    """
    y_true, y_mean, y_std = _gaussian_inputs(y_true, y_mean, y_std)
    if (y_std == 0).any():
        raise ValueError(
            f"y_std is 0 for {int((y_std == 0).sum())} values: the Gaussian NLL needs strictly "
            "positive standard deviations."
        )
    nll = -norm.logpdf(y_true, loc=y_mean, scale=y_std)
    return _average(nll.mean(0), multioutput)


# ---------------------------------------------------------------------------
# Classification: top-label confidence
# ---------------------------------------------------------------------------


def _check_n_bins(n_bins):
    if isinstance(n_bins, bool) or not isinstance(n_bins, numbers.Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")


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
    >>> from skmm.calibration import expected_calibration_error
    >>> proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    >>> round(expected_calibration_error([0, 1, 1, 1], proba, n_bins=10), 3)
    0.35
    """
    _check_n_bins(n_bins)
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


# ---------------------------------------------------------------------------
# Per missing pattern
# ---------------------------------------------------------------------------


def _std_predictor(estimator):
    """The estimator to call ``predict(X, return_std=True)`` on, or a ``ValueError``.

    A fitted search predicts through its ``best_estimator_``; a Pipeline
    passes ``return_std`` on to its final step.
    """
    est = getattr(estimator, "best_estimator_", estimator)
    final = _final_estimator(est)
    try:
        params = inspect.signature(final.predict).parameters.values()
    except (AttributeError, TypeError, ValueError):
        params = []
    if not any(p.name == "return_std" or p.kind is p.VAR_KEYWORD for p in params):
        raise ValueError(
            f"calibration_scores on a regressor needs a predictive std: predict(X, "
            f"return_std=True) returning (mean, std), as BayesianRidge, ARDRegression or "
            f"GaussianProcessRegressor have. {type(final).__name__}.predict has no return_std "
            "parameter; score it with missing_pattern_scores instead."
        )
    return est


def _predict_mean_std(est, X):
    name = type(est).__name__
    try:
        out = est.predict(X, return_std=True)
    except TypeError as exc:  # a predict(X, **kwargs) that does not take return_std
        raise ValueError(
            f"calibration_scores on a regressor needs predict(X, return_std=True); "
            f"{name}.predict raised: {exc}"
        ) from exc
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ValueError(
            f"{name}.predict(X, return_std=True) must return (mean, std), got "
            f"{type(out).__name__}."
        )
    return out


def calibration_scores(estimator, X, y, *, patterns="all", n_bins=15, level=0.9,
                       modalities=None):
    """Calibration and score under every missing pattern, for a classifier or a regressor.

    Runs :func:`~skmm.evaluation.missing_pattern_scores` (same patterns,
    same handling of samples already missing modalities) with metrics of
    one forward pass per pattern:

    * a classifier (``predict_proba``): the expected calibration error
      (:func:`expected_calibration_error`), the accuracy and the mean
      top-label confidence;
    * a regressor (:func:`sklearn.base.is_regressor`, looking through
      Pipelines and searches) whose ``predict(X, return_std=True)`` returns
      ``(mean, std)``: the coverage of the central ``level`` Gaussian
      interval ``mean ± z * std`` (:func:`interval_coverage`), its mean width
      ``2 * z * std``, the Gaussian negative log-likelihood
      (:func:`gaussian_nll`) and the R² of the mean
      (:func:`sklearn.metrics.r2_score`). With several outputs each is
      averaged over the outputs (uniformly).

    Parameters
    ----------
    estimator : estimator object
        A fitted classifier with ``predict_proba`` and ``classes_``, or a
        fitted regressor whose ``predict`` takes ``return_std=True`` (or a
        Pipeline or fitted search ending in one).
    X : dict, MultimodalData, array-like or DataFrame
        Test data (see :func:`~skmm.evaluation.missing_pattern_scores`).
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True labels (classifier) or targets (regressor).
    patterns : "all" or list of tuple of str, default="all"
        As in :func:`~skmm.evaluation.missing_pattern_scores`.
    n_bins : int, default=15
        Confidence bins of the ECE (classifiers).
    level : float, default=0.9
        Nominal coverage of the predictive interval (regressors).
    modalities : dict, default=None
        Column spec of a flat ``X``, as in
        :func:`~skmm.evaluation.missing_pattern_scores`.

    Returns
    -------
    table : pandas.DataFrame or dict of ndarray
        One row per pattern: ``pattern``, ``n_present``, ``n_samples``, then

        * classifier: ``score_ece``, ``score_accuracy`` (of the top-label
          prediction, the argmax of ``predict_proba``) and
          ``score_confidence``;
        * regressor: ``score_coverage`` (calibrated: close to ``level``),
          ``score_interval_width``, ``score_nll`` (lower is better) and
          ``score_r2``.

        :func:`~skmm.evaluation.summarize_by_size` averages it by number of
        present modalities.

    Raises
    ------
    ValueError
        For a regressor whose ``predict`` has no ``return_std``.

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

    A Bayesian linear regressor on flat data, missing values imputed:

    >>> from sklearn.impute import SimpleImputer
    >>> from sklearn.linear_model import BayesianRidge
    >>> from sklearn.pipeline import make_pipeline
    >>> flat = np.hstack([X["a"], X["b"]])
    >>> target = flat @ [1.0, 1.0, 0.5, 0.0] + 0.3 * rng.randn(60)
    >>> reg = make_pipeline(SimpleImputer(), BayesianRidge()).fit(flat, target)
    >>> table = calibration_scores(reg, flat, target, modalities={"a": [0, 1], "b": [2, 3]})
    >>> table.columns.tolist()[3:]
    ['score_coverage', 'score_interval_width', 'score_nll', 'score_r2']
    >>> bool(0.8 <= table["score_coverage"].iloc[-1] <= 1.0)
    True
    """
    _check_n_bins(n_bins)
    level = _check_level(level)
    if _task(estimator) == "regressor":
        predictor = _std_predictor(estimator)
        z = _z(level)

        def scores(est, X, y):  # one forward pass for the four columns
            mean, std = _predict_mean_std(predictor, X)
            y = np.asarray(y)
            return {
                "coverage": interval_coverage(y, mean, std, level=level),
                "interval_width": float(2 * z * np.mean(std)),
                "nll": gaussian_nll(y, mean, std),
                "r2": float(r2_score(y, np.reshape(mean, y.shape))),
            }
    else:
        if not hasattr(estimator, "predict_proba"):
            raise ValueError(
                "calibration_scores needs a classifier with predict_proba, or a regressor "
                "(sklearn.base.is_regressor) whose predict takes return_std=True; "
                f"{type(_final_estimator(estimator)).__name__} is neither."
            )

        def scores(est, X, y):
            # one forward pass per pattern for the three columns (a dict of scorers would
            # run predict_proba twice and predict once)
            proba = np.asarray(est.predict_proba(X))
            return {
                "ece": expected_calibration_error(y, proba, classes=est.classes_, n_bins=n_bins),
                "accuracy": float(np.mean(est.classes_[proba.argmax(1)] == np.asarray(y))),
                "confidence": float(proba.max(1).mean()),
            }

    return _score_patterns(estimator, X, y, patterns, scores, modalities, "calibration_scores")


def removal_violations(estimator, X, *, tol=0.0, modalities=None):
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
        Test data (see :func:`~skmm.evaluation.missing_pattern_scores` for
        flat data).
    tol : float, default=0.0
        Rises up to ``tol`` are not counted.
    modalities : dict, default=None
        Column spec of a flat ``X``, as in
        :func:`~skmm.evaluation.missing_pattern_scores`.

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
    if _task(estimator) == "regressor" or not hasattr(estimator, "predict_proba"):
        raise ValueError(
            "removal_violations compares a classifier's top-label confidence (predict_proba); "
            f"{type(_final_estimator(estimator)).__name__} has none. For a regressor, "
            "calibration_scores gives the coverage of its predictive interval per pattern."
        )
    inp = _Input(X, estimator, modalities)
    confidence = np.asarray(estimator.predict_proba(X)).max(1)
    several = inp.mask.sum(1) > 1
    table = {"removed": [], "n_cases": [], "n_violations": []}
    for m, name in enumerate(inp.names):
        rows = np.flatnonzero(inp.mask[:, m] & several)
        n_viol = 0
        if rows.size:
            without = inp.keep(rows, np.array([n != name for n in inp.names]))
            reduced = np.asarray(estimator.predict_proba(inp.back(without, rows))).max(1)
            n_viol = int((reduced > confidence[rows] + tol).sum())
        _append(table, {"removed": name, "n_cases": int(rows.size), "n_violations": n_viol})
    _append(table, {"removed": "all", "n_cases": sum(table["n_cases"]),
                    "n_violations": sum(table["n_violations"])})
    cases = np.asarray(table["n_cases"], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["violation_rate"] = list(np.asarray(table["n_violations"]) / cases)
    return _make_table(table)
