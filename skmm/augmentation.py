"""Missing-pattern augmentation as an imbalanced-learn sampler.

:class:`MissingPatternAugmenter` replicates training samples under
missing-modality patterns. It changes the number of samples, which
scikit-learn's ``Pipeline`` cannot do (transformers do not return ``y``), so it
follows imbalanced-learn's sampler protocol instead: ``fit_resample(X, y)``
returns ``(X_res, y_res)``, and it has no ``transform`` method.
``imblearn.pipeline.Pipeline`` runs such a step at fit time only; ``predict``
and ``score`` skip it. imbalanced-learn is an optional dependency
(``pip install skmm[imblearn]``); this module does not import it.

This module imports numpy and scikit-learn only (never torch).
"""

import dataclasses
import numbers
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_consistent_length

from skmm._data import MultimodalData, mark_missing, restore_like, validate_multimodal
from skmm._patterns import ordered_subsets

__all__ = ["MissingPatternAugmenter", "presence_patterns"]


def presence_patterns(names):
    """All ``2**M - 1`` non-empty subsets of modality names.

    Ordered by size, then in the order of ``names`` (the full set last), the
    same order as the estimators' internal augmentation.

    Parameters
    ----------
    names : sequence of str
        Modality names.

    Returns
    -------
    list of tuple of str

    Examples
    --------
    >>> from skmm.augmentation import presence_patterns
    >>> presence_patterns(["a", "b", "c"])
    [('a',), ('b',), ('c',), ('a', 'b'), ('a', 'c'), ('b', 'c'), ('a', 'b', 'c')]
    """
    return ordered_subsets(names)


def _check_patterns(patterns, names, owner):
    """Explicit patterns (tuples of names) as a ``(P, M)`` bool array."""
    if isinstance(patterns, str | bytes) or not hasattr(patterns, "__iter__"):
        raise ValueError(
            f"{owner}: patterns must be 'all', a positive int or a list of tuples of modality "
            f"names, got {patterns!r}."
        )
    rows = []
    for pattern in patterns:
        pattern = (pattern,) if isinstance(pattern, str) else tuple(pattern)
        unknown = [n for n in pattern if n not in names]
        if not pattern or unknown:
            raise ValueError(
                f"{owner}: each pattern must be a non-empty tuple of the data's modalities "
                f"{list(names)}; got {pattern!r}."
            )
        rows.append([n in pattern for n in names])
    if not rows:
        raise ValueError(f"{owner}: patterns is an empty list.")
    return np.array(rows, dtype=bool)


