"""Plots of robustness tables, RAML fusion weights and RedCore's training curves.

matplotlib is an optional dependency (``pip install skmm[plot]``); it is
imported when a function is called. Every function draws on the given ``ax``
(a new figure when ``None``) and returns the matplotlib Axes.
"""

import numpy as np

from skmm._tables import _columns, _score_columns, _scoring_label

__all__ = [
    "plot_eta_history",
    "plot_fusion_weights",
    "plot_pattern_scores",
    "plot_robustness_curve",
    "plot_robustness_report",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "skmm's plotting functions need matplotlib; install it with "
            "`pip install skmm[plot]` (or `pip install matplotlib`)."
        ) from None
    return plt


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots()
    else:
        _pyplot()
    return ax


def _y_label(table, score):
    """The metric's name for the ``score`` column when the table knows it, else the column."""
    label = _scoring_label(table) if score == "score" else None
    return score if label is None else label


def _score_column(cols, score):
    if score is None:
        names = _score_columns(cols)
        if len(names) > 1:
            raise ValueError(
                f"The table has several score columns {names}; choose one with score=..."
            )
        return names[0]
    if score not in cols:
        raise ValueError(f"Column {score!r} is not in the table (columns: {list(cols)}).")
    return score


def plot_robustness_curve(table, x=None, score=None, *, ax=None, label=None, **kwargs):
    """Plot a score against a corruption level (a line with markers).

    Parameters
    ----------
    table : pandas.DataFrame or dict of arrays
        The output of :func:`skmm.evaluation.corruption_scores`.
    x : str, default=None
        Column of the corruption level; ``None`` takes the first column.
    score : str, default=None
        Score column; ``None`` takes the only one (``"score"``). The y axis
        is labelled by the column, or for ``"score"`` by the metric the
        table's ``attrs["scoring"]`` names (``"accuracy"``, ``"r2"``, ...).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when ``None``. Call again with the same
        ``ax`` and another ``label`` to compare estimators.
    label : str, default=None
        Legend label of the line (a legend is drawn when given).
    **kwargs
        Passed to ``ax.plot``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from skmm.plotting import plot_robustness_curve
    >>> table = {"std": [0.0, 0.5, 1.0], "score": [0.95, 0.8, 0.6]}
    >>> ax = plot_robustness_curve(table, label="RAML")
    >>> len(ax.lines), ax.get_xlabel()
    (1, 'std')
    """
    ax = _axes(ax)
    cols = _columns(table)
    x = next(iter(cols)) if x is None else x
    if x not in cols:
        raise ValueError(f"Column {x!r} is not in the table (columns: {list(cols)}).")
    score = _score_column(cols, score)
    kwargs.setdefault("marker", "o")
    ax.plot(cols[x], cols[score], label=label, **kwargs)
    ax.set_xlabel(x)
    ax.set_ylabel(_y_label(table, score))
    if label is not None:
        ax.legend()
    return ax


def _pattern_label(pattern):
    if isinstance(pattern, str):
        return pattern
    return "+".join(str(p) for p in pattern)


