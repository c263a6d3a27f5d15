"""Composition: per-modality preprocessing and splitting flat data into modalities.

:class:`PerModality` fits a scikit-learn transformer to each modality's
present rows (``PerModality(StandardScaler())`` standardizes every view on its
observed samples, keeping missing rows NaN); :class:`SplitModalities` turns a
flat array or DataFrame into named modalities by a column spec, as the first
step of a ``Pipeline``. Like the corruption transformers they take every input
form of the estimators and never modify their input. This module imports
numpy, scipy and scikit-learn only (never torch).
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from skmm._data import (
    MultimodalData,
    _is_dataframe,
    _take_rows,
    restore_like,
    validate_multimodal,
)
from skmm._docstrings import fill_transformer_doc
from skmm._modality_params import (
    _NAMES,
    _SPEC,
    _check_spec,
    _selected,
)

__all__ = ["PerModality", "SplitModalities"]


def _present_part(data, m):
    """Selector of the present rows (2D) or valid timesteps (3D) of modality ``m``.

    Returns a boolean index over the first axis (2D) or the first two axes
    (3D) and, per selected row, the sample it belongs to.
    """
    if data.arrays[m].ndim == 2:
        sel = data.mask[:, m]
        return sel, np.flatnonzero(sel)
    n_steps = data.arrays[m].shape[1]
    sel = np.arange(n_steps) < data.lengths[m][:, None]
    return sel, np.nonzero(sel)[0]


def _rows_for(data, m, sel):
    """What the transformer of modality ``m`` gets: its selected rows (``sel`` from
    :func:`_present_part`) as the caller gave them, so a DataFrame stays a DataFrame
    (its column names and dtypes, for a ``ColumnTransformer`` or an encoder)."""
    source = data.sources[m]
    if _is_dataframe(source):
        return source.iloc[np.flatnonzero(sel)]
    return data.arrays[m][sel]


def _passed_through(data, m):
    """Modality ``m`` left as it is: a DataFrame as a copy of itself, another
    non-numeric array as a copy, a numeric array as its validated copy."""
    source, arr = data.sources[m], data.arrays[m]
    if _is_dataframe(source):
        return source.copy()
    return np.array(arr) if arr is source else arr


def _float_dtype(arr):
    dtype = getattr(arr, "dtype", None)
    return dtype if dtype is not None and dtype.kind == "f" else np.float64


def _dense(result):
    if sp.issparse(result):
        result = result.toarray()
    result = np.asarray(result)
    if result.ndim == 1:
        result = result.reshape(-1, 1)
    if result.dtype.kind != "f":
        result = result.astype(np.float64)
    return result


@fill_transformer_doc
class PerModality(TransformerMixin, BaseEstimator):
    """Apply a separate clone of a scikit-learn transformer to each modality.

    Each chosen modality gets its own clone of ``transformer``, fitted on that
    modality's present rows only (for a sequence modality: on its valid
    timesteps stacked into one 2D array). Missing rows pass through as NaN
    rows and sequence padding stays NaN, so the output keeps the input's
    missing pattern; the feature dimension may change (e.g. with ``PCA``). A
    modality with no present row at transform gives all-NaN rows of the
    fitted output width. Sparse transformer output is made dense.

    A modality given as a DataFrame reaches the transformer as a DataFrame
    (its present rows, with their columns, dtypes and index), so a
    ``ColumnTransformer`` can pick columns by name. A modality may be
    non-numeric (string, category or date columns, or an array of str): that
    is how categorical modalities are encoded,
    ``PerModality(OneHotEncoder(handle_unknown="ignore"), targets="meta")``.
    In such a modality a row is missing when *every* value is missing (NaN,
    None, ``pd.NA``, ``NaT``): it stays a NaN row of the output. Other missing
    values are the transformer's to handle (``OneHotEncoder`` makes them a
    category of their own). The transformer must return numbers; modalities
    that are not transformed pass through as they are (a DataFrame stays a
    DataFrame).

    Parameters
    ----------
    transformer : estimator object
        A scikit-learn transformer (``StandardScaler()``, ``PCA(10)``, ...).
        For supervised transformers ``y`` is passed along (per timestep: the
        label of its sample).
    targets : str or list of str, default=None
        Modalities to transform; the others pass through unchanged. ``None``
        transforms all.
    modalities : dict, default=None
        Column spec of flat input, as on the estimators: modality name ->
        column indices, a ``slice`` or (for a DataFrame) column names. The
        modalities are then transformed separately and written back into a copy
        of the flat array or DataFrame (the transformer must then keep each
        modality's width). ``None``: a flat ``X`` is the single
        modality ``"x"``.

    Attributes
    ----------
    transformers_ : dict
        Modality name -> fitted clone of ``transformer``.
    {input_attributes}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from skmm import PerModality
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.randn(20, 5), "b": rng.randn(20, 3)}
    >>> X["a"][:4] = np.nan  # "a" missing for four samples
    >>> out = PerModality(PCA(n_components=2)).fit_transform(X)
    >>> out["a"].shape, out["b"].shape
    ((20, 2), (20, 2))
    >>> bool(np.isnan(out["a"][:4]).all())
    True
    """

    _parameter_constraints = {
        "transformer": [HasMethods(["fit", "transform"])],
        "targets": _NAMES,
        "modalities": _SPEC,
    }

    def __init__(self, transformer, targets=None, modalities=None):
        self.transformer = transformer
        self.targets = targets
        self.modalities = modalities

    def _restore(self, X, data, outputs):
        if isinstance(X, dict):  # new features: arrays, not DataFrames with the old columns
            return MultimodalData(dict(zip(data.names, outputs)))
        spec = self.modalities
        if spec is not None:
            for name, arr, new in zip(data.names, data.arrays, outputs):
                if new.shape[1:] != arr.shape[1:]:
                    raise ValueError(
                        f"PerModality: the transformer changes the width of modality {name!r} "
                        f"({arr.shape[-1]} -> {new.shape[-1]} features), which cannot be "
                        "written back into its columns; split the data first with "
                        "SplitModalities(modalities) instead of passing modalities here."
                    )
        return restore_like(X, data.names, outputs, spec)

    def _validate(self, X, reset):
        return validate_multimodal(
            self, X, reset=reset, modalities=_check_spec(self), dtype=None, fill=np.nan,
            allow_non_numeric=True,
        )

    @_fit_context(prefer_skip_nested_validation=False)  # the clones validate their own
    def _fit(self, X, y, transform):
        data = self._validate(X, reset=True)
        chosen = _selected(self, data.names)
        if y is not None:
            y = np.asarray(y)
            if y.shape[0] != data.n_samples:
                raise ValueError(
                    f"Found input variables with inconsistent numbers of samples: "
                    f"[{data.n_samples}, {y.shape[0]}]"
                )
        self.transformers_ = {}
        self._n_out = {}
        outputs = [
            None if name in chosen else _passed_through(data, m)
            for m, name in enumerate(data.names)
        ]
        for m, name in enumerate(data.names):
            if name not in chosen:
                continue
            sel, owner = _present_part(data, m)
            rows = _rows_for(data, m, sel)
            if rows.shape[0] == 0:
                raise ValueError(
                    f"PerModality: modality {name!r} has no present sample to fit on."
                )
            part_y = None if y is None else y[owner]
            est = clone(self.transformer)
            if transform:
                result = _dense(est.fit_transform(rows, part_y))
            else:
                est.fit(rows, part_y)
                result = _dense(est.transform(_take_rows(rows, slice(0, 1))))
            self.transformers_[name] = est
            self._n_out[name] = result.shape[1]
            if transform:
                outputs[m] = self._place(data, m, sel, result)
        return data, outputs

    def _place(self, data, m, sel, result):
        arr = data.arrays[m]
        out = np.full(tuple(arr.shape[:-1]) + (result.shape[1],), np.nan, dtype=result.dtype)
        out[sel] = result
        return out

    def fit(self, X, y=None):
        """Fit one clone of ``transformer`` per chosen modality, on its present rows.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : array-like of shape (n_samples,), default=None
            Passed to supervised transformers.

        Returns
        -------
        self
        """
        self._fit(X, y, transform=False)
        return self

    def fit_transform(self, X, y=None):
        """Fit, and transform with each clone's own ``fit_transform``.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : array-like of shape (n_samples,), default=None
            Passed to supervised transformers.

        Returns
        -------
        ndarray or MultimodalData
            Same container form as ``X``.
        """
        data, outputs = self._fit(X, y, transform=True)
        return self._restore(X, data, outputs)

    def transform(self, X):
        """Transform the present rows of each modality; missing rows stay NaN.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        ndarray or MultimodalData
            Same container form as ``X``.
        """
        check_is_fitted(self, "transformers_")
        data = self._validate(X, reset=False)
        outputs = [
            None if name in self.transformers_ else _passed_through(data, m)
            for m, name in enumerate(data.names)
        ]
        for m, name in enumerate(data.names):
            if name not in self.transformers_:
                continue
            sel, _ = _present_part(data, m)
            if sel.any():
                result = _dense(self.transformers_[name].transform(_rows_for(data, m, sel)))
            else:  # nothing present: all-NaN rows of the fitted width
                result = np.empty((0, self._n_out[name]), dtype=_float_dtype(data.arrays[m]))
            outputs[m] = self._place(data, m, sel, result)
        return self._restore(X, data, outputs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.transformer)
        tags.input_tags.dict = True
        tags.input_tags.three_d_array = True
        tags.non_deterministic = inner.non_deterministic
        if inner.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = list(inner.transformer_tags.preserves_dtype)
        return tags


@fill_transformer_doc
class SplitModalities(TransformerMixin, BaseEstimator):
    """Split the columns of a flat 2D array or DataFrame into modalities.

    A stateless wrapper of :func:`skmm.as_multimodal` (values checked by the
    data layer) so that a Pipeline can start from tabular data:
    ``make_pipeline(SplitModalities(spec), PerModality(StandardScaler()),
    RAMLClassifier())``. Dict input with ``modalities=None`` passes through
    (as a validated copy).

    The modalities of a DataFrame are DataFrames (copies, with their columns
    and index), so that the steps after it can pick columns by name; they may
    be non-numeric, for a later step to encode
    (``PerModality(OneHotEncoder(), targets="meta")``). The other modalities
    are validated float arrays.

    Parameters
    ----------
    modalities : dict, default=None
        Modality name -> column indices, a ``slice`` or (for a DataFrame)
        column names. ``None`` makes a flat array the single modality ``"x"``.

    Attributes
    ----------
    {input_attributes}

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import SplitModalities
    >>> X = np.arange(12.0).reshape(3, 4)
    >>> Xm = SplitModalities({"a": [0], "b": slice(1, 4)}).transform(X)
    >>> Xm
    MultimodalData({a: (3, 1), b: (3, 3)}, n_samples=3)
    """

    _parameter_constraints = {"modalities": [dict, None]}

    def __init__(self, modalities=None):
        self.modalities = modalities

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check ``X`` against the spec and record the layout.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), DataFrame or dict
            The input.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        validate_multimodal(
            self, X, reset=True, modalities=self.modalities, dtype=None, fill=np.nan,
            allow_non_numeric=True,
        )
        return self

    def transform(self, X):
        """Split ``X`` into a :class:`~skmm.MultimodalData`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), DataFrame or dict
            The input (with the columns seen in ``fit``, if fitted).

        Returns
        -------
        MultimodalData
        """
        data = validate_multimodal(
            self, X, reset=False, modalities=self.modalities, dtype=None, fill=np.nan,
            allow_non_numeric=True,
        )
        return MultimodalData(
            {name: _passed_through(data, m) for m, name in enumerate(data.names)}
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.dict = True
        tags.input_tags.three_d_array = True
        tags.input_tags.string = True  # splits str and category columns, for a later encoder
        tags.input_tags.categorical = True
        tags.transformer_tags.preserves_dtype = []  # the output is not an array
        return tags
