"""Synthetic multimodal data: classification and regression generators."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import Bunch, check_random_state

from skmm._data import MultimodalData, mark_missing

# ---------------------------------------------------------------------------
# Synthetic generator
# ---------------------------------------------------------------------------


def _check_int(value, what, low=1):
    """Raise a ValueError unless ``value`` is an int (not a bool) >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        kind = {0: "a non-negative int", 1: "a positive int"}.get(low, f"an int >= {low}")
        raise ValueError(f"{what} must be {kind}, got {value!r}.")


def _per_modality(value, names, what, default):
    """Expand a scalar, a sequence (in modality order) or a dict to one value per modality."""
    if value is None:
        return {name: default for name in names}
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"`{what}` names unknown modalities {unknown}; modalities: {names}.")
        return {name: value.get(name, default) for name in names}
    if isinstance(value, numbers.Real):
        return {name: value for name in names}
    values = list(value)
    if len(values) != len(names):
        raise ValueError(
            f"`{what}` has {len(values)} values but there are {len(names)} modalities {names}."
        )
    return dict(zip(names, values))


def _modality_spec(modalities, n_features):
    """``modalities`` (int, names or dict name -> n_features) as a dict name -> n_features."""
    if isinstance(modalities, numbers.Integral) and not isinstance(modalities, bool):
        if modalities < 1:
            raise ValueError(f"`modalities` must be at least 1, got {modalities}.")
        names = [f"m{i}" for i in range(modalities)]
        spec = dict.fromkeys(names, n_features)
    elif isinstance(modalities, dict):
        spec = dict(modalities)
    elif isinstance(modalities, list | tuple):
        spec = dict.fromkeys(modalities, n_features)
        if len(spec) != len(modalities):
            raise ValueError(f"`modalities` has repeated names: {list(modalities)}.")
    else:
        raise TypeError(
            "`modalities` must be an int, a list of names or a dict name -> n_features, "
            f"got {modalities!r}."
        )
    if not spec:
        raise ValueError("`modalities` is empty.")
    for name, d in spec.items():
        if not isinstance(name, str):
            raise TypeError(f"Modality names must be str, got {name!r}.")
        if not isinstance(d, numbers.Integral) or d < 1:
            raise ValueError(f"Modality {name!r}: n_features must be a positive int, got {d!r}.")
    return spec