def plot_pattern_scores(table, score=None, *, ax=None, sort=False, **kwargs):
    """Bar chart of the score of each missing-modality pattern.

    Bars are colored by the number of present modalities.

    Parameters
    ----------
    table : pandas.DataFrame or dict of arrays
        The output of :func:`skmm.evaluation.missing_pattern_scores`.
    score : str, default=None
        Score column; ``None`` takes the only one (``"score"``). The y axis
        is labelled as in :func:`plot_robustness_curve`.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when ``None``.
    sort : bool, default=False
        Sort the bars by score (descending) instead of the table order.
    **kwargs
        Passed to ``ax.bar``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from skmm.plotting import plot_pattern_scores
    >>> table = {"pattern": [("a",), ("b",), ("a", "b")], "n_present": [1, 1, 2],
    ...          "score": [0.9, 0.5, 0.95]}
    >>> ax = plot_pattern_scores(table)
    >>> len(ax.patches), [t.get_text() for t in ax.get_xticklabels()]
    (3, ['a', 'b', 'a+b'])
    """
    plt = _pyplot()
    ax = _axes(ax)
    cols = _columns(table)
    if "pattern" not in cols:
        summary = (
            " (summarize_by_size's summary averages over patterns: plot the table it was "
            "made from)"
            if "n_patterns" in cols
            else ""
        )
        raise ValueError(
            "plot_pattern_scores needs the per-pattern table of missing_pattern_scores, with a "
            f"'pattern' column; got a table with columns {list(cols)}{summary}."
        )
    score = _score_column(cols, score)
    values = cols[score].astype(float)
    labels = [_pattern_label(p) for p in cols["pattern"]]
    sizes = (
        cols["n_present"].astype(int)
        if "n_present" in cols
        else np.array([len(p) for p in cols["pattern"]])
    )
    order = np.argsort(-values, kind="stable") if sort else np.arange(values.size)
    if "color" not in kwargs:
        cmap = plt.get_cmap("viridis")
        top = max(int(sizes.max()), 1)
        kwargs["color"] = [cmap((s - 1) / max(top - 1, 1) * 0.8) for s in sizes[order]]
    positions = np.arange(values.size)
    ax.bar(positions, values[order], **kwargs)
    ax.set_xticks(positions)
    ax.set_xticklabels([labels[i] for i in order], rotation=45 if len(labels) > 7 else 0)
    ax.set_xlabel("present modalities")
    ax.set_ylabel(_y_label(table, score))
    return ax


def _size_colors(plt, sizes):
    """Bar colour per number of present modalities (shared by the bars and their legend)."""
    cmap = plt.get_cmap("viridis")
    top = max(int(np.max(sizes)), 1)
    return {int(s): cmap((s - 1) / max(top - 1, 1) * 0.8) for s in np.unique(sizes)}


def _rows_of(cols, column, value):
    rows = cols[column] == value
    return {k: v[rows] for k, v in cols.items() if k != column}


