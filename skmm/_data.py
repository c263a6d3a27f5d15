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
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

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
    modality along the sample axis and returns a new ``MultimodalData``.

    Parameters
    ----------
    data : mapping, optional
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
        return type(self)({k: v[index] for k, v in self.items()})

    def __len__(self):
        return self._len

    @property
    def shape(self):
        """``(n_samples,)``: what sklearn reads to count samples."""
        return (self._len,)

    def copy(self):
        return type(self)(self)

    def update(self, other=(), /, **kwargs):
        for key, value in dict(other, **kwargs).items():
            self[key] = value

    def __repr__(self):
        parts = ", ".join(f"{k}: {getattr(v, 'shape', '?')}" for k, v in self.items())
        return f"MultimodalData({{{parts}}}, n_samples={self._len})"

    def __reduce__(self):
        return (type(self), (dict(self),))


def _rows(index_array, limit=5):
    """Format the first offending row indices for an error message."""
    rows = np.flatnonzero(index_array)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f", ... ({rows.size} rows in all)" if rows.size > limit else ""
    return f"[{shown}{more}]"


def _is_dataframe(X):
    return hasattr(X, "iloc") and hasattr(X, "columns")


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
            raise ValueError("Empty data: the dict of modalities has no keys.")
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
    if modalities is None:
        return MultimodalData({SINGLE_MODALITY: X})
    if not isinstance(modalities, dict) or not modalities:
        raise TypeError(
            "`modalities` must be a non-empty dict mapping modality names to columns, "
            f"got {modalities!r}."
        )
    if _is_dataframe(X):
        out = {}
        for name, cols in modalities.items():
            positional = np.ndim(cols) and len(cols) and isinstance(
                np.asarray(cols).flat[0], numbers.Integral
            )
            if isinstance(cols, slice) or positional:
                out[name] = X.iloc[:, cols].to_numpy()
            else:
                cols = [cols] if isinstance(cols, str) else list(cols)
                missing = [c for c in cols if c not in X.columns]
                if missing:
                    raise ValueError(
                        f"Modality {name!r}: columns {missing} are not in the DataFrame."
                    )
                out[name] = X.loc[:, cols].to_numpy()
        return MultimodalData(out)
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(
            f"A modality spec splits the columns of a 2D array, got an array of shape {arr.shape}."
        )
    out = {}
    for name, cols in modalities.items():
        if not isinstance(cols, slice):
            cols = np.atleast_1d(np.asarray(cols))
            if cols.dtype.kind not in "iu":
                raise TypeError(
                    f"Modality {name!r}: columns of a numpy array must be integer indices or a "
                    f"slice, got {cols.dtype} values {cols[:5].tolist()}."
                )
            if cols.size and (cols.max() >= arr.shape[1] or cols.min() < -arr.shape[1]):
                raise ValueError(
                    f"Modality {name!r}: column index out of range for {arr.shape[1]} columns."
                )
        out[name] = arr[:, cols]
        if out[name].shape[1] == 0:
            raise ValueError(f"Modality {name!r} selects no columns.")
    return MultimodalData(out)


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
        consumer must fill: only an array passed through uncopied.
    """

    names: tuple
    arrays: tuple
    mask: np.ndarray
    lengths: tuple
    has_nan: tuple = ()

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
        return out.astype(dtype, copy=False)
    return np.asarray(source[start:stop]).astype(dtype, copy=False)


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


def _to_numeric(name, value):
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
        value = value.to_numpy()
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(f"Modality {name!r}: Complex data not supported.")
    if kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"Modality {name!r} has dtype object with non-numeric values: {exc}"
            ) from None
    elif kind not in "biuf":
        raise TypeError(
            f"Modality {name!r} has non-numeric dtype {arr.dtype}; expected numbers."
        )
    return arr


def _scan(name, arr, out_dtype, out, fill):
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
            f"rows {_rows(inf_rows)}."
        )
    if partial.any():
        if three_d:
            raise ValueError(
                f"Modality {name!r} has partial NaN inside timesteps of rows {_rows(partial)}: "
                "a timestep is either fully finite or all NaN (padding)."
            )
        raise ValueError(
            f"Modality {name!r} has partial NaN in rows {_rows(partial)}: a present row "
            "must be fully finite. Mark a missing modality by setting the whole row to NaN."
        )
    if misplaced.any():
        raise ValueError(
            f"Modality {name!r} has NaN padding before valid timesteps in rows "
            f"{_rows(misplaced)}: pad sequences at the end."
        )
    return present, seq_len, any_nan


def check_multimodal(X, *, modalities=None, dtype=np.float32, fill=0.0, copy=True):
    """Validate any accepted input and return arrays plus a presence mask.

    Validation reads each modality in blocks of rows (:data:`BLOCK_BYTES`):
    it allocates nothing the size of the data besides the arrays it returns.

    Parameters
    ----------
    X : dict, MultimodalData, array-like or DataFrame
        See :func:`as_multimodal`. A modality may also be out of core (an
        ``np.memmap`` or a row-sliceable array-like such as an HDF5 or zarr
        dataset; see :func:`is_out_of_core`).
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
    n_expected = None
    for name, value in mm.items():
        arr = _to_numeric(name, value)
        shape = tuple(arr.shape)
        if len(shape) not in (2, 3):
            raise ValueError(
                f"Modality {name!r} is a {len(shape)}D array of shape {shape}; expected 2D "
                "(n_samples, n_features) or 3D (n_samples, n_timesteps, n_features). "
                "Reshape your data with array.reshape(-1, 1) for a single feature or "
                "array.reshape(1, -1) for a single sample."
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
                f"Modality {name!r} has shape {shape} with 0 feature(s) (shape={shape}) "
                "while a minimum of 1 is required."
            )
        in_dtype = np.dtype(arr.dtype)
        keep = in_dtype.kind == "f" and in_dtype.itemsize >= 4
        out_dtype = np.dtype(dtype or (in_dtype if keep else np.float64))
        as_is = not copy and (
            is_out_of_core(arr)
            or (in_dtype == out_dtype and all(s >= 0 for s in arr.strides))
        )
        out = None if as_is else np.empty(shape, dtype=out_dtype)
        present, seq_len, nan_found = _scan(name, arr, out_dtype, out, fill)
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
            f"Rows {_rows(none)} have every modality missing ({which} is all NaN); each "
            "sample needs at least one present modality."
        )
    return ModalityArrays(tuple(names), tuple(arrays), mask, tuple(lengths), tuple(has_nan))


