"""Result tables: a pandas DataFrame when pandas is installed, else a dict of numpy
arrays with the same columns (what :mod:`skmm.evaluation` returns and
:mod:`skmm.plotting` and the command line read)."""

import numpy as np

from skmm._data import _is_dataframe


def _pandas():
    """pandas, or None when it is not installed (an optional dependency)."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def _make_table(columns, scoring=None):
    """A DataFrame (or a dict of arrays without pandas) of ``columns``.

    ``scoring``: the name of the metric in the ``score`` column, kept in the
    DataFrame's ``attrs["scoring"]`` (the plots' axis label).
    """
    columns = {k: _column(v) for k, v in columns.items()}
    pd = _pandas()
    if pd is None:
        return columns
    table = pd.DataFrame(columns)
    if scoring is not None and "score" in table.columns:
        table.attrs["scoring"] = scoring
    return table


def _scoring_label(table):
    """The metric named by a table's ``attrs["scoring"]``, or ``None``."""
    label = getattr(table, "attrs", {}).get("scoring")
    return label if isinstance(label, str) else None


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


def _append(table, values):
    for key, value in values.items():
        table.setdefault(key, []).append(value)
