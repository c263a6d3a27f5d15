"""Robustness evaluation of fitted estimators: missing patterns and corruption.

* :func:`missing_pattern_scores` scores a fitted estimator under every (or
  each given) test-time missing pattern, the RAML paper's Table I;
  :func:`summarize_by_size` averages those scores by the number of present
  modalities and over all patterns.
* :func:`corruption_scores` scores it under increasing corruption (noise std,
  masking rate, missing rate), the paper's Tables II and III.
* :func:`robustness_report` runs the whole protocol for several estimators:
  missing patterns, noise per modality, fit time and RCML's conflictive test.
* :func:`calibration_scores` gives calibration under every missing pattern:
  for a classifier the expected calibration error
  (:func:`expected_calibration_error`), for a regressor with
  ``predict(X, return_std=True)`` the coverage of its predictive interval
  (:func:`interval_coverage`) and its Gaussian negative log-likelihood
  (:func:`gaussian_nll`); :func:`removal_violations` counts how often a
  classifier's confidence *rises* when a modality is removed ("Calibrating
  Multimodal Learning", Ma et al., ICML 2023). These five live in
  ``skmm.calibration`` and are re-exported here.

Every function works for classifiers and regressors alike (detected with
:func:`sklearn.base.is_classifier` / :func:`~sklearn.base.is_regressor`,
looking through Pipelines and fitted searches): the default score is the
estimator's own ``score``, accuracy for classifiers and R² for regressors.
Only RCML's conflictive test and :func:`removal_violations` need classes.

Tables are pandas DataFrames when pandas is installed, else dicts of numpy
arrays with the same columns; the plotting functions of
:mod:`skmm.plotting` take either. A DataFrame's ``attrs["scoring"]`` names
the metric of its ``score`` column (``"accuracy"``, ``"r2"``, the scoring
string given), which the plots use as axis label. This module imports numpy,
scipy and scikit-learn only (never torch); it works with any fitted estimator
or Pipeline that accepts skmm's inputs.
"""


import numpy as np
from sklearn.base import clone

from skmm._model_input import (
    _final_estimator,
    _Input,
    _score_patterns,
    _scorer,
    _scoring_name,
    _task,
)
from skmm._tables import (
    _append,
    _columns,
    _make_table,
    _score_columns,
    _scoring_label,
)
from skmm.calibration import (
    calibration_scores,
    expected_calibration_error,
    gaussian_nll,
    interval_coverage,
    removal_violations,
)

# The calibration metrics live in skmm.calibration; re-exported here.
from skmm.corruption import make_conflictive

__all__ = [
    "calibration_scores",
    "corruption_scores",
    "expected_calibration_error",
    "gaussian_nll",
    "interval_coverage",
    "missing_pattern_scores",
    "removal_violations",
    "robustness_report",
    "summarize_by_size",
]


# ---------------------------------------------------------------------------
# Missing patterns (Table I)
# ---------------------------------------------------------------------------


def missing_pattern_scores(estimator, X, y, patterns="all", scoring=None, modalities=None):
    """Score a fitted estimator under test-time missing-modality patterns.

    For each pattern (a non-empty set of modalities), every other modality
    is set missing with :class:`~skmm.KeepModalities` and the estimator is
    scored: the RAML paper's Table I. When ``X`` already has missing
    modalities, a pattern is scored on the samples that keep at least one
    present modality under it (column ``n_samples``).

    Parameters
    ----------
    estimator : estimator object
        A fitted classifier or regressor (or Pipeline) that accepts ``X``.
    X : dict, MultimodalData, array-like or DataFrame
        Test data: modalities, or flat data split by ``modalities``.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True labels (classifier) or targets (regressor).
    patterns : "all" or list of tuple of str, default="all"
        ``"all"``: the ``2**M - 1`` non-empty subsets of the modalities,
        ordered by size (the full set last). Or the patterns to score, each a
        tuple of modality names.
    scoring : str, callable, list, dict or None, default=None
        Anything :func:`sklearn.metrics.check_scoring` accepts, e.g.
        ``"f1_macro"`` or ``"neg_mean_absolute_error"``; ``None`` uses
        ``estimator.score`` (accuracy for classifiers, R² for regressors).
        With several metrics the table has one column ``score_<name>`` per
        metric instead of ``score``.
    modalities : dict, default=None
        Column spec that splits a flat ``X`` (array or DataFrame) into the
        modalities to act on, as on the estimators: name -> column indices,
        a ``slice`` or column names. ``None`` finds the spec the model uses:
        the ``modalities`` dict of the first Pipeline step that has one
        (``SplitModalities``, or the final estimator), else a flat ``X`` is
        the single modality ``"x"``. A model fitted on other modalities than
        those found raises a ``ValueError`` asking for this argument.

    Returns
    -------
    table : pandas.DataFrame or dict of ndarray
        One row per pattern, with columns ``pattern`` (tuple of names),
        ``n_present`` (its size), ``n_samples`` (samples scored) and
        ``score``. A DataFrame when pandas is installed (its
        ``attrs["scoring"]`` names the metric when known: ``"accuracy"``,
        ``"r2"`` or the ``scoring`` string), else a dict of arrays.
        :func:`summarize_by_size` turns it into the summary by number of
        present modalities plus the average over all patterns;
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

    A regressor on flat data, split into modalities by a column spec, is
    scored by R² (its ``score``):

    >>> from sklearn.ensemble import HistGradientBoostingRegressor
    >>> target = X["a"].sum(1) + 0.1 * rng.randn(60)
    >>> flat = np.hstack([X["a"], X["b"]])
    >>> reg = HistGradientBoostingRegressor(max_iter=20).fit(flat, target)
    >>> table = missing_pattern_scores(reg, flat, target,
    ...                                modalities={"a": [0, 1], "b": [2, 3]})
    >>> table["pattern"].tolist(), table.attrs["scoring"]
    ([('a',), ('b',), ('a', 'b')], 'r2')
    >>> bool(table["score"].iloc[0] > 0.8 > 0.1 > table["score"].iloc[1])  # "b" is noise
    True
    """
    return _score_patterns(estimator, X, y, patterns, scoring, modalities,
                           "missing_pattern_scores")


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
    return _make_table(summary, _scoring_label(table))  # n_present holds "all": object