def plot_robustness_report(report, *, title=None, score=None, figure=None):
    """Plot the tables of :func:`skmm.evaluation.robustness_report` in one figure.

    Top row: one bar chart of missing-pattern scores per estimator, bars
    coloured by the number of present modalities (with a legend). Bottom
    row: one panel per noisy modality, a curve per estimator (with a
    legend). Each row has exactly as many panels as it needs. The y axes
    name the metric (``attrs["scoring"]`` of the report's DataFrames:
    ``"accuracy"`` for classifiers, ``"r2"`` for regressors, or the
    ``scoring`` given; the score column of dict tables) and span ``[0, 1]``
    when every score lies in it, else fit the scores (a negative R², a
    ``"neg_mean_absolute_error"``).

    Parameters
    ----------
    report : dict
        The output of :func:`skmm.evaluation.robustness_report` (its
        ``"missing_patterns"`` and ``"noise"`` tables; either may be absent).
    title : str, default=None
        Figure title, e.g. the data set.
    score : str, default=None
        Score column; ``None`` takes the only one (``"score"``).
    figure : matplotlib Figure, default=None
        Where to draw; a new ``matplotlib.figure.Figure`` (not registered with
        pyplot) when ``None``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from skmm.plotting import plot_robustness_report
    >>> report = {
    ...     "missing_patterns": {"estimator": ["m"] * 3, "pattern": [("a",), ("b",), ("a", "b")],
    ...                          "n_present": [1, 1, 2], "score": [0.8, 0.6, 0.9]},
    ...     "noise": {"estimator": ["m"] * 2, "modality": ["a", "a"], "std": [0.0, 1.0],
    ...               "score": [0.9, 0.7]}}
    >>> fig = plot_robustness_report(report, title="toy data")
    >>> [len(sub.axes) for sub in fig.subfigs], fig._suptitle.get_text()
    ([1, 1], 'toy data')
    >>> [float(v) for v in fig.subfigs[0].axes[0].get_ylim()]
    [0.0, 1.02]
    """
    plt = _pyplot()
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = [k for k in ("missing_patterns", "noise") if k in report]
    if not rows:
        raise ValueError(
            f"The report has no missing_patterns or noise table (keys: {list(report)})."
        )
    tables = {k: _columns(report[k]) for k in rows}
    scores = [tables[k][_score_column(tables[k], score)].astype(float) for k in rows]
    finite = np.concatenate(scores)
    finite = finite[np.isfinite(finite)]
    unit_range = bool(finite.size) and finite.min() >= 0 and finite.max() <= 1
    estimators = list(dict.fromkeys(
        e for k in rows for e in tables[k]["estimator"]
    ))
    panels = {"missing_patterns": estimators}
    if "noise" in tables:
        panels["noise"] = list(dict.fromkeys(tables["noise"]["modality"]))
    width = max(len(panels[k]) for k in rows)
    fig = figure if figure is not None else Figure(
        figsize=(3.2 * width + 1.0, 3.6 * len(rows)), layout="constrained"
    )
    subfigs = np.atleast_1d(fig.subfigures(len(rows), 1))
    for sub, key in zip(subfigs, rows):
        axes = np.atleast_1d(sub.subplots(1, len(panels[key]), sharey=True))
        cols = tables[key]
        if key == "missing_patterns":
            colors = _size_colors(plt, cols["n_present"].astype(int))
            for ax, name in zip(axes, estimators):
                part = _rows_of(cols, "estimator", name)
                sizes = part["n_present"].astype(int)
                plot_pattern_scores(part, score, ax=ax, color=[colors[s] for s in sizes])
                ax.set_title(name)
                ax.tick_params(axis="x", labelrotation=90)
            handles = [Patch(color=c, label=f"{s} present") for s, c in colors.items()]
            axes[-1].legend(handles=handles, title="modalities", fontsize="small",
                            loc="lower right")
        else:
            for ax, modality in zip(axes, panels["noise"]):
                part = _rows_of(cols, "modality", modality)
                for name in estimators:
                    mine = _rows_of(part, "estimator", name)
                    if mine["std"].size:
                        plot_robustness_curve(mine, "std", score, ax=ax, label=name)
                ax.set_xlabel(f"noise std on {modality}")
        label = _y_label(report[key], _score_column(cols, score))
        for ax in axes:
            ax.set_ylabel(label)
            if unit_range:  # accuracy, R² of a good model: the whole [0, 1] scale
                ax.set_ylim(0, 1.02)
    if title is not None:
        fig.suptitle(title)
    return fig


def plot_fusion_weights(weights, sample=None, *, ax=None, cmap="viridis", colorbar=True):
    """Heatmap of RAML's element-wise fusion weights (the paper's Fig. 5).

    Parameters
    ----------
    weights : dict
        Modality name -> array of shape (n_samples, latent_dim), as returned
        by :meth:`skmm.RAMLClassifier.fusion_weights`.
    sample : int, default=None
        The sample to show; ``None`` shows the mean over samples.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when ``None``.
    cmap : str, default="viridis"
        Colormap.
    colorbar : bool, default=True
        Draw a colorbar.

    Returns
    -------
    matplotlib.axes.Axes
        One row per modality, one column per latent dimension.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.plotting import plot_fusion_weights
    >>> w = {"image": np.full((5, 8), 0.75), "text": np.full((5, 8), 0.25)}
    >>> ax = plot_fusion_weights(w)
    >>> ax.images[0].get_array().shape, [t.get_text() for t in ax.get_yticklabels()]
    ((2, 8), ['image', 'text'])
    """
    plt = _pyplot()
    ax = _axes(ax)
    if not isinstance(weights, dict) or not weights:
        raise TypeError(
            "weights must be the dict modality name -> (n_samples, latent_dim) array "
            "returned by RAMLClassifier.fusion_weights."
        )
    names = list(weights)
    arrays = [np.asarray(weights[n], dtype=float) for n in names]
    if sample is None:
        rows = [a.reshape(-1, a.shape[-1]).mean(0) for a in arrays]
        title = "mean fusion weights"
    else:
        rows = [a[sample] for a in arrays]
        title = f"fusion weights of sample {sample}"
    image = ax.imshow(np.stack(rows), aspect="auto", cmap=cmap, vmin=0.0, vmax=1.0,
                      interpolation="nearest")
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels(names)
    ax.set_xlabel("latent dimension")
    ax.set_title(title)
    if colorbar:
        plt.colorbar(image, ax=ax)
    return ax


