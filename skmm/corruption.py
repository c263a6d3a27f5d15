"""Transformers that corrupt, mask, split or rescale multimodal data.

Every transformer here takes the same inputs as skmm's estimators (a dict or
:class:`~skmm.MultimodalData` of 2D or 3D modalities, a flat 2D array or
DataFrame split by the column spec ``modalities``, or a flat 2D array as the
single modality ``"x"``), keeps missing rows (and sequence padding) as NaN,
never modifies its input, and returns the input's container form: a flat array
gives an array of the same float dtype (a DataFrame with a spec, a DataFrame),
a dict gives a ``MultimodalData``. Two parameter names mean the same thing
everywhere in skmm: ``modalities`` is the column spec (name -> columns), as on
the estimators; ``targets`` names the modalities a transformer acts on.

**When corruption acts.** :class:`GaussianNoise`, :class:`FeatureMasking`,
:class:`ModalityDropout` and :class:`KeepModalities` take
``apply_on={"transform", "fit_transform", "both"}``. The default,
``"transform"``, makes ``fit_transform`` the identity and corrupts only in
``transform``, so that in ``Pipeline([("noise", GaussianNoise(std=0.2)),
("clf", clf)])`` the classifier is trained on clean data and ``predict`` /
``score`` see corrupted data: a robustness test in one object.
``"fit_transform"`` turns the step into training-time augmentation (clean data
at prediction), ``"both"`` corrupts always. scikit-learn's glossary allows a
``fit_transform`` that differs from ``fit().transform()`` when documented
(``TargetEncoder`` is the precedent). Beware that with the default, anything
that calls ``transform`` on *training* data corrupts it too:
``GridSearchCV(return_train_score=True)`` reports train scores on corrupted
data, and ``cross_val_predict`` predicts on corrupted folds. To corrupt a
test set explicitly, whatever ``apply_on`` says, call :meth:`corrupt`
(``GaussianNoise(std=0.5, random_state=0).corrupt(X_test)``); it needs no fit.

Random draws are made per call from ``random_state`` (an int gives the same
draws on every call with the same input). This module imports numpy, scipy and
scikit-learn only (never torch).
"""

import numbers
import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_consistent_length, check_is_fitted, column_or_1d

from skmm._data import (
    _rows,
    check_multimodal,
    mark_missing,
    restore_like,
    validate_multimodal,
)
from skmm._docstrings import fill_transformer_doc
from skmm._modality_params import (
    _NAMES,
    _SPEC,
    _as_names,
    _check_known,
    _check_spec,
    _is_fitted,
    _selected,
)
from skmm._warnings import user_stacklevel

__all__ = [
    "FeatureMasking",
    "GaussianNoise",
    "KeepModalities",
    "ModalityDropout",
    "make_conflictive",
]

_APPLY_ON = ("transform", "fit_transform", "both")

def _check_fraction(owner, name, value):
    if not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
        raise ValueError(
            f"{type(owner).__name__}: {name} must be a number in [0, 1], got {value!r}."
        )


