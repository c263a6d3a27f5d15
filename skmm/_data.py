"""The multimodal data layer: every input form, every input check, one place.

skmm accepts three forms of input, and every estimator and transformer converts
them here:

* a ``dict`` (or :class:`MultimodalData`) mapping modality name to an array,
  2D ``(n, d)`` for feature vectors or 3D ``(n, T, d)`` for sequences; the
  modality order is the dict's order;
* a flat 2D array (numpy or pandas) plus a *modality spec* mapping names to
  column indices, slices or, for DataFrames, column names;
* a flat 2D array without a spec, which is one modality named ``"x"``.

**The NaN rule.** A modality is missing for a sample when every value of that
sample's row is NaN (for a sequence: every value of every timestep). In a
present sequence, a timestep whose values are all NaN is padding; padding must
come after the valid timesteps. Any other NaN (some but not all values of a row
or a timestep) is an error, as is ``inf``.

This module imports numpy, scipy and scikit-learn only (never torch).
"""

from __future__ import annotations

import math
import mmap
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from skmm._warnings import user_stacklevel

__all__ = ["MultimodalData", "as_multimodal", "check_multimodal"]

#: Name of the single modality of a flat 2D array given without a spec.
SINGLE_MODALITY = "x"


class MultimodalData(dict):
    """A dict of per-modality arrays that scikit-learn can index by samples.

    sklearn's model-selection tools count and index samples through
    ``X.shape[0]`` and ``X[indices, ...]``; a plain dict has neither. This thin
    wrapper (the same protocol as ``skorch.helper.SliceDict``, without
    importing torch) gives a dict both, so ``train_test_split``,
    ``cross_val_score``, ``GridSearchCV`` and ``Pipeline`` work on multimodal
    data. Indexing by a modality name returns that modality's array; indexing
    by anything else (a slice, an integer array, a boolean mask) indexes every
    modality along the sample axis, *by position* (as scikit-learn's
    ``_safe_indexing`` does: ``.iloc`` for a pandas DataFrame, whatever its
    index), and returns a new ``MultimodalData``. A DataFrame stays a
    DataFrame.

    A ``MultimodalData`` that :class:`~skmm.MissingPatternAugmenter` returns
    also records, privately, which original sample each of its rows copies.
    Indexing by samples, :meth:`copy` and pickling keep that record (a new
    ``MultimodalData`` built from the arrays does not), so that an estimator
    holding out an early-stopping validation split can refuse rows that are
    copies of one another, however the data reached it (``X[train]`` in a
    cross-validation, a copy, a process pool).

    Parameters
    ----------
    data : mapping, default=None
        Modality name -> array with samples along the first axis.
    **arrays : array-like
        More modalities, as keyword arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import MultimodalData
    >>> X = MultimodalData(image=np.zeros((4, 3)), text=np.ones((4, 2, 5)))
    >>> X.shape
    (4,)
    >>> X[[0, 2]]["text"].shape
    (2, 2, 5)
    """

    #: For rows that copy other rows (MissingPatternAugmenter's output): the id of the
    #: original sample each row copies, an int array of shape (n_samples,); ``None``
    #: when the rows are distinct samples. The one record of the copies: sample
    #: indexing, ``copy`` and pickling carry it; ``_copies_samples`` reads it.
    _sample_ids = None

    #: Whether :func:`as_multimodal` split these modalities from a flat ``X`` by a
    #: column spec (errors then say how to split it in a Pipeline instead).
    _from_spec = False

    def __init__(self, data=None, /, **arrays):
        super().__init__()
        self._len = 0
        items = dict(data or {}, **arrays)
        for key, value in items.items():
            self[key] = value

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"Modality names must be str, got {type(key).__name__}: {key!r}.")
        if not hasattr(value, "shape"):
            value = np.asarray(value)
        n = value.shape[0] if len(value.shape) else 0
        if not dict.__len__(self):
            self._len = n
        elif n != self._len:
            raise ValueError(
                f"Modality {key!r} has {n} samples, but the other modalities have {self._len}."
            )
        _check_same_index(self, key, value)
        super().__setitem__(key, value)

    def __getitem__(self, index):
        if isinstance(index, str):
            return super().__getitem__(index)
        if isinstance(index, tuple) and len(index) == 2 and index[1] is Ellipsis:
            index = index[0]  # sklearn's _safe_indexing asks for X[indices, ...]
        if isinstance(index, numbers.Integral):
            raise TypeError(
                "MultimodalData cannot be indexed by a single integer (it would drop the "
                "sample axis); use a slice such as X[3:4] or a list such as X[[3]]."
            )
        rows = type(self)({k: _take_rows(v, index) for k, v in self.items()})
        if self._sample_ids is not None:
            rows._sample_ids = _take_rows(self._sample_ids, index)
        return rows

    def __len__(self):
        return self._len

    @property
    def shape(self):
        """``(n_samples,)``: what sklearn reads to count samples."""
        return (self._len,)

    @property
    def _copies_samples(self):
        """Whether some rows are copies of one sample (see ``_sample_ids``): an
        estimator that holds out a validation split refuses such data."""
        ids = self._sample_ids
        return ids is not None and np.unique(ids).size < ids.size

    def copy(self):
        """A new ``MultimodalData`` holding the same arrays (not copied)."""
        new = type(self)(self)
        new._sample_ids = self._sample_ids
        return new

    def update(self, other=(), /, **kwargs):
        """Add or replace modalities, each checked for the number of samples."""
        for key, value in dict(other, **kwargs).items():
            self[key] = value

    def __repr__(self):
        parts = ", ".join(f"{k}: {getattr(v, 'shape', '?')}" for k, v in self.items())
        return f"MultimodalData({{{parts}}}, n_samples={self._len})"

    def __reduce__(self):
        state = None if self._sample_ids is None else {"_sample_ids": self._sample_ids}
        return (type(self), (dict(self),), state)