# ---------------------------------------------------------------------------
# Increasing corruption (Tables II and III)
# ---------------------------------------------------------------------------


def corruption_scores(
    estimator, X, y, corruption, param_name, values, scoring=None, modalities=None
):
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
        A fitted classifier or regressor (or Pipeline) that accepts ``X``.
    X : dict, MultimodalData, array-like or DataFrame
        Clean test data: modalities, or flat data split by ``modalities``.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True labels (classifier) or targets (regressor).
    corruption : transformer
        E.g. ``GaussianNoise(targets="image", random_state=0)``,
        ``FeatureMasking()``, ``ModalityDropout()``. With an int
        ``random_state`` every value gets the same underlying draws, so the
        curve varies with the parameter only.
    param_name : str
        The parameter to vary (``"std"``, ``"p"``, ``"rates"``).
    values : sequence
        Its values, in the order of the table rows.
    scoring : str, callable, list, dict or None, default=None
        As in :func:`missing_pattern_scores`.
    modalities : dict, default=None
        Column spec that splits a flat ``X`` (array or DataFrame) into the
        modalities to act on, as on the estimators: name -> column indices,
        a ``slice`` or column names. ``None`` finds the spec the model uses:
        the ``modalities`` dict of the first Pipeline step that has one
        (``SplitModalities``, or the final estimator), else a flat ``X`` is
        the single modality ``"x"``. A model fitted on other modalities than
        those found raises a ``ValueError`` asking for this argument.

    Returns
    -------
    table : pandas.DataFrame or dict of ndarray
        One row per value: columns ``param_name`` (the value) and ``score``
        (or ``score_<name>`` per metric). A DataFrame when pandas is
        installed (``attrs["scoring"]`` as in :func:`missing_pattern_scores`),
        else a dict of arrays;
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
    inp = _Input(X, estimator, modalities)
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
    return _make_table(table, _scoring_name(estimator, scoring))



# ---------------------------------------------------------------------------
# The whole protocol: fit, then every table (Tables I and II, fit time, RCML)
# ---------------------------------------------------------------------------


def _named(estimators):
    """``estimators`` (a dict, a list or one estimator) as a dict name -> estimator."""
    if isinstance(estimators, dict):
        if not estimators:
            raise ValueError("estimators is empty: give at least one estimator.")
        return dict(estimators)
    if hasattr(estimators, "fit"):
        estimators = [estimators]
    named = {}
    for est in estimators:
        name = type(_final_estimator(est)).__name__
        k = 2
        while name in named:
            name, k = f"{type(_final_estimator(est)).__name__}-{k}", k + 1
        named[name] = est
    if not named:
        raise ValueError("estimators is empty: give at least one estimator.")
    return named


def _progress_bar(progress, total):
    """A tqdm bar on stderr, or ``None``. ``"auto"``: only when stderr is a terminal."""
    import sys

    if progress == "auto":
        progress = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="robustness", unit="step", file=sys.stderr, leave=False)


def _conflictive_scores(estimator, X, y, options, scoring, modalities):
    """Scores on the clean and the conflictive test set (RCML's protocol)."""
    inp = _Input(X, estimator, modalities)
    rows = np.arange(inp.mask.shape[0])
    score = _scorer(estimator, scoring)
    conflicted, indices = make_conflictive(inp.mm, y, **options)
    clean = {"setting": "clean", "n_conflict": 0, **score(inp.back(inp.mm, rows), y)}
    n = len(indices["conflict"]) if isinstance(indices, dict) else np.nan
    bad = {"setting": "conflictive", "n_conflict": n, **score(inp.back(conflicted, rows), y)}
    return [clean, bad]