class _Corruption(TransformerMixin, BaseEstimator):
    """Shared fit/transform/corrupt logic of the corrupting transformers.

    Subclasses implement ``_check_params(names)`` and ``_corrupt(data)``,
    which returns new per-modality arrays (it may modify ``data.arrays``: they
    are fresh copies made by the data layer).
    """

    #: Shared by every corrupting transformer; subclasses merge theirs.
    _parameter_constraints = {
        "apply_on": [StrOptions(set(_APPLY_ON))],
        "random_state": ["random_state"],
    }

    def _check_params(self, names):
        self._validate_params()  # also on the paths that do not fit (corrupt)

    def _output(self, X, data, apply):
        arrays = self._corrupt(data) if apply else list(data.arrays)
        return restore_like(X, data.names, arrays, self.modalities)

    def _validate(self, X, reset):
        spec = _check_spec(self)
        if reset is None:  # corrupt(): check against fit only when fitted
            if not _is_fitted(self):
                return check_multimodal(X, modalities=spec, dtype=None, fill=np.nan)
            reset = False
        return validate_multimodal(self, X, reset=reset, modalities=spec, dtype=None, fill=np.nan)

    def fit(self, X, y=None):
        """Record the modality layout of ``X`` and check the parameters.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        data = self._validate(X, reset=True)
        self._check_params(data.names)
        return self

    def fit_transform(self, X, y=None):
        """Fit, then return ``X`` corrupted only if ``apply_on`` is ``"fit_transform"`` or
        ``"both"`` (a clean copy under the default ``"transform"``).

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : None
            Ignored.

        Returns
        -------
        ndarray, DataFrame or MultimodalData
            Same container form as ``X``; a new object.
        """
        data = self._validate(X, reset=True)
        self._check_params(data.names)
        return self._output(X, data, self.apply_on in ("fit_transform", "both"))

    def transform(self, X):
        """Return ``X`` corrupted if ``apply_on`` is ``"transform"`` (default) or ``"both"``,
        else a clean copy.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        ndarray, DataFrame or MultimodalData
            Same container form as ``X``; a new object.
        """
        check_is_fitted(self, "modalities_")
        data = self._validate(X, reset=False)
        self._check_params(data.names)
        return self._output(X, data, self.apply_on in ("transform", "both"))

    def corrupt(self, X):
        """Corrupt ``X`` whatever ``apply_on`` says: the explicit path for a test set.

        Works on an unfitted transformer too (nothing is recorded); a fitted
        one checks that ``X`` has the modalities seen in ``fit``.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.

        Returns
        -------
        ndarray, DataFrame or MultimodalData
            Same container form as ``X``; a new object.
        """
        data = self._validate(X, reset=None)
        self._check_params(data.names)
        return self._output(X, data, True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # allow_nan stays False, as for the estimators: sklearn means element-wise NaN,
        # skmm accepts only whole NaN rows (a missing modality) and rejects partial NaN.
        tags.input_tags.dict = True
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _RandomCorruption(_Corruption):
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The draws are made per call over the whole input, so transform(X[rows]) is not
        # transform(X)[rows], and under the default apply_on="transform", fit_transform
        # (clean) differs from fit().transform() (corrupted) by design. The checks of
        # subset/order invariance and of fit_transform == fit().transform() cannot hold.
        tags.non_deterministic = True
        return tags


@fill_transformer_doc
class GaussianNoise(_RandomCorruption):
    """Additive Gaussian noise on chosen modalities.

    Adds ``N(0, std**2)`` noise to every value of the present rows of the
    chosen modalities (for a sequence, of its valid timesteps). Missing rows
    and padding stay NaN; the other modalities are returned unchanged. This is
    the corruption of the RAML paper's Table II.

    Parameters
    ----------
    std : float, default=0.1
        Standard deviation of the noise (in the units of the features:
        standardize first, e.g. with ``PerModality(StandardScaler())``, to
        make it relative).
    targets : str or list of str, default=None
        Modalities to corrupt; ``None`` corrupts all.
    {modalities}
    {apply_on}
    random_state : int, RandomState instance or None, default=None
        Seeds the noise; an int gives the same noise on every call.

    Attributes
    ----------
    {input_attributes}

    See Also
    --------
    FeatureMasking : Zero random features or timesteps.
    ModalityDropout : Drop whole modalities at random.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import GaussianNoise
    >>> X = {"a": np.zeros((3, 2)), "b": np.ones((3, 1))}
    >>> X["a"][1] = np.nan  # "a" missing for sample 1
    >>> noise = GaussianNoise(std=0.5, targets="a", random_state=0).fit(X)
    >>> noise.transform(X)["b"].tolist()  # not chosen: unchanged
    [[1.0], [1.0], [1.0]]
    >>> bool(np.isnan(noise.transform(X)["a"][1]).all())  # missing stays missing
    True
    >>> bool((noise.fit_transform(X)["a"][0] == 0).all())  # default: clean in fit_transform
    True
    """

    _parameter_constraints = {
        **_Corruption._parameter_constraints,
        "std": [Interval(Real, 0, None, closed="left")],
        "targets": _NAMES,
        "modalities": _SPEC,
    }

    def __init__(
        self, std=0.1, targets=None, modalities=None, apply_on="transform", random_state=None
    ):
        self.std = std
        self.targets = targets
        self.modalities = modalities
        self.apply_on = apply_on
        self.random_state = random_state

    def _check_params(self, names):
        super()._check_params(names)
        _selected(self, names)

    def _corrupt(self, data):
        rng = check_random_state(self.random_state)
        chosen = _selected(self, data.names)
        out = list(data.arrays)
        for m, name in enumerate(data.names):
            if name in chosen:
                arr = out[m]
                # NaN + noise is NaN: missing rows and padding timesteps stay NaN.
                arr += (self.std * rng.standard_normal(arr.shape)).astype(arr.dtype, copy=False)
        return out


@fill_transformer_doc
class FeatureMasking(_RandomCorruption):
    """Set random features (2D) or whole timesteps (sequences) to zero.

    For a 2D modality each value of a present row is zeroed independently
    with probability ``p``. For a sequence modality each *valid timestep* of a
    present sample is zeroed as a whole with probability ``p`` (word masking,
    the RAML paper's Table III); padding stays NaN. Missing rows stay NaN, and
    a masked row is still present (zeros, not NaN).

    Parameters
    ----------
    p : float, default=0.1
        Masking probability, in ``[0, 1]``.
    targets : str or list of str, default=None
        Modalities to mask; ``None`` masks all.
    {modalities}
    {apply_on}
    random_state : int, RandomState instance or None, default=None
        Seeds the masks; an int gives the same masks on every call.

    Attributes
    ----------
    {input_attributes}

    See Also
    --------
    GaussianNoise : Additive noise.
    ModalityDropout : Drop whole modalities at random.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import FeatureMasking
    >>> words = np.ones((2, 4, 3))
    >>> words[1, 2:] = np.nan  # sample 1 has 2 valid timesteps, then padding
    >>> out = FeatureMasking(p=1.0).corrupt({"text": words})["text"]
    >>> (out == 0).all(axis=2).sum(axis=1).tolist()  # zeroed timesteps per sample
    [4, 2]
    >>> bool(np.isnan(out[1, 2:]).all())  # padding untouched
    True
    """

    _parameter_constraints = {
        **_Corruption._parameter_constraints,
        "p": [Interval(Real, 0, 1, closed="both")],
        "targets": _NAMES,
        "modalities": _SPEC,
    }

    def __init__(
        self, p=0.1, targets=None, modalities=None, apply_on="transform", random_state=None
    ):
        self.p = p
        self.targets = targets
        self.modalities = modalities
        self.apply_on = apply_on
        self.random_state = random_state

    def _check_params(self, names):
        super()._check_params(names)
        _selected(self, names)

    def _corrupt(self, data):
        rng = check_random_state(self.random_state)
        chosen = _selected(self, data.names)
        out = list(data.arrays)
        for m, name in enumerate(data.names):
            if name not in chosen:
                continue
            arr = out[m]
            if arr.ndim == 2:
                hit = (rng.random_sample(arr.shape) < self.p) & data.mask[:, m, None]
            else:  # whole valid timesteps
                n, n_steps, _ = arr.shape
                valid = np.arange(n_steps) < data.lengths[m][:, None]
                hit = (rng.random_sample((n, n_steps)) < self.p) & valid
            arr[hit] = 0
        return out


@fill_transformer_doc
class ModalityDropout(_RandomCorruption):
    """Mark modalities missing at random, at a per-modality rate.

    Each present modality of each sample is set missing (a NaN row) with
    probability ``rates[m]``. A sample never loses all its modalities: when
    the draws would drop every present modality of a sample, one of its
    present modalities, chosen uniformly at random, is kept. With high rates
    the realized rates are therefore a little below the nominal ones (with
    ``M`` modalities at rate ``r`` on complete data: ``r - r**M / M``). A
    single-modality input is never changed, with a warning: split flat data
    into modalities with ``modalities``.

    Parameters
    ----------
    rates : float or dict, default=0.5
        Missing rate in ``[0, 1]``: one number for every modality, or a dict
        modality name -> rate (modalities not named keep rate 0).
    {modalities}
    {apply_on}
    random_state : int, RandomState instance or None, default=None
        Seeds the draws; an int gives the same pattern on every call.

    Attributes
    ----------
    {input_attributes}

    See Also
    --------
    KeepModalities : A fixed missing pattern.
    MissingPatternAugmenter : Replicate samples with missing patterns.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import ModalityDropout
    >>> X = {"a": np.ones((1000, 2)), "b": np.ones((1000, 3))}
    >>> out = ModalityDropout(rates={"a": 0.3}, random_state=0).corrupt(X)
    >>> round(float(np.isnan(out["a"][:, 0]).mean()), 1), bool(np.isnan(out["b"]).any())
    (0.3, False)
    """

    _parameter_constraints = {
        **_Corruption._parameter_constraints,
        "rates": [Interval(Real, 0, 1, closed="both"), dict],
        "modalities": _SPEC,
    }

    def __init__(self, rates=0.5, modalities=None, apply_on="transform", random_state=None):
        self.rates = rates
        self.modalities = modalities
        self.apply_on = apply_on
        self.random_state = random_state

    def _rates(self, names):
        if isinstance(self.rates, dict):
            _check_known(self, list(self.rates), names, "rates")
            for rate in self.rates.values():
                _check_fraction(self, "each rate", rate)
            return np.array([float(self.rates.get(n, 0.0)) for n in names])
        return np.full(len(names), float(self.rates))

    def _check_params(self, names):
        super()._check_params(names)
        self._rates(names)

    def _corrupt(self, data):
        rng = check_random_state(self.random_state)
        mask = data.mask
        rates = self._rates(data.names)
        if mask.shape[1] == 1 and rates.any():
            warnings.warn(
                f"ModalityDropout: the data has a single modality ({data.names[0]!r}), which "
                "is never dropped (every sample keeps one modality), so it is returned "
                "unchanged. Split flat data into modalities with modalities={name: columns}.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        kept = mask & ~(rng.random_sample(mask.shape) < rates)
        emptied = np.flatnonzero(~kept.any(1))
        if emptied.size:
            # Keep one present modality, chosen uniformly, of each sample that lost all.
            keys = rng.random_sample((emptied.size, mask.shape[1]))
            keys[~mask[emptied]] = -1.0
            kept[emptied, keys.argmax(1)] = True
        return mark_missing(data.arrays, kept)


@fill_transformer_doc
class KeepModalities(_Corruption):
    """A fixed missing pattern: every modality not named becomes missing.

    Deterministic; the test-time patterns of the RAML paper's Table I (see
    :func:`skmm.evaluation.missing_pattern_scores`).

    Parameters
    ----------
    names : str or list of str
        Modalities to keep; every other modality is set to NaN rows.
    {modalities}
    {apply_on}

    Attributes
    ----------
    {input_attributes}

    Raises
    ------
    ValueError
        At transform, when a sample has none of the kept modalities present
        (it would have no modality left).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import KeepModalities
    >>> X = {"a": np.ones((2, 2)), "b": np.ones((2, 1)), "c": np.ones((2, 1))}
    >>> out = KeepModalities(["a", "c"]).corrupt(X)
    >>> {k: bool(np.isnan(v).all()) for k, v in out.items()}
    {'a': False, 'b': True, 'c': False}
    """

    _parameter_constraints = {
        "names": [str, list, tuple],
        "modalities": _SPEC,
        "apply_on": [StrOptions(set(_APPLY_ON))],
    }

    def __init__(self, names, modalities=None, apply_on="transform"):
        self.names = names
        self.modalities = modalities
        self.apply_on = apply_on

    def _check_params(self, names):
        super()._check_params(names)
        keep = _as_names(self.names, "names")
        if not keep:
            raise ValueError("KeepModalities: names must name at least one modality to keep.")
        _check_known(self, keep, names, "names")
        return keep

    def _corrupt(self, data):
        keep = self._check_params(data.names)
        kept = np.array([n in keep for n in data.names])
        left = (data.mask & kept).any(1)
        if not left.all():
            raise ValueError(
                f"KeepModalities({keep}) leaves rows {_rows(~left)} with no present modality "
                "(none of the kept modalities is present there)."
            )
        return mark_missing(data.arrays, np.broadcast_to(kept, data.mask.shape))


def make_conflictive(
    X, y, *, noise_fraction=0.1, noise_std=0.5, conflict_fraction=0.4, random_state=None
):
    """RCML's conflictive-view test protocol: noisy and contradicting modalities.

    The protocol of the conflictive test sets of "Reliable Conflictive
    Multi-View Learning" (AAAI 2024), as the authors' released code applies it
    to test rows:

    1. ``round_down(noise_fraction * n)`` rows, drawn without replacement, get
       Gaussian noise of std ``noise_std`` on ``k`` of their modalities, with
       ``k`` drawn uniformly from ``0 .. M - 1`` and the modalities drawn
       without replacement (so a row may get no noise).
    2. Then ``round_down(conflict_fraction * n)`` rows, drawn anew (a row may
       be both noisy and conflictive), get one random modality replaced by
       that modality of a *donor*: the first sample (in row order, after
       step 1) of the class after its own, ``(y + 1) mod K`` over the sorted
       labels of ``y``.

    This is a function, not a transformer, because it needs ``y``:
    scikit-learn's ``transform`` never receives ``y`` (and a ``fit_resample``
    sampler runs at fit time only, while this protocol corrupts test data).
    Apply it to a test set and score any fitted estimator on the result.

    Differences from the released code, forced by the library's data: donors
    come from the rows of ``X`` itself (the authors take the first sample of
    the class in the whole data set, training rows included); donors are
    copied before step 2 (in the authors' code a donor row that is itself
    replaced later passes on its new content); with missing modalities the
    replaced modality is drawn among those present in both the row and its
    donor (a row with none is left as it is), and noise on a missing modality
    leaves it missing (NaN stays NaN).

    Parameters
    ----------
    X : dict, MultimodalData, array-like or DataFrame
        Multimodal input (a flat 2D array is the single modality ``"x"``);
        never modified.
    y : array-like of shape (n_samples,)
        Labels of ``X``; ``K`` is the number of distinct labels.
    noise_fraction : float, default=0.1
        Share of rows that get noise (step 1).
    noise_std : float, default=0.5
        Standard deviation of the noise, in the units of the features (the
        authors' features are min-max scaled to [0, 1]).
    conflict_fraction : float, default=0.4
        Share of rows that get a conflicting modality (step 2).
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.

    Returns
    -------
    X_conflict : ndarray or MultimodalData
        The corrupted copy, in the container form of ``X`` (as the
        transformers of this module return it).
    indices : dict
        ``"noise"``: the rows of step 1 (including rows that drew ``k = 0``);
        ``"conflict"``: the rows whose modality was replaced in step 2.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.corruption import make_conflictive
    >>> X = {"a": np.arange(10.)[:, None], "b": np.arange(10.)[:, None]}
    >>> y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    >>> Xc, rows = make_conflictive(X, y, noise_fraction=0, conflict_fraction=0.2,
    ...                             random_state=0)
    >>> len(rows["conflict"]), float(X["a"][3, 0])  # two rows replaced; X is unchanged
    (2, 3.0)
    >>> r = rows["conflict"][0]
    >>> donor = 5 if y[r] == 0 else 0  # the first row of the next class
    >>> sorted([float(Xc["a"][r, 0]), float(Xc["b"][r, 0])]) == sorted([float(r), donor])
    True
    """
    for name, value in (("noise_fraction", noise_fraction),
                        ("conflict_fraction", conflict_fraction)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
            raise ValueError(f"make_conflictive: {name} must be a number in [0, 1], got {value!r}.")
    if isinstance(noise_std, bool) or not isinstance(noise_std, numbers.Real) or not noise_std >= 0:
        raise ValueError(
            f"make_conflictive: noise_std must be a non-negative number, got {noise_std!r}."
        )
    if y is None:
        raise ValueError("make_conflictive needs the labels y (the donor is of class y + 1).")
    data = check_multimodal(X, dtype=None, fill=np.nan)  # fresh copies, NaN kept
    y = column_or_1d(y)
    check_consistent_length(data.mask, y)
    _, labels = np.unique(y, return_inverse=True)
    n_classes = labels.max() + 1
    rng = check_random_state(random_state)
    arrays, mask = list(data.arrays), data.mask
    n, n_mod = mask.shape
    # Step 1: noise on a random number 0 .. M - 1 of modalities of some rows.
    noisy = rng.choice(n, int(noise_fraction * n), replace=False)
    for i in noisy:
        for m in rng.choice(n_mod, rng.randint(n_mod), replace=False):
            row = arrays[m][i]
            row += (noise_std * rng.standard_normal(row.shape)).astype(row.dtype, copy=False)
    # Step 2: one modality from the first sample of class (y + 1) mod K.
    first = {c: int(np.flatnonzero(labels == c)[0]) for c in range(n_classes)}
    donors = {c: [a[i].copy() for a in arrays] for c, i in first.items()}
    conflict = []
    for i in rng.choice(n, int(conflict_fraction * n), replace=False):
        target = (labels[i] + 1) % n_classes
        candidates = np.flatnonzero(mask[i] & mask[first[target]])
        if candidates.size:
            m = rng.choice(candidates)
            arrays[m][i] = donors[target][m]
            conflict.append(i)
    indices = {"noise": np.sort(noisy), "conflict": np.sort(np.array(conflict, dtype=np.intp))}
    return restore_like(X, data.names, arrays), indices