def _check_same_index(modalities, key, value):
    """Refuse a pandas modality whose index disagrees with another modality's.

    The modalities of a sample are joined by position; two DataFrames (or
    Series) whose index labels differ at some position would pair the rows of
    different samples, so that is an error that names both modalities and the
    first rows that disagree.
    """
    labels = _row_labels(value)
    if labels is None:
        return
    for other, other_value in dict.items(modalities):
        other_labels = _row_labels(other_value)
        if other == key or other_labels is None or other_labels.equals(labels):
            continue
        differ = np.asarray(other_labels, dtype=object) != np.asarray(labels, dtype=object)
        if not differ.any():  # equal labels of different index types (1 and 1.0)
            continue
        first = np.flatnonzero(differ)[:5]
        more = ", ..." if differ.sum() > first.size else ""
        theirs, ours = (
            ", ".join(repr(_py(v)) for v in np.asarray(index, dtype=object)[first])
            for index in (other_labels, labels)
        )
        raise ValueError(
            f"Modalities {other!r} and {key!r} have different pandas indexes: the rows at "
            f"positions {_rows(differ)} are labelled [{theirs}{more}] in {other!r} "
            f"but [{ours}{more}] in {key!r}. skmm pairs the modalities of a sample by "
            "position, as scikit-learn does, never by index label. Align them by label first "
            f"(X_{key} = X_{key}.reindex(X_{other}.index): rows it lacks become NaN rows, "
            "that is, missing), or, if the rows already correspond by position, drop the "
            "labels with .reset_index(drop=True)."
        )


def _take_rows(value, index):
    """Rows of one modality by position: ``.iloc`` for pandas, ``[]`` otherwise."""
    if hasattr(value, "iloc"):
        return value.iloc[index]
    return value[index]


def _rows(index_array, limit=5, labels=None):
    """Format the first offending row positions for an error message.

    ``labels`` (a pandas index) adds the index labels of those rows when they
    differ from the positions.
    """
    rows = np.flatnonzero(index_array)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f", ... ({rows.size} rows in all)" if rows.size > limit else ""
    text = f"[{shown}{more}]"
    if labels is not None and not np.array_equal(np.asarray(labels), np.arange(len(labels))):
        named = ", ".join(repr(_py(v)) for v in np.asarray(labels)[rows[:limit]])
        text += f" (DataFrame index labels [{named}{', ...' if more else ''}])"
    return text