def robustness_report(
    estimators,
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    modalities=None,
    preprocess=None,
    patterns="all",
    noise_levels=(0.0, 0.5, 1.0, 2.0),
    noise_targets=None,
    conflictive=None,
    scoring=None,
    random_state=0,
    progress="auto",
    return_estimators=False,
):
    """Fit estimators and measure their robustness: the library's one evaluation protocol.

    Each estimator is cloned, fitted on the training data (timed), and scored
    on the test data under every missing-modality pattern
    (:func:`missing_pattern_scores`, the RAML paper's Table I), under
    Gaussian noise on one modality at a time (:func:`corruption_scores` with
    :class:`~skmm.GaussianNoise`, Table II) and, with ``conflictive``, on the
    conflictive test set of RCML (``skmm.corruption.make_conflictive``).
    ``skmm benchmark``, the examples and the benchmark scripts all call this.
    Classifiers and regressors alike: the default score is each estimator's
    ``score`` (accuracy, R²); the conflictive test needs classes.

    Parameters
    ----------
    estimators : dict, list or estimator
        Name -> unfitted classifier or regressor (or Pipeline); a list or a
        single estimator is named by class. Each is cloned, so the objects
        passed are left unfitted.
    X_train, y_train : dict, MultimodalData, array-like or DataFrame; array-like
        Training data (missing modalities as NaN rows) and labels or targets.
    X_test, y_test : dict, MultimodalData, array-like or DataFrame; array-like
        Test data and labels or targets.
    modalities : dict, default=None
        Column spec of flat test data, as in :func:`missing_pattern_scores`;
        ``None`` finds the spec each model uses.
    preprocess : transformer, default=None
        Fitted (a clone) on ``X_train`` and applied to both sets before
        anything else, e.g. ``PerModality(StandardScaler())`` so that noise
        stds are in standardized units. Inside a Pipeline instead, it would
        see the noise (noise in raw units).
    patterns : "all" or list of tuple of str, default="all"
        Missing patterns to score, as in :func:`missing_pattern_scores`;
        ``None`` skips the table.
    noise_levels : sequence of float, default=(0.0, 0.5, 1.0, 2.0)
        Noise stds; an empty sequence (or ``None``) skips the table.
    noise_targets : list of str, default=None
        Modalities to add noise to, one at a time; ``None``: each modality.
    conflictive : dict, True or None, default=None
        RCML's conflictive-view protocol: ``True`` or a dict of keyword
        arguments of ``skmm.corruption.make_conflictive`` (its
        ``random_state`` defaults to ``random_state``); ``None`` skips it.
        It swaps samples between classes, so it is for classifiers only: a
        regressor among ``estimators`` raises a ``ValueError`` (before any
        fit).
    scoring : str, callable, list, dict or None, default=None
        As in :func:`missing_pattern_scores`, e.g.
        ``"neg_mean_absolute_error"``; ``None`` uses each estimator's
        ``score`` (accuracy for classifiers, R² for regressors).
    random_state : int, default=0
        Seeds the noise (the same draws for every estimator) and the
        conflictive test set. The estimators keep their own ``random_state``.
    progress : "auto" or bool, default="auto"
        A progress bar on stderr over the fit and scoring steps; ``"auto"``
        shows it only when stderr is a terminal.
    return_estimators : bool, default=False
        Also return the fitted estimators, under the key ``"estimators"``.

    Returns
    -------
    report : dict
        Tables (pandas DataFrames when pandas is installed, their
        ``attrs["scoring"]`` naming the metric when the estimators share a
        known one, else dicts of arrays), each with a first column
        ``estimator``:

        * ``"missing_patterns"``: the columns of
          :func:`missing_pattern_scores`, one row per estimator and pattern;
        * ``"noise"``: ``modality``, ``std``, ``score``, one row per
          estimator, noisy modality and level;
        * ``"fit_time"``: ``fit_time_s``, wall-clock seconds of ``fit``;
        * ``"conflictive"`` (with ``conflictive``): ``setting`` (``"clean"``
          or ``"conflictive"``), ``n_conflict`` and ``score``;
        * ``"estimators"`` (with ``return_estimators``): name -> fitted clone.

    See Also
    --------
    missing_pattern_scores, corruption_scores, summarize_by_size
    skmm.plotting.plot_robustness_report : Plot these tables.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm import LateFusionClassifier
    >>> from skmm.evaluation import robustness_report
    >>> rng = np.random.RandomState(0)
    >>> y = np.tile([0, 1], 40)
    >>> X = {"a": y[:, None] + 0.3 * rng.randn(80, 2), "b": rng.randn(80, 3)}
    >>> late = LateFusionClassifier(hidden_sizes=(8,), max_epochs=3, random_state=0)
    >>> report = robustness_report({"late": late}, X, y, X, y, noise_levels=[0, 1],
    ...                            progress=False)
    >>> sorted(report)
    ['fit_time', 'missing_patterns', 'noise']
    >>> report["missing_patterns"]["pattern"].tolist()
    [('a',), ('b',), ('a', 'b')]
    >>> report["noise"][["estimator", "modality", "std"]].values.tolist()
    [['late', 'a', 0.0], ['late', 'a', 1.0], ['late', 'b', 0.0], ['late', 'b', 1.0]]

    Regressors are scored by R², here on flat data split by a column spec:

    >>> from sklearn.ensemble import HistGradientBoostingRegressor
    >>> flat, target = np.hstack([X["a"], X["b"]]), X["a"].sum(1)
    >>> report = robustness_report(HistGradientBoostingRegressor(max_iter=20), flat,
    ...                            target, flat, target, noise_levels=[0, 1],
    ...                            modalities={"a": [0, 1], "b": [2, 3, 4]}, progress=False)
    >>> report["missing_patterns"].attrs["scoring"]
    'r2'
    """
    import time

    from skmm.corruption import GaussianNoise

    named = _named(estimators)
    if conflictive is True:
        conflictive = {}
    if conflictive is not None and not isinstance(conflictive, dict):
        raise TypeError(
            f"conflictive must be None, True or a dict of make_conflictive arguments, got "
            f"{conflictive!r}."
        )
    levels = [] if noise_levels is None else [float(v) for v in noise_levels]
    if conflictive is not None:
        regressors = [name for name, est in named.items() if _task(est) == "regressor"]
        if regressors:
            raise ValueError(
                f"conflictive= is RCML's conflictive test, which swaps modalities between "
                f"samples of different classes: it needs classifiers, and {regressors} "
                f"{'is a regressor' if len(regressors) == 1 else 'are regressors'}. "
                "Pass conflictive=None for regression."
            )
    if preprocess is not None:
        pre = clone(preprocess).fit(X_train, y_train)
        X_train, X_test = pre.transform(X_train), pre.transform(X_test)
    y_test = np.asarray(y_test)
    steps = 1 + (patterns is not None) + bool(levels) + (conflictive is not None)
    bar = _progress_bar(progress, steps * len(named))
    tables = {"missing_patterns": [], "noise": [], "fit_time": [], "conflictive": []}
    fitted = {}
    try:
        for name, estimator in named.items():
            if bar is not None:
                bar.set_postfix_str(f"{name}: fit")
            est = clone(estimator)
            start = time.perf_counter()
            est.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            tables["fit_time"].append({"estimator": name, "fit_time_s": seconds})
            fitted[name] = est
            if bar is not None:
                bar.update(1)
            if patterns is not None:
                if bar is not None:
                    bar.set_postfix_str(f"{name}: missing patterns")
                table = _columns(
                    missing_pattern_scores(est, X_test, y_test, patterns, scoring, modalities)
                )
                for i in range(len(table["pattern"])):
                    row = {"estimator": name, **{k: v[i] for k, v in table.items()}}
                    tables["missing_patterns"].append(row)
                if bar is not None:
                    bar.update(1)
            if levels:
                if bar is not None:
                    bar.set_postfix_str(f"{name}: noise")
                targets = noise_targets
                if targets is None:
                    targets = _Input(X_test, est, modalities).names
                for target in targets:
                    noise = GaussianNoise(targets=target, random_state=random_state)
                    table = _columns(corruption_scores(
                        est, X_test, y_test, noise, "std", levels, scoring, modalities
                    ))
                    for i in range(len(levels)):
                        row = {"estimator": name, "modality": target}
                        row.update({k: v[i] for k, v in table.items()})
                        tables["noise"].append(row)
                if bar is not None:
                    bar.update(1)
            if conflictive is not None:
                options = {"random_state": random_state, **conflictive}
                for row in _conflictive_scores(est, X_test, y_test, options, scoring, modalities):
                    tables["conflictive"].append({"estimator": name, **row})
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    names = {_scoring_name(est, scoring) for est in fitted.values()}
    label = names.pop() if len(names) == 1 else None  # None: unknown, or differing metrics
    report = {}
    for key, rows in tables.items():
        if rows:
            keys = list(dict.fromkeys(k for r in rows for k in r))
            table = {k: [r.get(k, np.nan) for r in rows] for k in keys}
            report[key] = _make_table(table, None if key == "fit_time" else label)
    if return_estimators:
        report["estimators"] = fitted
    return report