def _class_codes(n_classes, n_modalities):
    """The unique (complementary) code of every class in every modality.

    With ``q`` the smallest integer >= 2 such that ``q**M >= K``, class ``c``
    is the code point ``floor(c * q**D / K)`` (spread evenly, so every digit
    is balanced), written with ``D`` base-``q`` digits ``d``; modality ``m`` sees the
    linear form ``a_m . d (mod q)``, where ``a_0 .. a_{D-1}`` are the unit
    vectors (so the modalities together identify the class) and further
    modalities get the all-ones vector (a parity check), then the other
    non-zero vectors, cycling. A single modality sees only one base-``q``
    symbol, shared by about ``K / q`` classes.

    Returns
    -------
    codes : ndarray of shape (n_classes, n_modalities), dtype int
    q : int
    """
    q = 2
    while q**n_modalities < n_classes:
        q += 1
    n_digits = 1
    while q**n_digits < n_classes:
        n_digits += 1
    # Spread the classes over the q**D code points so that every digit is balanced.
    points = np.arange(n_classes) * q**n_digits // n_classes
    digits = (points[:, None] // q ** np.arange(n_digits)) % q  # (K, D)
    units = [tuple(int(i == j) for j in range(n_digits)) for i in range(n_digits)]
    ones = (1,) * n_digits
    others = [
        tuple(int(v) for v in (i // q ** np.arange(n_digits)) % q) for i in range(1, q**n_digits)
    ]
    forms = units + [ones] + [f for f in others if f not in units and f != ones]
    forms = [forms[m % len(forms)] for m in range(n_modalities)]
    codes = (digits @ np.array(forms, dtype=int).T) % q
    return codes, q


def _check_missing(rates, names, n_samples):
    counts = {}
    for name, rate in rates.items():
        if not isinstance(rate, numbers.Real) or not 0.0 <= rate < 1.0:
            raise ValueError(
                f"Missing rate of modality {name!r} must be in [0, 1), got {rate!r}."
            )
        counts[name] = int(round(rate * n_samples))
    if len(names) == 1 and counts[names[0]]:
        raise ValueError(
            "A single modality cannot be missing: every sample needs a present modality."
        )
    if sum(counts.values()) > (len(names) - 1) * n_samples:
        raise ValueError(
            f"Missing rates {rates} sum to more than n_modalities - 1 = {len(names) - 1}: some "
            "sample would have every modality missing."
        )
    return counts


def _missing_mask(counts, names, n_samples, rng):
    """Presence mask with exactly ``counts[m]`` missing rows per modality and no empty row.

    Each modality's missing rows are drawn uniformly and independently; a row
    left with no modality gets one back, and the modality gives that missing
    slot to a random row that keeps another present modality.
    """
    mask = np.ones((n_samples, len(names)), dtype=bool)
    for m, name in enumerate(names):
        mask[rng.choice(n_samples, counts[name], replace=False), m] = False
    for i in np.flatnonzero(~mask.any(1)):
        for m in rng.permutation(len(names)):
            donors = np.flatnonzero(mask[:, m] & (mask.sum(1) >= 2))
            if donors.size:
                mask[i, m] = True
                mask[rng.choice(donors), m] = False
                break
        else:  # pragma: no cover - excluded by _check_missing's bound
            raise ValueError("These missing rates leave some sample with no modality.")
    return mask


def make_multimodal_classification(
    n_samples=500,
    n_classes=4,
    modalities=3,
    *,
    n_features=16,
    redundancy=0.5,
    noise=1.0,
    class_sep=3.0,
    sequence=None,
    missing_rates=None,
    return_info=False,
    random_state=None,
):
    """Generate multimodal classification data with redundant and complementary information.

    Every sample's class shows up in each modality in two parts:

    * a **shared** (redundant) part: the same class-identifying code in every
      modality, which alone tells all classes apart;
    * a **unique** (complementary) part: a code that in each single modality
      only tells a *group* of classes apart (about ``n_classes / q`` classes
      share a symbol, ``q`` the smallest integer >= 2 with
      ``q ** n_modalities >= n_classes``), while the symbols of all
      modalities together identify the class (a latent class code whose
      digits are distributed across the modalities).

    ``redundancy`` sets their balance. Each modality's clean latent vector
    ``sqrt(redundancy) * shared + sqrt(1 - redundancy) * unique`` (both
    one-hot codes scaled by ``class_sep``) is mapped into ``n_features`` by a
    random matrix with orthonormal columns, and per-modality Gaussian noise is
    added. A missing modality is a NaN row (all its values NaN).

    How the knobs map onto the papers' notions of imperfect multimodal data
    (RAML, "Redundancy-Adaptive Multimodal Learning for Imperfect Data";
    RedCore, imbalanced missing rates):

    * ``redundancy=1``: fully **redundant** modalities; any single modality
      predicts nearly as well as all of them together, so a missing or
      corrupted modality costs little if the model falls back on the others.
      This is the case RAML's precision-weighted fusion is built for: it can
      down-weight a noisy modality element-wise instead of averaging it in.
    * ``redundancy=0``: fully **complementary** modalities; a single
      modality is much weaker than their combination (with ``n_classes=4``
      and three modalities, at most 50% accuracy alone against near 100%
      together), so missing modalities cost accuracy whatever the method.
      With ``n_classes=2`` (or one modality) the unique codes cannot be
      complementary: each one already tells the two classes apart.
    * ``noise``: the **corruption** level of each modality (a per-modality
      dict makes a weak and a strong modality); to corrupt only a test set,
      use :class:`skmm.GaussianNoise` instead.
    * ``missing_rates``: the **missing rate** of each modality (a dict makes
      them imbalanced, RedCore's setting), missing completely at random.

    Parameters
    ----------
    n_samples : int, default=500
        Number of samples; classes are balanced (their counts differ by at
        most one) and shuffled.
    n_classes : int, default=4
        Number of classes, at least 2.
    modalities : int, list of str or dict, default=3
        An int ``M`` gives modalities ``"m0" .. "m{M-1}"`` with
        ``n_features`` features each; a list gives the names; a dict maps
        names to their numbers of features (per timestep for a sequence).
    n_features : int, default=16
        Features per modality when ``modalities`` is an int or a list. With
        fewer than ``n_classes + q`` features, the random map is a projection
        and loses some class information.
    redundancy : float in [0, 1], default=0.5
        Share of each modality's class-signal energy that is the shared,
        class-identifying code; the rest (``1 - redundancy``) is the
        modality's unique group code.
    noise : float, list or dict, default=1.0
        Standard deviation of the Gaussian noise added to every feature of a
        modality: one value for all, a list in modality order, or a dict
        name -> std (modalities not named get 1.0).
    class_sep : float, default=3.0
        Norm of each code; larger makes the task easier.
    sequence : dict, default=None
        Modality name -> number of timesteps ``T`` (fixed length) or a pair
        ``(T_min, T_max)`` (lengths drawn uniformly, NaN padding at the end up
        to ``T_max``); modalities not named are 2D. An int makes every
        modality a sequence of that length. A sequence modality is a ``(n_samples, T, n_features)``
        array whose every valid timestep is the modality's latent signal plus
        independent noise of std ``noise``, so pooling over time averages the
        noise out.
    missing_rates : float, list or dict, default=None
        Share of samples for which a modality is missing (a NaN row): one
        value for all, a list in modality order, or a dict name -> rate
        (others 0). Exactly ``round(rate * n_samples)`` rows are missing per
        modality, drawn at random and independently across modalities except
        that no sample ever has every modality missing. ``None``: nothing
        missing.
    return_info : bool, default=False
        Also return a :class:`~sklearn.utils.Bunch` with the latent
        information.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator; an int gives the same data on every call.

    Returns
    -------
    X : MultimodalData
        Modality name -> float64 array of shape ``(n_samples, n_features)``
        or, for a sequence, ``(n_samples, T, n_features)``.
    y : ndarray of shape (n_samples,)
        Integer class labels ``0 .. n_classes - 1``.
    info : Bunch
        Only with ``return_info=True``:

        - ``codes``: ``(n_classes, n_modalities)`` unique code symbol of each
          class in each modality (classes with the same symbol in a modality
          look alike there apart from the shared part);
        - ``n_symbols``: ``q``, the number of unique-code symbols;
        - ``latent``: dict name -> ``(n_samples, n_classes + q)`` clean
          latent signal (first ``n_classes`` columns: shared part);
        - ``projections``: dict name -> ``(n_features, n_classes + q)`` map
          from latent signal to features;
        - ``mask``: ``(n_samples, n_modalities)`` bool presence mask;
        - ``lengths``: dict name -> valid timesteps per sample (sequences);
        - ``noise``, ``missing_rates``: dicts name -> value;
        - ``redundancy``, ``class_sep``, ``modalities`` (names in order).

    See Also
    --------
    load_digits_multimodal : A small real multimodal data set.
    skmm.GaussianNoise : Corrupt a test set.
    skmm.KeepModalities : Remove modalities from a test set.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(
    ...     n_samples=100, modalities={"image": 20, "text": 8},
    ...     noise={"image": 0.5, "text": 2.0}, sequence={"text": (3, 6)},
    ...     missing_rates={"text": 0.3}, random_state=0)
    >>> X
    MultimodalData({image: (100, 20), text: (100, 6, 8)}, n_samples=100)
    >>> int(np.isnan(X["text"]).all(axis=(1, 2)).sum())  # 30% of the texts missing
    30
    >>> np.bincount(y)
    array([25, 25, 25, 25])
    """
    _check_int(n_samples, "n_samples")
    _check_int(n_classes, "n_classes", 2)
    if not isinstance(redundancy, numbers.Real) or not 0.0 <= redundancy <= 1.0:
        raise ValueError(f"redundancy must be in [0, 1], got {redundancy!r}.")
    if not isinstance(class_sep, numbers.Real) or class_sep < 0:
        raise ValueError(f"class_sep must be a non-negative number, got {class_sep!r}.")
    spec = _modality_spec(modalities, n_features)
    names = list(spec)
    noise = _per_modality(noise, names, "noise", 1.0)
    for name, std in noise.items():
        if not isinstance(std, numbers.Real) or std < 0:
            raise ValueError(f"Noise std of modality {name!r} must be >= 0, got {std!r}.")
    rates = _per_modality(missing_rates, names, "missing_rates", 0.0)
    counts = _check_missing(rates, names, n_samples)
    steps = _per_modality(sequence, names, "sequence", None)
    for name, t in steps.items():
        if t is None:
            continue
        pair = (t, t) if isinstance(t, numbers.Integral) else tuple(t)
        if len(pair) != 2 or not all(isinstance(v, numbers.Integral) for v in pair) or not (
            1 <= pair[0] <= pair[1]
        ):
            raise ValueError(
                f"sequence[{name!r}] must be a positive int T or a pair (T_min, T_max) with "
                f"1 <= T_min <= T_max, got {t!r}."
            )
        steps[name] = pair

    rng = check_random_state(random_state)
    y = rng.permutation(np.arange(n_samples) % n_classes)
    codes, q = _class_codes(n_classes, len(names))
    # Clean latent signal per modality: [sqrt(r) * one_hot(y), sqrt(1 - r) * one_hot(code)].
    shared = np.eye(n_classes)[y] * np.sqrt(redundancy)
    X, info_latent, projections, lengths = {}, {}, {}, {}
    for m, name in enumerate(names):
        unique = np.eye(q)[codes[y, m]] * np.sqrt(1.0 - redundancy)
        latent = class_sep * np.hstack([shared, unique])
        d = spec[name]
        # Random map with orthonormal columns (orthonormal rows when d < n_classes + q).
        size = latent.shape[1]
        if d >= size:
            proj = np.linalg.qr(rng.standard_normal((d, size)))[0]
        else:
            proj = np.linalg.qr(rng.standard_normal((size, d)))[0].T
        signal = latent @ proj.T  # (n, d)
        if steps[name] is None:
            x = signal + noise[name] * rng.standard_normal(signal.shape)
        else:
            t_min, t_max = steps[name]
            x = signal[:, None, :] + noise[name] * rng.standard_normal((n_samples, t_max, d))
            lengths[name] = rng.randint(t_min, t_max + 1, n_samples)
            x[np.arange(t_max) >= lengths[name][:, None]] = np.nan  # padding at the end
        X[name] = x
        info_latent[name] = latent
        projections[name] = proj
    mask = _missing_mask(counts, names, n_samples, rng)
    mark_missing([X[name] for name in names], mask)
    for m, name in enumerate(names):
        if name in lengths:
            lengths[name] = np.where(mask[:, m], lengths[name], 0)
    X = MultimodalData(X)
    if not return_info:
        return X, y
    info = Bunch(
        codes=codes,
        n_symbols=q,
        latent=info_latent,
        projections=projections,
        mask=mask,
        lengths=lengths,
        noise=noise,
        missing_rates=rates,
        redundancy=float(redundancy),
        class_sep=float(class_sep),
        modalities=names,
    )
    return X, y, info


def _friedman1(u):
    """The nonlinear contribution of one modality from its informative features ``u`` (n, k).

    Friedman #1 on consecutive blocks of five columns, ``10 sin(pi u1 u2) +
    20 (u3 - 1/2)**2 + 10 u4 + 5 u5``, the terms of a shorter last block
    whose columns are beyond ``k`` left out (a lone ``u1`` is ``10 sin(pi u1)``).
    """
    out = np.zeros(u.shape[0])
    for start in range(0, u.shape[1], 5):
        b = u[:, start : start + 5]
        out += 10.0 * np.sin(np.pi * b[:, 0] * (b[:, 1] if b.shape[1] > 1 else 1.0))
        for j, term in ((2, lambda v: 20.0 * (v - 0.5) ** 2), (3, lambda v: 10.0 * v),
                        (4, lambda v: 5.0 * v)):
            if b.shape[1] > j:
                out += term(b[:, j])
    return out


def make_multimodal_regression(
    n_samples=1000,
    modalities=3,
    *,
    n_features=10,
    n_informative=None,
    n_targets=1,
    noise=0.1,
    nonlinear=False,
    missing_rates=None,
    return_info=False,
    random_state=None,
):
    """Generate a multimodal regression problem, linear or with cross-modal interactions.

    What :func:`sklearn.datasets.make_regression` (``nonlinear=False``) and
    :func:`sklearn.datasets.make_friedman1` (``nonlinear=True``) do, for
    modalities. Each modality has ``n_features`` features, of which the first
    ``n_informative`` are **informative** (they enter the target) and the
    others are pure noise features; the target adds up one contribution
    per modality, plus Gaussian noise:

    * ``nonlinear=False``: features are standard normal and the target is
      linear, ``y = sum_m X_m @ w_m + noise * e``, where the weights of
      modality ``m``'s informative features are drawn uniformly in
      ``[0, 100)`` (as in ``make_regression``) and those of its other
      features are 0. A model that adds up per-modality predictions (late
      fusion) can fit it exactly.
    * ``nonlinear=True``: features are uniform on ``[0, 1]`` and, with
      ``u_1, u_2, ...`` the informative features of a modality, its
      contribution is Friedman #1 on each block of five of them,
      ``f(u) = 10 sin(pi u_1 u_2) + 20 (u_3 - 1/2)**2 + 10 u_4 + 5 u_5``
      (then the same on ``u_6 .. u_10``, ...; the terms of a shorter last
      block whose features are absent left out, a lone ``u_1`` giving
      ``10 sin(pi u_1)``): an interaction *within* the modality. Each pair of
      consecutive modalities ``(a, b)`` with informative features adds the
      interaction *across* modalities
      ``40 (u_1^(a) - 1/2) (u_1^(b) - 1/2)``, which has mean 0 given either
      modality alone: no single modality, nor a sum of per-modality
      functions, predicts it, so how the modalities are fused matters.
      Then ``y = sum_m f(u^(m)) + sum_(a, b) 40 (u_1^(a) - 1/2)
      (u_1^(b) - 1/2) + noise * e``.

    With ``n_targets > 1``, each target has its own weights (linear) or
    applies the formula to its own random order of each modality's
    informative features (nonlinear; target 0 in their natural order). The
    target is computed from the complete features, before missing
    modalities are marked.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples.
    modalities : int, list of str or dict, default=3
        An int ``M`` gives modalities ``"m0" .. "m{M-1}"`` with
        ``n_features`` features each; a list gives the names; a dict maps
        names to their numbers of features.
    n_features : int, default=10
        Features per modality when ``modalities`` is an int or a list.
    n_informative : int, list or dict, default=None
        Number of informative features of a modality, between 0 (a modality
        of pure noise) and its number of features: one value for all, a list
        in modality order, or a dict name -> number. ``None`` (and, in a
        dict, a modality not named): half of the modality's features,
        rounded up (5 of the default 10: one Friedman #1 block).
    n_targets : int, default=1
        Number of targets.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to the target.
    nonlinear : bool, default=False
        Friedman #1-like contributions and cross-modal interactions instead
        of a linear target.
    missing_rates : float, list or dict, default=None
        Share of samples for which a modality is missing (a NaN row): one
        value for all, a list in modality order, or a dict name -> rate
        (others 0). Exactly ``round(rate * n_samples)`` rows are missing per
        modality, drawn at random and independently across modalities except
        that no sample ever has every modality missing. ``None``: nothing
        missing.
    return_info : bool, default=False
        Also return a :class:`~sklearn.utils.Bunch` with the ground truth.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator; an int gives the same data on every call.

    Returns
    -------
    X : MultimodalData
        Modality name -> float64 array of shape ``(n_samples, n_features)``.
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        The float64 target; 1D when ``n_targets=1``.
    info : Bunch
        Only with ``return_info=True``:

        - ``informative``: dict name -> indices of the informative features;
        - ``coef``: dict name -> weights of shape ``(n_features,)`` or
          ``(n_features, n_targets)`` (``nonlinear=False``; else ``None``);
        - ``orders``: dict name -> ``(n_targets, n_informative)`` order in
          which each target takes the informative features
          (``nonlinear=True``; else ``None``);
        - ``pairs``: the pairs of modalities with a cross-modal interaction
          (empty when ``nonlinear=False``);
        - ``contributions``: dict name -> noise-free contribution of the
          modality, shaped like ``y``;
        - ``interactions``: the sum of the cross-modal terms, shaped like
          ``y``, so that ``y = sum(contributions) + interactions + noise``;
        - ``mask``: ``(n_samples, n_modalities)`` bool presence mask;
        - ``missing_rates``: dict name -> rate;
        - ``noise``, ``nonlinear``, ``modalities`` (names in order).

    See Also
    --------
    make_multimodal_classification : The classification counterpart.
    load_diabetes_multimodal : A small real multimodal regression data set.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.datasets import make_multimodal_regression
    >>> X, y = make_multimodal_regression(
    ...     n_samples=200, modalities={"image": 8, "text": 4},
    ...     n_informative={"image": 5, "text": 2}, nonlinear=True,
    ...     missing_rates={"text": 0.25}, random_state=0)
    >>> X
    MultimodalData({image: (200, 8), text: (200, 4)}, n_samples=200)
    >>> y.shape, y.dtype
    ((200,), dtype('float64'))
    >>> int(np.isnan(X["text"]).all(axis=1).sum())  # 25% of the texts missing
    50

    A linear target with two outputs, and its ground truth:

    >>> X, Y, info = make_multimodal_regression(
    ...     100, 2, n_targets=2, noise=0.0, return_info=True, random_state=0)
    >>> Y.shape, info.coef["m0"].shape
    ((100, 2), (10, 2))
    >>> bool(np.allclose(Y, X["m0"] @ info.coef["m0"] + X["m1"] @ info.coef["m1"]))
    True
    """
    _check_int(n_samples, "n_samples")
    _check_int(n_targets, "n_targets")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or noise < 0:
        raise ValueError(f"noise must be a non-negative number, got {noise!r}.")
    spec = _modality_spec(modalities, n_features)
    names = list(spec)
    informative = _per_modality(n_informative, names, "n_informative", None)
    for name, k in informative.items():
        if k is None:
            informative[name] = k = (spec[name] + 1) // 2
        _check_int(k, f"n_informative of modality {name!r}", 0)
        if k > spec[name]:
            raise ValueError(
                f"n_informative of modality {name!r} ({k}) exceeds its n_features ({spec[name]})."
            )
    rates = _per_modality(missing_rates, names, "missing_rates", 0.0)
    counts = _check_missing(rates, names, n_samples)

    rng = check_random_state(random_state)
    draw = rng.uniform if nonlinear else rng.normal
    X = {name: draw(size=(n_samples, d)) for name, d in spec.items()}
    contributions = {}
    interactions = np.zeros((n_samples, n_targets))
    coef = orders = None
    pairs = []
    if nonlinear:
        orders = {
            name: np.array(
                [np.arange(k)] + [rng.permutation(k) for _ in range(n_targets - 1)], dtype=np.intp
            ).reshape(n_targets, k)
            for name, k in informative.items()
        }
        for name in names:
            contributions[name] = np.column_stack(
                [_friedman1(X[name][:, order]) for order in orders[name]]
            )
        active = [name for name in names if informative[name]]
        pairs = list(zip(active[:-1], active[1:]))
        for a, b in pairs:
            first_a = X[a][:, orders[a][:, 0]] - 0.5  # (n, n_targets)
            first_b = X[b][:, orders[b][:, 0]] - 0.5
            interactions += 40.0 * first_a * first_b
    else:
        coef = {}
        for name, d in spec.items():
            w = np.zeros((d, n_targets))
            w[: informative[name]] = 100.0 * rng.uniform(size=(informative[name], n_targets))
            coef[name] = w
            contributions[name] = X[name] @ w
    y = sum(contributions.values()) + interactions
    y = y + noise * rng.standard_normal(y.shape)
    mask = _missing_mask(counts, names, n_samples, rng)
    mark_missing([X[name] for name in names], mask)
    X = MultimodalData(X)
    if n_targets == 1:
        y, interactions = y[:, 0], interactions[:, 0]
        contributions = {name: c[:, 0] for name, c in contributions.items()}
        if coef is not None:
            coef = {name: w[:, 0] for name, w in coef.items()}
    if not return_info:
        return X, y
    info = Bunch(
        informative={name: np.arange(k) for name, k in informative.items()},
        coef=coef,
        orders=orders,
        pairs=pairs,
        contributions=contributions,
        interactions=interactions,
        mask=mask,
        missing_rates=rates,
        noise=float(noise),
        nonlinear=bool(nonlinear),
        modalities=names,
    )
    return X, y, info