def _history(values, given, what):
    if isinstance(values, dict):
        names = list(values)
        arr = np.column_stack([np.asarray(values[n], dtype=float) for n in names])
    else:
        arr = np.asarray(values, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(
                f"{what} must be an (n_steps, n_modalities) array or a dict of per-step "
                f"values; got shape {arr.shape}."
            )
        names = None
    if given is not None:
        names = list(given)
    if names is None:
        names = [f"modality {m}" for m in range(arr.shape[1])]
    if len(names) != arr.shape[1]:
        raise ValueError(
            f"{what} has {arr.shape[1]} columns but {len(names)} modality names were given."
        )
    return arr, names


def plot_eta_history(
    eta_history,
    relative_advantage_history=None,
    names=None,
    *,
    ax=None,
    xlabel="regulation step",
):
    """Plot RedCore's per-modality ``eta`` (and relative advantage) during training.

    Parameters
    ----------
    eta_history : array-like of shape (n_updates, n_modalities) or dict
        ``eta`` per regulation step and modality, e.g.
        ``RedCoreClassifier.eta_history_`` (a dict maps modality name ->
        values per step).
    relative_advantage_history : array-like or dict, default=None
        The relative advantage per step and modality, in the same form (e.g.
        ``RedCoreClassifier.relative_advantage_history_``); when given it is
        drawn on a second Axes below.
    names : list of str, default=None
        Modality names (legend); taken from a dict's keys when ``None``.
        (``modalities`` means a column spec elsewhere in skmm.)
    ax : matplotlib Axes or pair of Axes, default=None
        Where to draw (a pair when ``relative_advantage_history`` is given);
        a new figure when ``None``.
    xlabel : str, default="regulation step"
        Label of the x axis (steps are numbered from 1).

    Returns
    -------
    matplotlib.axes.Axes, or ndarray of two Axes
        A single Axes, or ``[eta_axes, relative_advantage_axes]`` when the
        relative advantage is plotted too.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.plotting import plot_eta_history
    >>> eta = np.array([[0.5, 0.5], [0.6, 0.4], [0.7, 0.3]])
    >>> ax = plot_eta_history(eta, names=["audio", "video"])
    >>> [line.get_label() for line in ax.lines]
    ['audio', 'video']
    """
    plt = _pyplot()
    eta, names = _history(eta_history, names, "eta_history")
    both = relative_advantage_history is not None
    if ax is None:
        _, axes = plt.subplots(2 if both else 1, 1, sharex=True, squeeze=False)
        axes = axes[:, 0]
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object))
        if len(axes) != (2 if both else 1):
            raise ValueError(
                f"ax must be {'a pair of Axes' if both else 'one Axes'} here, got {len(axes)}."
            )
    steps = np.arange(1, eta.shape[0] + 1)
    for m, name in enumerate(names):
        axes[0].plot(steps, eta[:, m], label=name)
    axes[0].set_ylabel("eta")
    axes[0].legend()
    if both:
        ra, _ = _history(relative_advantage_history, names, "relative_advantage_history")
        for m, name in enumerate(names):
            axes[1].plot(np.arange(1, ra.shape[0] + 1), ra[:, m], label=name)
        axes[1].set_ylabel("relative advantage")
        axes[1].legend()
    axes[-1].set_xlabel(xlabel)
    return axes if both else axes[0]
