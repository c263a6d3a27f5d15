"""Robustness evaluation of fitted estimators: missing patterns and corruption.

* :func:`missing_pattern_scores` scores a fitted estimator under every (or
  each given) test-time missing pattern, the RAML paper's Table I;
  :func:`summarize_by_size` averages those scores by the number of present
  modalities and over all patterns.
* :func:`corruption_scores` scores it under increasing corruption (noise std,
  masking rate, missing rate), the paper's Tables II and III.
* :func:`robustness_report` runs the whole protocol for several estimators:
  missing patterns, noise per modality, fit time and RCML's conflictive test.
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
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.utils import _safe_indexing

from skmm._data import (
    SINGLE_MODALITY,
    MultimodalData,
    _is_dataframe,
    check_multimodal,
    restore_like,
)
from skmm.augmentation import _check_patterns, presence_patterns
from skmm.corruption import KeepModalities

__all__ = [
    "calibration_scores",
    "corruption_scores",
    "expected_calibration_error",
    "missing_pattern_scores",
    "removal_violations",
    "robustness_report",
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

    def back(self, mm, rows):
        """The model's input for samples ``rows`` from transformed modalities ``mm``."""
        if isinstance(self.X, dict):
            return mm
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


def _append(table, values):
    for key, value in values.items():
        table.setdefault(key, []).append(value)


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
        A fitted estimator (or Pipeline) that accepts ``X``.
    X : dict, MultimodalData, array-like or DataFrame
        Test data: modalities, or flat data split by ``modalities``.
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
    inp = _Input(X, estimator, modalities)
    if len(inp.names) == 1:
        warnings.warn(
            f"missing_pattern_scores: X reads as the single modality {inp.names[0]!r}, so there "
            "is one pattern to score. For flat data, pass modalities={name: columns, ...}.",
            UserWarning,
            stacklevel=2,
        )
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
        A fitted estimator (or Pipeline) that accepts ``X``.
    X : dict, MultimodalData, array-like or DataFrame
        Clean test data: modalities, or flat data split by ``modalities``.
    y : array-like of shape (n_samples,)
        True labels.
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
    return _make_table(table)



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
    from skmm import corruption

    make = getattr(corruption, "make_conflictive", None)
    if make is None:
        raise ValueError(
            "conflictive= needs skmm.corruption.make_conflictive, which this version of skmm "
            "does not have."
        )
    inp = _Input(X, estimator, modalities)
    rows = np.arange(inp.mask.shape[0])
    score = _scorer(estimator, scoring)
    conflicted, indices = make(inp.mm, y, **options)
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

    Parameters
    ----------
    estimators : dict, list or estimator
        Name -> unfitted estimator (or Pipeline); a list or a single estimator
        is named by class. Each is cloned, so the objects passed are left
        unfitted.
    X_train, y_train : dict, MultimodalData, array-like or DataFrame; array-like
        Training data (missing modalities as NaN rows) and labels.
    X_test, y_test : dict, MultimodalData, array-like or DataFrame; array-like
        Test data and labels.
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
    scoring : str, callable, list, dict or None, default=None
        As in :func:`missing_pattern_scores`; ``None`` uses each estimator's
        ``score`` (accuracy for classifiers).
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
        Tables (pandas DataFrames when pandas is installed, else dicts of
        arrays), each with a first column ``estimator``:

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
    report = {}
    for key, rows in tables.items():
        if rows:
            keys = list(dict.fromkeys(k for r in rows for k in r))
            report[key] = _make_table({k: [r.get(k, np.nan) for r in rows] for k in keys})
    if return_estimators:
        report["estimators"] = fitted
    return report


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
        ``score_ece``, ``score_accuracy`` (of the top-label prediction, the
        argmax of ``predict_proba``) and ``score_confidence``.
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

    def scores(est, X, y):
        # one forward pass per pattern for the three columns (a dict of scorers would
        # run predict_proba twice and predict once)
        proba = np.asarray(est.predict_proba(X))
        return {
            "ece": expected_calibration_error(y, proba, classes=est.classes_, n_bins=n_bins),
            "accuracy": float(np.mean(est.classes_[proba.argmax(1)] == np.asarray(y))),
            "confidence": float(proba.max(1).mean()),
        }

    return missing_pattern_scores(estimator, X, y, patterns=patterns, scoring=scores)


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