#: The numpydoc "Attributes" entries of what :func:`validate_multimodal` sets at fit,
#: shared by every estimator and transformer docstring.
INPUT_ATTRIBUTES_DOC = """
    modalities_ : list of str
        Modality names seen in ``fit``, in order.
    feature_shapes_ : dict
        Per-modality feature shape seen in ``fit``: ``(d,)`` or ``(None, d)``.
    n_features_in_ : int
        Number of columns, when ``X`` was a flat 2D array.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
"""


def validate_multimodal(
    estimator, X, *, reset, modalities=None, dtype=np.float32, fill=0.0, copy=True
):
    """Check ``X`` for an estimator, recording (``reset=True``) or comparing its layout.

    At fit (``reset=True``) sets ``modalities_`` (names in order) and
    ``feature_shapes_``; for a flat array input also ``n_features_in_`` and,
    for a DataFrame, ``feature_names_in_`` (through sklearn's own
    ``validate_data``). Later calls check that modality names and per-modality
    feature shapes match what was seen in fit; dict input given in another key
    order is reordered to the fitted order. ``dtype``, ``fill`` and ``copy``
    go to :func:`check_multimodal`.

    Returns
    -------
    ModalityArrays
    """
    from sklearn.utils.validation import validate_data

    if sp.issparse(X):
        as_multimodal(X)  # raises the sparse TypeError
    if not isinstance(X, dict) and _ndim(X) == 2:
        # Feature-name and n_features bookkeeping exactly as sklearn does it.
        validate_data(estimator, X=X, reset=reset, skip_check_array=True)
    elif reset:
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator, attr):
                delattr(estimator, attr)
    if not reset and hasattr(estimator, "modalities_"):
        fitted = list(estimator.modalities_)
        mm = as_multimodal(X, modalities)
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
        data = check_multimodal(mm, dtype=dtype, fill=fill, copy=copy)
        for name, shape in data.feature_shapes.items():
            expected = estimator.feature_shapes_[name]
            if shape != expected:
                raise ValueError(
                    f"Modality {name!r} has feature shape {_fmt_shape(shape)}, but "
                    f"{type(estimator).__name__} was fitted with {_fmt_shape(expected)}."
                )
        return data
    data = check_multimodal(X, modalities=modalities, dtype=dtype, fill=fill, copy=copy)
    if reset:
        estimator.modalities_ = list(data.names)
        estimator.feature_shapes_ = data.feature_shapes
    return data


def _ndim(X):
    return X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim


def _fmt_shape(shape):
    if len(shape) == 1:
        return f"({shape[0]} features)"
    return f"(sequence of {shape[1]} features per timestep)"


def restore_like(X, names, arrays):
    """Return transformed arrays in the container form of the input ``X``.

    A flat array input (one modality) comes back as an array; dict input as a
    :class:`MultimodalData`.
    """
    if not isinstance(X, dict) and len(names) == 1:
        return arrays[0]
    return MultimodalData(dict(zip(names, arrays)))