class MissingPatternAugmenter(BaseEstimator):
    """Replicate samples under missing-modality patterns (an imbalanced-learn sampler).

    Each training sample is copied once per presence pattern, with the
    modalities outside the pattern set to NaN rows, and ``y`` is repeated
    accordingly: the RAML paper's "we augment full-modality samples with all
    possible missing patterns", as a Pipeline step.

    A pattern is intersected with the sample's own presence (a modality
    already missing stays missing) and dropped when the intersection is empty.
    With ``patterns="all"`` a complete sample thus gives ``2**M - 1`` copies;
    a sample with missing modalities gives fewer, some of them identical
    (e.g. ``{a, b}`` and ``{a}`` are the same copy when ``b`` is missing).
    These are the same (sample, pattern) pairs as the estimators' own
    ``augment="all"`` (RAMLClassifier's, though, computes its unimodal and
    sparsity loss terms once per sample, not once per copy).

    Use it in ``imblearn.pipeline.Pipeline``: the step runs at fit time only.
    **Prefer the estimators' own ``augment`` parameter** (RAMLClassifier,
    ...): it augments each batch by index arithmetic on the device without
    copying any data, and after the estimator's internal validation split.
    This sampler materializes ``2**M - 1`` copies of the data, and placed
    before an estimator that holds out a validation set (``early_stopping``)
    it would leak copies of the same sample into both sides of that split:
    skmm's estimators therefore refuse its output with a ``ValueError``
    whenever they hold out that split (``early_stopping=True``, or
    ``early_stopping="auto"`` on enough samples); set
    ``early_stopping=False`` on the estimator after it. The output
    (dict input gives a :class:`~skmm.MultimodalData`) records which sample
    each row copies, and keeps that record through sample indexing
    (``X_res[train]`` in a cross-validation), ``.copy()`` and pickling. Use
    it for estimators without an ``augment`` parameter, or to inspect the
    augmented set.

    Its tags are imbalanced-learn's sampler tags (``estimator_type="sampler"``,
    ``sampler_tags.sample_indices=True``: it sets ``sample_indices_``), so
    ``imblearn.base.is_sampler`` recognizes it.

    Parameters
    ----------
    patterns : "all", int or list of tuple of str, default="all"
        ``"all"``: every non-empty pattern, for every sample. An int ``k``:
        ``k`` copies of each sample, each under a pattern drawn uniformly
        among those leaving it a present modality. A list of tuples of
        modality names: these patterns, for every sample.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws of ``patterns=k``.

    Attributes
    ----------
    modalities_ : list of str
        Modality names seen in ``fit_resample``.
    feature_shapes_ : dict
        Per-modality feature shape seen in ``fit_resample``.
    sample_indices_ : ndarray of shape (n_resampled,)
        Index, in the input, of the sample each output row copies (use it to
        carry groups or sample weights along).
    patterns_ : ndarray of shape (n_resampled, n_modalities), dtype bool
        Presence mask of each output row.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import MissingPatternAugmenter
    >>> X = {"a": np.ones((4, 2)), "b": np.ones((4, 3))}
    >>> y = np.array([0, 1, 0, 1])
    >>> X_res, y_res = MissingPatternAugmenter().fit_resample(X, y)
    >>> X_res.shape, y_res.shape  # 2**2 - 1 = 3 copies of each sample
    ((12,), (12,))
    >>> bool(np.isnan(X_res["b"][:4]).all())  # the first pattern keeps "a" only
    True
    """

    _parameter_constraints = {
        "patterns": [StrOptions({"all"}), Interval(Integral, 1, None, closed="left"), list, tuple],
        "random_state": ["random_state"],
    }

    def __init__(self, patterns="all", random_state=None):
        self.patterns = patterns
        self.random_state = random_state

    def _pattern_rows(self, mask, names):
        """Sample index and presence mask of each output row."""
        n, n_mod = mask.shape
        if isinstance(self.patterns, numbers.Integral) and not isinstance(self.patterns, bool):
            rng = check_random_state(self.random_state)
            candidates = _check_patterns(presence_patterns(names), names, "")
            combined = candidates[:, None, :] & mask[None, :, :]  # (P, n, M)
            valid = combined.any(-1).T  # (n, P)
            # Uniform choice among each sample's valid patterns: argmax of random keys.
            keys = rng.random_sample((self.patterns, n, len(candidates)))
            choice = np.where(valid[None], keys, -1.0).argmax(-1)  # (k, n)
            rows = np.tile(np.arange(n), self.patterns)
            return rows, combined[choice.ravel(), rows]
        if isinstance(self.patterns, str) and self.patterns == "all":
            candidates = _check_patterns(presence_patterns(names), names, "")
        else:
            candidates = _check_patterns(self.patterns, names, "MissingPatternAugmenter")
        combined = candidates[:, None, :] & mask[None, :, :]  # (P, n, M)
        p_idx, rows = np.nonzero(combined.any(-1))  # pattern-major, like the estimators
        return rows, combined[p_idx, rows]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check ``X`` and record its layout (``fit_resample`` does the work).

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : array-like of shape (n_samples,), default=None
            Targets.

        Returns
        -------
        self
        """
        validate_multimodal(self, X, reset=True, dtype=None, fill=np.nan)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y=None):
        """Return the augmented ``X`` and the correspondingly repeated ``y``.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : array-like of shape (n_samples,), default=None
            Targets (``None`` returns ``None``).

        Returns
        -------
        X_res : MultimodalData or ndarray
            The copies, in ``X``'s container form, pattern-major (every sample
            under the first pattern, then under the second, ...).
        y_res : ndarray, Series or None
            ``y`` indexed by ``sample_indices_``.
        """
        data = validate_multimodal(self, X, reset=True, dtype=None, fill=np.nan)
        if y is not None:
            y = np.asarray(y) if isinstance(y, list | tuple) else y
            check_consistent_length(data.mask, y)
        rows, mask = self._pattern_rows(data.mask, list(data.names))
        arrays = mark_missing([arr[rows] for arr in data.arrays], mask)
        self.sample_indices_ = rows
        self.patterns_ = mask
        y_res = None if y is None else _safe_indexing(y, rows)
        X_res = restore_like(X, data.names, arrays, rows=rows)  # DataFrames stay DataFrames
        if isinstance(X_res, MultimodalData):
            # Which input sample each row copies (an augmented input's own record carried
            # through): indexing, copy() and pickling keep it, and the estimators refuse
            # copies of one sample in data they split for early stopping.
            ids = getattr(X, "_sample_ids", None)
            X_res._sample_ids = rows if ids is None else ids[rows]
        return X_res, y_res

    #: imbalanced-learn's ``is_sampler`` reads this first (then the ``sampler_tags``).
    _estimator_type = "sampler"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.dict = True
        tags.input_tags.three_d_array = True
        tags.estimator_type = "sampler"
        try:  # imbalanced-learn's Tags: scikit-learn's, plus sampler_tags
            from imblearn.utils._tags import SamplerTags
            from imblearn.utils._tags import Tags as SamplerEstimatorTags
        except ImportError:  # an optional dependency
            return tags
        shared = {f.name: getattr(tags, f.name) for f in dataclasses.fields(tags)}
        names = {f.name for f in dataclasses.fields(SamplerEstimatorTags)}
        return SamplerEstimatorTags(
            **{k: v for k, v in shared.items() if k in names},
            sampler_tags=SamplerTags(sample_indices=True),  # it sets sample_indices_
        )