def _py(value):
    """A numpy scalar as the plain Python value (``0``, not ``np.int64(0)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _is_dataframe(X):
    return hasattr(X, "iloc") and hasattr(X, "columns")


def _row_labels(value):
    """The index of a pandas input (for error messages), else ``None``."""
    return getattr(value, "index", None) if hasattr(value, "iloc") else None


def _check_container(X):
    """Reject a list of per-modality arrays, the commonest wrong container."""
    if isinstance(X, list | tuple) and X and all(
        hasattr(v, "shape") and len(v.shape) >= 2 for v in X
    ):
        shapes = ", ".join(str(tuple(v.shape)) for v in X[:4])
        raise TypeError(
            f"X is a {type(X).__name__} of {len(X)} arrays (shapes {shapes}"
            f"{', ...' if len(X) > 4 else ''}); pass a dict or MultimodalData mapping each "
            "modality name to its array, e.g. MultimodalData(a=X_a, b=X_b). For a single "
            "sequence modality, stack the samples into one 3D array (np.stack)."
        )


def as_multimodal(X, modalities=None):
    """Turn any accepted input form into a :class:`MultimodalData`.

    Only the container is converted; values are checked by
    :func:`check_multimodal`.

    Parameters
    ----------
    X : dict, MultimodalData, array-like of shape (n_samples, n_features) or DataFrame
        The input.
    modalities : dict, default=None
        For a flat 2D ``X`` only: modality name -> column indices (a list or
        array of ints), a ``slice``, or for a DataFrame a list of column names.
        ``None`` makes a flat ``X`` a single modality named ``"x"``.

    Returns
    -------
    MultimodalData

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import as_multimodal
    >>> X = as_multimodal(np.arange(12.).reshape(3, 4), {"a": slice(0, 1), "b": [1, 2, 3]})
    >>> {k: v.shape for k, v in X.items()}
    {'a': (3, 1), 'b': (3, 3)}
    """
    if sp.issparse(X):  # before the dict test: a scipy DOK matrix is a dict
        raise TypeError(
            "Sparse input is not supported; convert it with X.toarray() (skmm's networks "
            "use dense tensors)."
        )
    if isinstance(X, dict):
        if modalities is not None:
            raise ValueError(
                "`modalities` splits the columns of a flat 2D array; it cannot be used "
                f"with dict input (got modalities for keys {list(X)})."
            )
        if not X:
            raise ValueError(
                f"Empty data: X is an empty {type(X).__name__} (no modality); give at least "
                "one modality, e.g. MultimodalData(a=X_a)."
            )
        for key in X:
            if not isinstance(key, str):
                raise TypeError(
                    f"Modality names must be str, got {type(key).__name__}: {key!r}."
                )
        if isinstance(X, MultimodalData):
            return X
        lengths = {k: (np.shape(v)[0] if np.ndim(v) else 0) for k, v in X.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{k!r}: {n}" for k, n in lengths.items())
            raise ValueError(f"Modalities have different numbers of samples ({detail}).")
        return MultimodalData(X)
    _check_container(X)
    if modalities is None:
        return MultimodalData({SINGLE_MODALITY: X})
    if not isinstance(modalities, dict) or not modalities:
        raise TypeError(
            "`modalities` must be a non-empty dict mapping modality names to columns, "
            f"got {modalities!r}."
        )
    frame = _is_dataframe(X)
    arr = X if frame else np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(
            f"A modality spec splits the columns of a 2D array, got an array of shape {arr.shape}."
        )
    n_cols = arr.shape[1]
    positions, selectors = {}, {}
    for name, cols in modalities.items():
        if frame and not isinstance(cols, slice) and not _is_positional(cols):
            cols = [cols] if isinstance(cols, str) else list(cols)
            missing = [c for c in cols if c not in X.columns]
            if missing:
                raise ValueError(
                    f"Modality {name!r}: columns {missing} are not in the DataFrame."
                )
            positions[name] = X.columns.get_indexer(cols)
            continue
        if not isinstance(cols, slice):
            cols = np.atleast_1d(np.asarray(cols))
            if cols.dtype.kind in "USO":
                raise TypeError(
                    f"Modality {name!r}: columns {cols[:5].tolist()} are names, but X is a "
                    "NumPy array, which has no column names (a Pipeline step such as "
                    "StandardScaler returns NumPy arrays). Keep the DataFrame's columns by "
                    'setting that step\'s output to pandas (StandardScaler().set_output('
                    'transform="pandas")), or split the modalities first: '
                    "make_pipeline(SplitModalities(spec), PerModality(StandardScaler()), ...)."
                )
            if cols.dtype.kind not in "iu":
                raise TypeError(
                    f"Modality {name!r}: columns of a numpy array must be integer indices or a "
                    f"slice, got {cols.dtype} values {cols[:5].tolist()}."
                )
            if cols.size and (cols.max() >= n_cols or cols.min() < -n_cols):
                raise ValueError(
                    f"Modality {name!r}: column index out of range for {n_cols} columns."
                )
        selectors[name] = cols  # a slice selects a view
        positions[name] = np.arange(n_cols)[cols]
        if positions[name].size == 0:
            raise ValueError(f"Modality {name!r} selects no columns.")
    _check_spec_cover(positions, n_cols, X.columns if frame else None)
    if frame:  # a DataFrame's modalities stay DataFrames (their index names rows in errors)
        mm = MultimodalData({name: X.iloc[:, pos] for name, pos in positions.items()})
    else:
        mm = MultimodalData({name: arr[:, cols] for name, cols in selectors.items()})
    mm._from_spec = True
    return mm


def _is_positional(cols):
    return bool(np.ndim(cols)) and len(cols) and isinstance(
        np.asarray(cols).flat[0], numbers.Integral
    )


def _check_spec_cover(positions, n_cols, columns=None):
    """A column spec must not overlap (error) and should use every column (warning)."""

    def fmt(pos):
        values = pos if columns is None else [_py(v) for v in np.asarray(columns)[pos]]
        shown = ", ".join(repr(_py(v)) for v in list(values)[:8])
        return f"[{shown}{', ...' if len(values) > 8 else ''}]"

    owner = {}
    for name, pos in positions.items():
        counts = np.bincount(pos, minlength=n_cols)
        if (counts > 1).any():
            raise ValueError(f"Modality {name!r} lists columns {fmt(np.flatnonzero(counts > 1))} "
                             "more than once.")
        for other, other_pos in owner.items():
            shared = np.intersect1d(pos, other_pos)
            if shared.size:
                raise ValueError(
                    f"The modality spec gives columns {fmt(shared)} to both {other!r} and "
                    f"{name!r}; each column belongs to one modality."
                )
        owner[name] = pos
    used = np.zeros(n_cols, dtype=bool)
    for pos in positions.values():
        used[pos] = True
    if not used.all():
        warnings.warn(
            f"The modality spec leaves columns {fmt(np.flatnonzero(~used))} ({(~used).sum()} of "
            f"{n_cols}) out of every modality; they are ignored. Drop them from X (or give "
            "them to a modality) to silence this warning.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


@dataclass(frozen=True)
class ModalityArrays:
    """Validated multimodal input, as every estimator and transformer sees it.

    Attributes
    ----------
    names : tuple of str
        Modality names, in order.
    arrays : tuple of array-like
        One array per modality. With ``copy=True`` (the default of
        :func:`check_multimodal`) a fresh array whose missing rows (and
        padding timesteps) hold the ``fill`` value. With ``copy=False``, the
        caller's own array wherever no conversion was needed (read it, never
        write it; its missing rows are still NaN, see ``has_nan``), and an
        out-of-core source (see :func:`is_out_of_core`) as it is: read its
        rows with :func:`read_rows` or :func:`take_rows`.
    mask : ndarray of shape (n_samples, n_modalities), dtype bool
        ``True`` where the modality is present.
    lengths : tuple of (ndarray or None)
        For a sequence modality, the number of valid timesteps per sample (0
        where missing); ``None`` for a 2D modality.
    has_nan : tuple of bool
        Whether each array still holds NaN (missing rows or padding) that its
        consumer must fill: only an array passed through uncopied, or a
        non-numeric modality with missing rows.
    sources : tuple
        Each modality as the caller gave it (a DataFrame stays a DataFrame),
        for a step that hands a transformer the modality itself (read it,
        never write it).
    """

    names: tuple
    arrays: tuple
    mask: np.ndarray
    lengths: tuple
    has_nan: tuple = ()
    sources: tuple = ()

    @property
    def n_samples(self):
        return self.mask.shape[0]

    @property
    def feature_shapes(self):
        """Per-modality feature shape: ``(d,)`` for 2D, ``(None, d)`` for sequences."""
        return {
            n: (a.shape[1],) if a.ndim == 2 else (None, a.shape[2])
            for n, a in zip(self.names, self.arrays)
        }


#: Bytes of one block of rows that validation and out-of-core reads handle at once.
BLOCK_BYTES = 16 * 2**20


def is_out_of_core(value):
    """Whether a modality is read in blocks of rows instead of as one in-memory array.

    True for an ``np.memmap`` opened on a file (not a slice of one) and for any
    array-like that is not a numpy array but has ``shape``, a numpy ``dtype``
    and row slicing (``value[a:b]``), such as an HDF5 (h5py) or zarr dataset.
    Such a source is never loaded whole: validation reads it in blocks of
    :data:`BLOCK_BYTES`, and a memmap's blocks are read with plain file reads,
    so that its pages stay in the page cache and out of the process's
    resident memory.
    """
    if isinstance(value, np.memmap):
        return isinstance(value.base, mmap.mmap)
    if isinstance(value, np.ndarray) or _is_dataframe(value) or sp.issparse(value):
        return False
    if not all(hasattr(value, a) for a in ("shape", "dtype", "__getitem__")):
        return False
    try:
        np.dtype(value.dtype)
    except TypeError:  # e.g. a torch tensor
        return False
    return len(value.shape) in (2, 3)  # anything else gets the in-memory checks' errors


def _block_rows(shape, itemsize=4):
    """Rows per block of about :data:`BLOCK_BYTES`."""
    row_bytes = itemsize * math.prod(shape[1:])
    return max(1, BLOCK_BYTES // max(1, row_bytes))


def read_rows(source, start, stop, dtype=np.float32):
    """Rows ``start:stop`` of an in-memory or out-of-core array, as ``dtype``.

    For an in-memory array of that dtype the result is a view (read it, never
    write it); otherwise a new array. A memmap over a file (mode ``"r"``,
    ``"r+"`` or ``"w+"``) is read with a plain file read rather than through
    the mapping.
    """
    if (
        isinstance(source, np.memmap)
        and isinstance(source.base, mmap.mmap)
        and source.mode != "c"  # copy-on-write changes live only in the mapping
        and source.filename
        and source.flags.c_contiguous
    ):
        out = np.empty((stop - start,) + source.shape[1:], dtype=source.dtype)
        row_bytes = source.dtype.itemsize * math.prod(source.shape[1:])
        with open(source.filename, "rb") as f:
            f.seek(source.offset + start * row_bytes)
            if f.readinto(memoryview(out).cast("B")) != out.nbytes:
                raise ValueError(f"Short read from {source.filename!r} at rows {start}:{stop}.")
    else:
        out = np.asarray(source[start:stop])
    with np.errstate(over="ignore"):  # a value too large for dtype: the inf error of _scan
        return out.astype(dtype, copy=False)


def take_rows(source, rows, dtype=np.float32):
    """``source[rows]`` for sorted row indices, read in blocks of consecutive rows.

    A read spans at most :data:`BLOCK_BYTES` of consecutive source rows and
    skips no more than 1/16 of that between two wanted rows, so a dense run of
    rows costs one sequential read and a sparse one reads little it drops.
    """
    rows = np.asarray(rows, dtype=np.int64)
    out = np.empty((rows.size,) + tuple(source.shape[1:]), dtype=dtype)
    span = _block_rows(source.shape, np.dtype(source.dtype).itemsize)
    cuts = np.flatnonzero(np.diff(rows) > max(1, span // 16)) + 1
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, rows.size]):
        i = int(lo)
        while i < hi:
            start = int(rows[i])
            j = int(lo) + int(np.searchsorted(rows[lo:hi], start + span, side="left"))
            block = read_rows(source, start, int(rows[j - 1]) + 1, dtype)
            out[i:j] = block if block.shape[0] == j - i else block[rows[i:j] - start]
            i = j
    return out


def _encode_hint(name, columns=None, from_spec=False):
    """How to encode a non-numeric modality, for its error message: all of it, or
    only ``columns`` (the non-numeric columns of a DataFrame that has others);
    ``from_spec``: the modality was split from a flat ``X`` by a column spec."""
    onehot = "OneHotEncoder(handle_unknown='ignore')"
    if columns is None:
        hint = (
            " Encode it in a Pipeline step before the estimator, e.g. "
            f"PerModality({onehot}, targets={name!r})."
        )
    else:
        hint = (
            " Encode these columns in a Pipeline step before the estimator, e.g. "
            f"PerModality(ColumnTransformer([('onehot', {onehot}, {columns!r})], "
            f"remainder='passthrough'), targets={name!r})."
        )
    if from_spec:
        hint += (
            " The modalities of a flat X are split by the column spec: split them first, "
            "make_pipeline(SplitModalities(modalities), PerModality(...), estimator), so "
            "that the encoder may change the modality's width."
        )
    return hint


def _numeric_column(column):
    """Whether a pandas column holds numbers (a numpy or nullable numeric dtype, or
    objects and categories that all convert to float); dates and times do not."""
    if getattr(column.dtype, "kind", "O") in "biuf":
        return True
    if getattr(column.dtype, "kind", "O") in "mM":
        return False
    try:
        column.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return False
    return True


def _to_numeric(name, value, keep_non_numeric=False, from_spec=False):
    """The numeric array of one modality, or ``None`` for a non-numeric 2D modality
    when ``keep_non_numeric`` (it is then used as given); ``from_spec`` is for the
    error message (see :func:`_encode_hint`)."""
    if sp.issparse(value):
        raise TypeError(
            f"Modality {name!r}: sparse input is not supported; convert it with .toarray()."
        )
    if is_out_of_core(value):
        kind = np.dtype(value.dtype).kind
        if kind not in "biuf":
            raise TypeError(
                f"Modality {name!r} has dtype {value.dtype}; an out-of-core modality must be "
                "numeric (bool, int or float)."
            )
        return value
    if _is_dataframe(value):
        if all(isinstance(t, np.dtype) and t.kind in "biuf" for t in value.dtypes):
            return value.to_numpy()
        columns = [value.iloc[:, j] for j in range(value.shape[1])]
        bad = [c for c in columns if not _numeric_column(c)]
        if not bad:  # nullable (Int64, Float64, boolean), numeric objects or categories
            return value.to_numpy(dtype=np.float64, na_value=np.nan)
        if keep_non_numeric:
            return None
        listed = ", ".join(f"{_py(c.name)!r} ({c.dtype})" for c in bad[:8])
        every = len(bad) == len(columns)
        raise TypeError(
            f"Modality {name!r} has non-numeric columns [{listed}"
            f"{', ...' if len(bad) > 8 else ''}]; skmm's estimators need numbers."
            + _encode_hint(name, None if every else [_py(c.name) for c in bad], from_spec)
        )
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(f"Modality {name!r}: Complex data not supported.")
    if kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            if keep_non_numeric and arr.ndim == 2:
                return None
            raise TypeError(
                f"Modality {name!r} has dtype object with non-numeric values: {exc}."
                + _encode_hint(name, from_spec=from_spec)
            ) from None
    elif kind not in "biuf":
        if keep_non_numeric and arr.ndim == 2:
            return None
        raise TypeError(
            f"Modality {name!r} has non-numeric dtype {arr.dtype}; expected numbers."
            + _encode_hint(name, from_spec=from_spec)
        )
    return arr


def _missing_rows(value):
    """Rows of a non-numeric 2D modality whose every value is missing (NaN, None, or
    for pandas also ``pd.NA`` and ``NaT``)."""
    if _is_dataframe(value):
        return value.isna().to_numpy().all(axis=1)
    arr = np.asarray(value)
    if arr.dtype.kind != "O":  # str or bytes: nothing missing
        return np.zeros(arr.shape[0], dtype=bool)
    isnan = np.frompyfunc(lambda v: v is None or (isinstance(v, float) and v != v), 1, 1)
    return isnan(arr).astype(bool).all(axis=1)


def _scan(name, arr, out_dtype, out, fill, labels=None):
    """Validate one modality block by block; fill ``out`` (if given) on the way.

    No temporary is larger than a block: the per-timestep sum of a block is
    finite exactly where a timestep holds no NaN or inf, and only the rows
    where it is not are examined element by element.

    Returns ``present`` (n,), ``seq_len`` (n,) or None, and whether NaN was found.
    """
    n, three_d = arr.shape[0], len(arr.shape) == 3
    n_steps, d = (arr.shape[1], arr.shape[2]) if three_d else (1, arr.shape[1])
    inf_rows, partial, misplaced = (np.zeros(n, bool) for _ in range(3))
    present = np.ones(n, bool)
    seq_len = np.full(n, n_steps, np.int64) if three_d else None
    any_nan = False
    do_fill = out is not None and not (isinstance(fill, float) and np.isnan(fill))
    step = _block_rows(arr.shape, max(4, np.dtype(out_dtype).itemsize))
    for a in range(0, n, step):
        b = min(a + step, n)
        block = read_rows(arr, a, b, out_dtype)
        if out is not None:
            out[a:b] = block
        cube = block.reshape(b - a, n_steps, d)
        with np.errstate(over="ignore", invalid="ignore"):
            bad = ~np.isfinite(cube.sum(axis=2))  # (b, T): NaN/inf, or a harmless overflow
        if not bad.any():
            continue
        cand = np.flatnonzero(bad.any(1))
        sub = cube[cand]
        nan = np.isnan(sub)
        inf_rows[a + cand] = np.isinf(sub).any((1, 2))
        if not nan.any():
            continue
        any_nan = True
        step_all = nan.all(2)
        if three_d:
            partial[a + cand] = (nan.any(2) & ~step_all).any(1)
            valid = ~step_all
            lens = valid.sum(1)
            misplaced[a + cand] = (valid != (np.arange(n_steps) < lens[:, None])).any(1)
            seq_len[a + cand] = lens
            present[a + cand] = lens > 0
        else:
            partial[a + cand] = nan[:, 0].any(1) & ~step_all[:, 0]
            present[a + cand] = ~step_all[:, 0]
        if do_fill:
            sub[nan] = fill
            out[a:b].reshape(b - a, n_steps, d)[cand] = sub
    if inf_rows.any():
        raise ValueError(
            f"Modality {name!r} contains inf (or values too large for {np.dtype(out_dtype)}) in "
            f"rows {_rows(inf_rows, labels=labels)}."
        )
    if partial.any():
        if three_d:
            raise ValueError(
                f"Modality {name!r} has partial NaN inside timesteps of rows "
                f"{_rows(partial, labels=labels)}: a timestep is either fully finite or all NaN "
                "(padding)."
            )
        raise ValueError(
            f"Modality {name!r} has partial NaN in rows {_rows(partial, labels=labels)}: a present "
            "row must be fully finite. Mark a missing modality by setting the whole row to NaN."
        )
    if misplaced.any():
        raise ValueError(
            f"Modality {name!r} has NaN padding before valid timesteps in rows "
            f"{_rows(misplaced, labels=labels)}: pad sequences at the end."
        )
    return present, seq_len, any_nan


def check_multimodal(
    X, *, modalities=None, dtype=np.float32, fill=0.0, copy=True, allow_non_numeric=False
):
    """Validate any accepted input and return arrays plus a presence mask.

    Validation reads each modality in blocks of rows (``skmm._data.BLOCK_BYTES``):
    it allocates nothing the size of the data besides the arrays it returns.

    Parameters
    ----------
    X : dict, MultimodalData, array-like or DataFrame
        See :func:`as_multimodal`. A modality may also be out of core (an
        ``np.memmap`` or a row-sliceable array-like such as an HDF5 or zarr
        dataset; see ``skmm._data.is_out_of_core``).
    modalities : dict, default=None
        Column spec for a flat 2D ``X``; see :func:`as_multimodal`.
    dtype : numpy dtype or None, default=np.float32
        Output dtype. ``None`` keeps float32/float64 input as it is and turns
        any other numeric dtype into float64.
    fill : float, default=0.0
        Value written into missing rows and padding timesteps (``np.nan``
        keeps the NaN marking, as the transformers need) of the arrays this
        function creates.
    copy : bool, default=True
        ``True``: every returned array is new. ``False``: an in-memory array
        that already has ``dtype`` (and no negative strides) and an
        out-of-core source are returned as they are, NaN included (see
        ``ModalityArrays.has_nan``); only other in-memory arrays are converted,
        once. The caller's arrays are never modified either way.
    allow_non_numeric : bool, default=False
        For the steps that encode modalities (:class:`~skmm.PerModality`,
        :class:`~skmm.SplitModalities`): accept a 2D modality that is not
        numeric (a DataFrame with string, category or date columns, an array
        of str or objects). Its ``arrays`` entry is then the modality as given
        (not copied, not converted); a row of it is missing when every value
        is missing (NaN, None, ``pd.NA``, ``NaT``), and other missing values
        are left to the transformer that encodes it. ``False``: such a
        modality is a ``TypeError`` that says how to encode it.

    Returns
    -------
    ModalityArrays

    Raises
    ------
    ValueError
        Lengths that disagree, empty data, arrays that are not 2D or 3D, inf,
        partial NaN in a present row or timestep, padding before valid
        timesteps, a sample whose modalities are all missing, complex data.
    TypeError
        Non-numeric or sparse data, non-string modality names.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import check_multimodal
    >>> a = np.array([[1., 2.], [np.nan, np.nan], [5., 6.]])
    >>> b = np.ones((3, 1))
    >>> data = check_multimodal({"a": a, "b": b})
    >>> data.mask.tolist()
    [[True, True], [False, True], [True, True]]
    >>> data.arrays[0][1].tolist()
    [0.0, 0.0]
    >>> b32 = np.ones((3, 1), dtype=np.float32)
    >>> check_multimodal({"a": a, "b": b32}, copy=False).arrays[1] is b32
    True
    """
    mm = as_multimodal(X, modalities)
    names, arrays, masks, lengths, has_nan = [], [], [], [], []
    n_expected, row_labels = None, None
    for name, value in mm.items():
        labels = _row_labels(value)
        row_labels = labels if row_labels is None else row_labels
        arr = _to_numeric(name, value, allow_non_numeric, mm._from_spec)
        raw = arr is None  # a non-numeric modality, kept as given for its encoder
        shape = tuple(value.shape if raw else arr.shape)
        if len(shape) not in (2, 3):
            if len(shape) == 1:
                hint = (
                    "Reshape your data with array.reshape(-1, 1) for a single feature or "
                    "array.reshape(1, -1) for a single sample."
                )
            else:
                hint = (
                    "Flatten the feature axes with array.reshape(len(array), -1), or give "
                    "each part its own modality."
                )
            raise ValueError(
                f"Modality {name!r} is a {len(shape)}D array of shape {shape}; expected 2D "
                f"(n_samples, n_features) or 3D (n_samples, n_timesteps, n_features). {hint}"
            )
        if n_expected is None:
            n_expected = shape[0]
        elif shape[0] != n_expected:
            raise ValueError(
                f"Modality {name!r} has {shape[0]} samples, but modality {names[0]!r} "
                f"has {n_expected}."
            )
        if shape[0] == 0:
            raise ValueError(f"Empty data: modality {name!r} has 0 samples (shape {shape}).")
        if 0 in shape[1:]:
            raise ValueError(
                # the wording of sklearn's own message, which its estimator checks expect
                f"Modality {name!r} has 0 feature(s) (shape={shape}) while a minimum of 1 "
                "is required."
            )
        if raw:
            present = ~_missing_rows(value)
            names.append(name)
            arrays.append(value)
            masks.append(present)
            lengths.append(None)
            has_nan.append(not present.all())
            continue
        in_dtype = np.dtype(arr.dtype)
        keep = in_dtype.kind == "f" and in_dtype.itemsize >= 4
        out_dtype = np.dtype(dtype or (in_dtype if keep else np.float64))
        as_is = not copy and (
            is_out_of_core(arr)
            or (in_dtype == out_dtype and all(s >= 0 for s in arr.strides))
        )
        out = None if as_is else np.empty(shape, dtype=out_dtype)
        present, seq_len, nan_found = _scan(name, arr, out_dtype, out, fill, labels)
        names.append(name)
        arrays.append(arr if as_is else out)
        masks.append(present)
        lengths.append(seq_len)
        has_nan.append(nan_found and (as_is or (isinstance(fill, float) and np.isnan(fill))))
    mask = np.stack(masks, axis=1)
    none = ~mask.any(1)
    if none.any():
        which = "the only modality" if len(names) == 1 else f"all of {names}"
        raise ValueError(
            f"Rows {_rows(none, labels=row_labels)} have every modality missing ({which} is "
            "all NaN); each sample needs at least one present modality."
        )
    return ModalityArrays(
        tuple(names), tuple(arrays), mask, tuple(lengths), tuple(has_nan),
        tuple(mm[name] for name in names),
    )


def validate_multimodal(
    estimator,
    X,
    *,
    reset,
    modalities=None,
    dtype=np.float32,
    fill=0.0,
    copy=True,
    allow_non_numeric=False,
):
    """Check ``X`` for an estimator, recording (``reset=True``) or comparing its layout.

    At fit (``reset=True``) sets ``modalities_`` (names in order),
    ``feature_shapes_`` and ``modality_n_features_in_``, and
    ``modality_feature_names_in_`` for the modalities given as DataFrames
    with string column names; for a flat 2D input also ``n_features_in_``
    and, for a DataFrame, ``feature_names_in_`` (through scikit-learn's own
    ``validate_data``). Later calls check that modality names, per-modality
    feature shapes and, modality by modality, column names match what was
    seen in fit, as scikit-learn checks a flat ``X`` (a mismatch of names is
    an error, names on one side only a warning); dict input given in another
    key order is reordered to the fitted order. ``dtype``, ``fill``, ``copy``
    and ``allow_non_numeric`` go to :func:`check_multimodal`.

    Returns
    -------
    ModalityArrays
    """
    from sklearn.utils.validation import validate_data

    if sp.issparse(X):
        as_multimodal(X)  # raises the sparse TypeError
    _check_container(X)
    if not reset and isinstance(X, dict) and not X and hasattr(estimator, "modalities_"):
        raise ValueError(
            f"Empty data: X is an empty {type(X).__name__} (no modality); "
            f"{type(estimator).__name__} was fitted on modalities {list(estimator.modalities_)}."
        )
    if not isinstance(X, dict) and _ndim(X) == 2:
        # Feature-name and n_features bookkeeping exactly as sklearn does it.
        validate_data(estimator, X=X, reset=reset, skip_check_array=True)
    elif reset:
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator, attr):
                delattr(estimator, attr)
    mm = as_multimodal(X, modalities)

    checks = dict(dtype=dtype, fill=fill, copy=copy, allow_non_numeric=allow_non_numeric)
    if not reset and hasattr(estimator, "modalities_"):
        fitted = list(estimator.modalities_)
        if set(mm) != set(fitted):
            unknown = [k for k in mm if k not in fitted]
            absent = [k for k in fitted if k not in mm]
            parts = []
            if unknown:
                parts.append(f"unknown modalities {unknown}")
            if absent:
                parts.append(f"missing modalities {absent}")
            raise ValueError(
                f"{type(estimator).__name__} was fitted on modalities {fitted}; got "
                f"{' and '.join(parts)}. Mark a missing modality with a NaN row instead of "
                "leaving its key out."
            )
        if list(mm) != fitted:
            mm = MultimodalData({k: mm[k] for k in fitted})
        if isinstance(X, dict):  # a flat X's names were checked whole, above
            _check_modality_feature_names(estimator, mm)
        data = check_multimodal(mm, **checks)
        for name, shape in data.feature_shapes.items():
            expected = estimator.feature_shapes_[name]
            if shape != expected:
                raise ValueError(
                    f"Modality {name!r} has feature shape {_fmt_shape(shape)}, but "
                    f"{type(estimator).__name__} was fitted with {_fmt_shape(expected)}."
                )
        return data
    data = check_multimodal(mm, **checks)
    if reset:
        estimator.modalities_ = list(data.names)
        estimator.feature_shapes_ = data.feature_shapes
        estimator.modality_n_features_in_ = {
            name: shape[-1] for name, shape in data.feature_shapes.items()
        }
        names = {}
        for name, value in mm.items():
            found = _feature_names(name, value)
            if found is not None:
                names[name] = found
        if names:
            estimator.modality_feature_names_in_ = names
        elif hasattr(estimator, "modality_feature_names_in_"):
            del estimator.modality_feature_names_in_
    return data


def _feature_names(name, value):
    """The column names of one modality as scikit-learn records them (an object
    ndarray of str), or ``None`` (not a DataFrame, or names that are not strings)."""
    from sklearn.utils.validation import _get_feature_names

    try:
        return _get_feature_names(value)
    except TypeError as exc:  # mixed str and non-str column names
        raise TypeError(f"Modality {name!r}: {exc}") from None


def _check_modality_feature_names(estimator, mm):
    """scikit-learn's column-name check (``_check_feature_names``), modality by modality.

    Each modality is checked as scikit-learn checks a flat ``X`` against an
    estimator fitted with that modality's names: different names or another
    order raise scikit-learn's ``ValueError``, names on one side only warn;
    the message starts with the modality's name.
    """
    from sklearn.utils.validation import _check_feature_names

    fitted = getattr(estimator, "modality_feature_names_in_", {})
    # What _check_feature_names reads of an estimator: its class name, for the
    # message, and the names seen in fit.
    seen = type(type(estimator).__name__, (), {})
    for name, value in mm.items():
        if name not in fitted and isinstance(value, np.ndarray):
            continue  # no names on either side (a quarter of a one-row predict otherwise)
        probe = seen()
        if name in fitted:
            probe.feature_names_in_ = fitted[name]
        _feature_names(name, value)  # mixed column-name types: an error naming the modality
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                _check_feature_names(probe, value, reset=False)
            except ValueError as exc:
                raise ValueError(f"Modality {name!r}: {exc}") from None
        for warning in caught:
            warnings.warn(
                f"Modality {name!r}: {warning.message}",
                warning.category,
                stacklevel=user_stacklevel(),
            )


def _ndim(X):
    return X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim


def _fmt_shape(shape):
    if len(shape) == 1:
        return f"({shape[0]} features)"
    return f"(sequence of {shape[1]} features per timestep)"


def mark_missing(arrays, present):
    """Apply the NaN rule: make modality ``m`` of sample ``i`` missing where ``present[i, m]``
    is False.

    The one place that writes the rule (corruption, augmentation and the data
    sets call it): every value of a missing sample's row (for a sequence,
    every timestep) becomes NaN.

    Parameters
    ----------
    arrays : sequence of float ndarray
        One array per modality, samples first; written in place, so pass
        fresh copies (as :func:`check_multimodal` makes).
    present : bool array-like of shape (n_samples, n_modalities)
        ``False`` where the modality is to be missing.

    Returns
    -------
    list of ndarray
        ``arrays``, as a list.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm._data import mark_missing
    >>> a, b = mark_missing([np.ones((2, 2)), np.ones((2, 1))], [[True, False], [True, True]])
    >>> b.ravel().tolist()
    [nan, 1.0]
    """
    present = np.asarray(present, dtype=bool)
    arrays = list(arrays)
    for m, arr in enumerate(arrays):
        arr[~present[:, m]] = np.nan
    return arrays


def restore_like(X, names, arrays, modalities=None, *, rows=None):
    """Return per-modality arrays in the container form of the caller's input ``X``.

    The one way back from modalities to what the caller passed:

    * dict input gives a :class:`MultimodalData`, in which a modality that
      was a DataFrame is a DataFrame again (its columns, and the index of the
      rows given), when its array has the DataFrame's width and those rows;
    * a flat ``X`` with a column spec ``modalities`` (as given to
      :func:`as_multimodal`) gives a copy of ``X`` (a DataFrame stays a
      DataFrame, with its index and columns) whose columns of each modality
      are replaced by its array;
    * a flat ``X`` without a spec (one modality) gives that array, as a
      DataFrame like ``X`` (its columns, the index of ``rows``) when ``X`` is
      one.

    Parameters
    ----------
    X : dict, MultimodalData, array-like or DataFrame
        The caller's input.
    names : sequence of str
        Modality names, in the order of ``arrays``.
    arrays : sequence of ndarray
        The new per-modality arrays.
    modalities : dict, default=None
        The column spec that split a flat ``X``; ``{"x": slice(None)}`` puts a
        single modality back into a copy of a flat ``X``. The arrays must keep
        their modalities' widths.
    rows : array-like of int, default=None
        The samples of ``X`` (by position) that ``arrays`` hold; ``None`` is
        all of them.

    Returns
    -------
    MultimodalData, ndarray or DataFrame
    """
    if isinstance(X, dict):
        return MultimodalData(
            {name: _as_frame_of(X.get(name), arr, rows) for name, arr in zip(names, arrays)}
        )
    if modalities is None:
        if len(names) == 1:
            return _as_frame_of(X, arrays[0], rows)
        return MultimodalData(dict(zip(names, arrays)))
    base = X if hasattr(X, "iloc") else np.asarray(X)
    sub = base if rows is None else _take_rows(base, rows)
    values = dict(zip(names, arrays))
    if _is_dataframe(sub):
        out = sub.copy()
        for name, cols in modalities.items():
            value = values[name]
            for j, pos in enumerate(_column_positions(out, cols)):
                # a DataFrame (a modality passed through as given) keeps its column dtypes
                out.isetitem(int(pos), value.iloc[:, j].array if _is_dataframe(value)
                             else value[:, j])
        return out
    out = np.array(sub, dtype=sub.dtype if sub.dtype.kind == "f" else np.float64)
    for name, cols in modalities.items():
        out[:, cols] = values[name]
    return out


def _as_frame_of(source, arr, rows=None):
    """``arr`` as a DataFrame like ``source`` (its columns; the index of ``rows``) when
    ``source`` is a DataFrame that ``arr`` fits, else ``arr`` itself."""
    if not _is_dataframe(source) or _is_dataframe(arr) or getattr(arr, "ndim", 0) != 2:
        return arr
    index = source.index if rows is None else source.index[np.asarray(rows)]
    if arr.shape != (len(index), source.shape[1]):
        return arr
    return type(source)(arr, index=index, columns=source.columns)


def _column_positions(df, cols):
    """Positions of a modality's columns in DataFrame ``df`` (ints, a slice or names)."""
    if isinstance(cols, slice):
        return np.arange(df.shape[1])[cols]
    values = np.atleast_1d(np.asarray(cols, dtype=object if isinstance(cols, str) else None))
    if values.size and isinstance(values.flat[0], numbers.Integral):
        return np.arange(df.shape[1])[values.astype(int)]
    return df.columns.get_indexer(list(values))
