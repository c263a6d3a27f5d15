"""Tests of trusted (evidential) multimodal regression (skmm/trusted_regression.py)."""

import itertools

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from skmm import MultimodalData
from skmm.nn.functional import expand_patterns
from skmm.trusted_regression import (
    TrustedFusionRegressor,
    TrustedRegressionModule,
    _combine_rows,
    nig_combine,
    nig_nll,
    nig_regularizer,
)

# early_stopping=True: the calibration tests need the validation split on 400 rows
FAST = dict(hidden_sizes=(16,), max_epochs=40, lr=1e-2, batch_size=64, early_stopping=True)


def _task(n=400, seed=0, noise=0.3):
    """Three modalities, each carrying a nonlinear part of y (fusion helps)."""
    rng = np.random.RandomState(seed)
    X = {name: rng.randn(n, 3) for name in ("a", "b", "c")}
    y = (
        np.sin(2 * X["a"][:, 0]) + X["a"][:, 1]
        + X["b"][:, 0] ** 2 / 2 + X["b"][:, 1]
        + np.abs(X["c"][:, 0]) + X["c"][:, 1]
        + noise * rng.randn(n)
    )
    return MultimodalData(X), y


def _mask(X, names, rows=slice(None)):
    """A copy of ``X`` with modalities ``names`` missing in ``rows``."""
    out = {k: np.array(v, dtype=float) for k, v in X.items()}
    for name in names:
        out[name][rows] = np.nan
    return MultimodalData(out)


@pytest.fixture(scope="module")
def data():
    X, y = _task()
    X_test, y_test = _task(n=300, seed=1)
    return X, y, X_test, y_test


@pytest.fixture(scope="module")
def fitted(data):
    """Paper-exact standard deviations (no recalibration)."""
    X, y, _, _ = data
    return TrustedFusionRegressor(std_calibration=None, random_state=0, **FAST).fit(X, y)


@pytest.fixture(scope="module")
def calibrated(data):
    """The default: standard deviations recalibrated per presence pattern."""
    X, y, _, _ = data
    return TrustedFusionRegressor(random_state=0, **FAST).fit(X, y)


# ---------------------------------------------------------------------------
# The NIG combination and loss, by hand
# ---------------------------------------------------------------------------

# (gamma, nu, alpha, beta) of three modalities
N1 = (1.0, 1.0, 2.0, 1.0)
N2 = (3.0, 3.0, 3.0, 1.0)
N3 = (2.0, 2.0, 1.5, 0.5)


def _stack(*nigs):
    t = torch.tensor([nigs], dtype=torch.float64)  # (1, M, 4)
    return tuple(t[..., i] for i in range(4))


def _pairwise(a, b):
    """MoNIG Eq. 9 for two NIGs, written out."""
    g1, n1, a1, b1 = a
    g2, n2, a2, b2 = b
    g = (n1 * g1 + n2 * g2) / (n1 + n2)
    return (g, n1 + n2, a1 + a2 + 0.5, b1 + b2 + 0.5 * n1 * (g1 - g) ** 2 + 0.5 * n2 * (g2 - g) ** 2)


def test_nig_combine_two_modalities_by_hand():
    # gamma = (1*1 + 3*3) / 4 = 2.5, nu = 4, alpha = 2 + 3 + 1/2 = 5.5,
    # beta = 1 + 1 + 1/2 * 1 * (1 - 2.5)^2 + 1/2 * 3 * (3 - 2.5)^2 = 2 + 1.125 + 0.375 = 3.5
    out = nig_combine(*_stack(N1, N2))
    assert_allclose([t.item() for t in out], [2.5, 4.0, 5.5, 3.5], rtol=1e-12)


def test_nig_combine_three_modalities_by_hand_and_in_any_order():
    # gamma = (1 + 9 + 4) / 6 = 7/3, nu = 6, alpha = 2 + 3 + 1.5 + (3 - 1)/2 = 7.5,
    # beta = 2.5 + 1/2 (1 (1 - 7/3)^2 + 3 (3 - 7/3)^2 + 2 (2 - 7/3)^2) = 2.5 + 1/2 * 30/9 = 25/6
    expected = [7 / 3, 6.0, 7.5, 25 / 6]
    for order in itertools.permutations([N1, N2, N3]):
        assert_allclose([t.item() for t in nig_combine(*_stack(*order))], expected, rtol=1e-12)
        # the pairwise rule folded left to right, and right to left: the same (associative)
        left = _pairwise(_pairwise(order[0], order[1]), order[2])
        right = _pairwise(order[0], _pairwise(order[1], order[2]))
        assert_allclose(left, expected, rtol=1e-12)
        assert_allclose(right, expected, rtol=1e-12)


def test_nig_combine_closed_form_is_the_pairwise_fold_on_random_values():
    rng = np.random.RandomState(0)
    n, n_mod, n_targets = 50, 4, 2
    gamma = rng.randn(n, n_mod, n_targets)
    nu, alpha, beta = rng.rand(3, n, n_mod, n_targets) * 3 + 0.1
    alpha = alpha + 1
    out = nig_combine(*(torch.tensor(a) for a in (gamma, nu, alpha, beta)))
    acc = (gamma[:, 0], nu[:, 0], alpha[:, 0], beta[:, 0])
    for m in range(1, n_mod):
        acc = _pairwise(acc, (gamma[:, m], nu[:, m], alpha[:, m], beta[:, m]))
    for got, want in zip(out, acc):
        assert got.shape == (n, n_targets)
        assert_allclose(got.numpy(), want, rtol=1e-10)


def test_nig_combine_leaves_a_masked_modality_out_exactly():
    g, nu, a, b = _stack(N1, (np.nan, np.inf, np.nan, -1.0), N2)  # garbage where missing
    mask = torch.tensor([[True, False, True]])
    out = nig_combine(g, nu, a, b, mask)
    assert_allclose([t.item() for t in out], [2.5, 4.0, 5.5, 3.5], rtol=1e-12)
    # one present modality: its own NIG
    out = nig_combine(g, nu, a, b, torch.tensor([[False, False, True]]))
    assert_allclose([t.item() for t in out], N2, rtol=1e-12)


def test_combination_over_augmented_rows_matches_nig_combine():
    """The training path (sparse sums, centred spread) gives nig_combine's values and
    gradients for every (sample, pattern) row."""
    rng = np.random.RandomState(1)
    n, n_mod, n_targets = 6, 3, 2
    params = [torch.tensor(rng.randn(n, n_mod, n_targets) + 100.0, requires_grad=True)]
    params += [
        torch.tensor(rng.rand(n, n_mod, n_targets) * 2 + c, requires_grad=True)
        for c in (0.1, 1.1, 0.1)
    ]
    batch_mask = torch.ones(n, n_mod, dtype=torch.bool)
    batch_mask[0, 1] = batch_mask[3, 0] = batch_mask[3, 2] = False
    rows, mask = expand_patterns(batch_mask, "all")
    got = _combine_rows(*params, batch_mask, rows, mask)
    want = nig_combine(*(p[rows] for p in params), mask)
    for g, w in zip(got, want):
        assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-9, atol=1e-9)
    weights = [torch.tensor(rng.randn(*g.shape)) for g in got]
    grad_got = torch.autograd.grad(sum((g * w).sum() for g, w in zip(got, weights)), params)
    grad_want = torch.autograd.grad(sum((g * w).sum() for g, w in zip(want, weights)), params)
    for g, w in zip(grad_got, grad_want):
        assert_allclose(g.numpy(), w.numpy(), rtol=1e-9, atol=1e-9)


def test_nig_nll_is_the_student_t_log_density():
    y = np.array([-1.0, 0.3, 2.5, 10.0])
    gamma = np.array([0.0, 0.5, 1.0, -2.0])
    nu = np.array([0.5, 1.0, 3.0, 0.01])
    alpha = np.array([1.2, 2.0, 5.0, 1.01])
    beta = np.array([0.3, 1.0, 2.0, 7.0])
    got = nig_nll(*(torch.tensor(a) for a in (y, gamma, nu, alpha, beta))).numpy()
    scale = np.sqrt(beta * (1 + nu) / (nu * alpha))
    want = -stats.t.logpdf(y, df=2 * alpha, loc=gamma, scale=scale)
    assert_allclose(got, want, rtol=1e-10)


def test_nig_regularizer_by_hand():
    # |3 - 1| * (2 * 0.5 + 2) = 6
    args = (torch.tensor(3.0), torch.tensor(1.0), torch.tensor(0.5), torch.tensor(2.0))
    assert nig_regularizer(*args).item() == 6.0


def test_module_loss_is_the_mean_of_the_combined_and_present_modality_losses():
    torch.manual_seed(0)
    encoders = torch.nn.ModuleList(torch.nn.Identity() for _ in range(3))
    for e in encoders:
        e.out_features = 2
    module = TrustedRegressionModule(encoders, 1, evidence_weight=0.3)
    b = 5
    nig = (torch.randn(b, 3, 1), torch.rand(b, 3, 1) + 0.1, torch.rand(b, 3, 1) + 1.1,
           torch.rand(b, 3, 1) + 0.1)
    mask = torch.ones(b, 3, dtype=torch.bool)
    mask[1, 0] = mask[2, 2] = False
    y = torch.randn(b, 1)
    terms = module.losses((nig, mask), y, None, mask)
    combined = nig_combine(*nig, mask)
    nll = nig_nll(y, *combined).mean() + torch.where(
        mask[..., None], nig_nll(y[:, None], *nig), torch.zeros(())
    ).sum((1, 2)).mean()
    reg = nig_regularizer(y, *combined[:3]).mean() + torch.where(
        mask[..., None], nig_regularizer(y[:, None], *nig[:3]), torch.zeros(())
    ).sum((1, 2)).mean()
    assert_allclose(terms["loss_nll"].item(), nll.item() / 4, rtol=1e-5)
    assert_allclose(terms["loss_reg"].item(), reg.item() / 4, rtol=1e-5)
    assert_allclose(terms["loss"].item(), (nll.item() + 0.3 * reg.item()) / 4, rtol=1e-5)
    assert_allclose(terms["output"].numpy(), combined[0].numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


def test_predictions_and_std_shapes_1d(fitted, data):
    _, _, X_test, _ = data
    mean, std = fitted.predict(X_test, return_std=True)
    assert mean.shape == std.shape == (300,)
    assert np.isfinite(mean).all() and (std > 0).all() and np.isfinite(std).all()
    assert_allclose(fitted.predict(X_test), mean, rtol=1e-12)


def test_std_is_the_combined_student_t_std(fitted, data):
    _, _, X_test, _ = data
    _, std = fitted.predict(X_test, return_std=True)
    parts = fitted.predict_uncertainty(X_test)
    assert set(parts) == {"aleatoric", "epistemic"}
    assert (parts["aleatoric"] > 0).all() and (parts["epistemic"] > 0).all()
    assert_allclose(parts["aleatoric"] ** 2 + parts["epistemic"] ** 2, std**2, rtol=1e-10)
    # computed by hand from the module's per-modality NIGs
    (gamma, nu, alpha, beta), mask = fitted._nig(X_test)
    _, nu_c, alpha_c, beta_c = (t.numpy() for t in nig_combine(
        *(torch.tensor(a) for a in (gamma, nu, alpha, beta)), torch.tensor(mask)))
    want = np.sqrt(beta_c * (1 + nu_c) / (nu_c * (alpha_c - 1)))[:, 0] * fitted._y_scale[0]
    assert_allclose(std, want, rtol=1e-10)


def test_two_dimensional_targets(data):
    X, y, X_test, _ = data
    Y = np.column_stack([y, -3 * y + 5])
    reg = TrustedFusionRegressor(random_state=0, **FAST).fit(X, Y)
    mean, std = reg.predict(X_test, return_std=True)
    assert mean.shape == std.shape == (300, 2) and (std > 0).all()
    parts = reg.predict_uncertainty(X_test)
    assert parts["aleatoric"].shape == parts["epistemic"].shape == (300, 2)
    m, s = reg.predict_modalities(X_test)["b"]
    assert m.shape == s.shape == (300, 2)
    # a one-column 2D y trains as 1D (DataConversionWarning), as sklearn's regressors do
    with pytest.warns(UserWarning):
        reg1 = TrustedFusionRegressor(random_state=0, **FAST).fit(X, y[:, None])
    assert reg1.predict(X_test, return_std=True)[1].shape == (300,)


@pytest.mark.parametrize("std_calibration", [None, "validation"])
def test_std_is_in_the_targets_units(fitted, calibrated, data, std_calibration):
    X, y, X_test, _ = data
    fitted = calibrated if std_calibration else fitted
    mean, std = fitted.predict(X_test, return_std=True)
    parts = fitted.predict_uncertainty(X_test)
    big = TrustedFusionRegressor(std_calibration=std_calibration, random_state=0, **FAST)
    big.fit(X, 1000 * y + 7)
    mean_big, std_big = big.predict(X_test, return_std=True)
    assert_allclose(mean_big, 1000 * mean + 7, rtol=1e-5)
    assert_allclose(std_big, 1000 * std, rtol=1e-5)
    assert_allclose(big.predict_uncertainty(X_test)["epistemic"], 1000 * parts["epistemic"],
                    rtol=1e-5)
    assert_allclose(big.predict_modalities(X_test)["a"][1],
                    1000 * fitted.predict_modalities(X_test)["a"][1], rtol=1e-5)


@pytest.mark.parametrize("std_calibration", [None, "validation"])
def test_a_missing_modality_raises_the_std(fitted, calibrated, data, std_calibration):
    _, _, X_test, _ = data
    fitted = calibrated if std_calibration else fitted
    _, std = fitted.predict(X_test, return_std=True)
    for name in "abc":
        _, std_missing = fitted.predict(_mask(X_test, [name]), return_std=True)
        assert std_missing.mean() > 1.1 * std.mean(), name
    _, std_one = fitted.predict(_mask(X_test, ["a", "b"]), return_std=True)
    assert std_one.mean() > std.mean()


@pytest.mark.parametrize("std_calibration", [None, "validation"])
def test_a_noisy_modality_raises_the_std(fitted, calibrated, data, std_calibration):
    _, _, X_test, _ = data
    fitted = calibrated if std_calibration else fitted
    _, std = fitted.predict(X_test, return_std=True)
    rng = np.random.RandomState(0)
    for name in "abc":
        noisy = {k: np.array(v) for k, v in X_test.items()}
        noisy[name] = noisy[name] + 5 * rng.randn(*noisy[name].shape)
        _, std_noisy = fitted.predict(noisy, return_std=True)
        assert std_noisy.mean() > 1.2 * std.mean(), name


def test_modality_distributions_nan_where_missing_and_equal_to_the_combination_alone(
    fitted, data
):
    _, _, X_test, _ = data
    X_missing = _mask(X_test, ["b", "c"], rows=slice(0, 50))
    per = fitted.predict_modalities(X_missing)
    assert list(per) == ["a", "b", "c"]
    for name in "bc":
        mean, std = per[name]
        assert np.isnan(mean[:50]).all() and np.isnan(std[:50]).all()
        assert np.isfinite(mean[50:]).all() and (std[50:] > 0).all()
    # only "a" present: the combination is a's own distribution
    mean, std = fitted.predict(X_missing, return_std=True)
    assert_allclose(mean[:50], per["a"][0][:50], rtol=1e-12)
    assert_allclose(std[:50], per["a"][1][:50], rtol=1e-12)


def test_beats_a_linear_model_with_a_modality_missing_for_a_quarter_of_rows():
    X, y = _task(n=800, seed=2)
    X_test, y_test = _task(n=400, seed=3)
    rows = np.random.RandomState(0).rand(800) < 0.25
    X = _mask(X, ["b"], rows=rows)
    X_test = _mask(X_test, ["b"], rows=slice(0, 100))

    def concat(X):
        parts = []
        for v in X.values():
            missing = np.isnan(v).all(1, keepdims=True)
            parts += [np.where(missing, 0.0, v), missing.astype(float)]
        return np.hstack(parts)

    ridge = r2_score(y_test, RidgeCV().fit(concat(X), y).predict(concat(X_test)))
    reg = TrustedFusionRegressor(random_state=0, hidden_sizes=(32,), lr=1e-2).fit(X, y)
    mean, std = reg.predict(X_test, return_std=True)
    assert np.isfinite(mean).all() and np.isfinite(std).all()
    r2 = r2_score(y_test, mean)
    assert r2 > ridge + 0.05, (r2, ridge)


def test_history_records_the_loss_terms_and_valid_r2(fitted):
    history = fitted.history_
    for key in ("train_loss", "valid_loss", "loss_nll", "loss_reg", "valid_r2"):
        assert np.isfinite(history[-1, key]), key
    assert history[-1, "valid_r2"] > 0.5


def test_evidence_weight_enters_the_loss(data):
    X, y, _, _ = data
    params = dict(FAST, max_epochs=1, random_state=0, early_stopping=False, std_calibration=None)
    zero = TrustedFusionRegressor(evidence_weight=0.0, **params).fit(X, y).history_
    one = TrustedFusionRegressor(evidence_weight=1.0, **params).fit(X, y).history_
    # the first batch (same weights, same data): loss = nll + weight * reg
    nll, reg = zero[0, "batches", 0, "loss_nll"], zero[0, "batches", 0, "loss_reg"]
    assert_allclose(zero[0, "batches", 0, "train_loss"], nll, rtol=1e-6)
    assert_allclose(one[0, "batches", 0, "train_loss"], nll + reg, rtol=1e-6)


def test_validation_calibration_rescales_std_per_pattern_and_not_the_mean(data):
    X, y, X_test, y_test = _task(n=1500, seed=4) + _task(n=1500, seed=5)
    params = dict(FAST, random_state=0)
    raw = TrustedFusionRegressor(std_calibration=None, **params).fit(X, y)
    cal = TrustedFusionRegressor(**params).fit(X, y)  # the default: "validation"
    covered = []
    for keep in ("abc", "ab", "ac", "bc", "a", "b", "c"):
        Xm = _mask(X_test, [n for n in "abc" if n not in keep])
        mean_raw, std_raw = raw.predict(Xm, return_std=True)
        mean, std = cal.predict(Xm, return_std=True)
        assert_array_equal(mean, mean_raw)  # the same training: only std changes
        ratio = std / std_raw
        assert_allclose(ratio, ratio[0], rtol=1e-10)  # one scale per pattern
        covered.append(np.mean(np.abs(y_test - mean) <= 1.645 * std))
        parts = cal.predict_uncertainty(Xm)
        assert_allclose(parts["aleatoric"] ** 2 + parts["epistemic"] ** 2, std**2, rtol=1e-10)
    assert all(0.85 <= c <= 0.95 for c in covered), covered


def test_validation_calibration_needs_early_stopping(data):
    X, y, _, _ = data
    reg = TrustedFusionRegressor(std_calibration="validation", **dict(FAST, early_stopping=False))
    with pytest.raises(ValueError, match="early_stopping=True"):
        reg.fit(X, y)


def test_validation_calibration_of_a_rare_pattern_falls_back_to_all_rows(data):
    from skmm.trusted_regression import _combined_mean_std, _conformal_scale

    X, y, _, _ = data
    X = _mask(X, ["b"], rows=slice(0, 390))  # "b" present in 10 rows of 400
    cal = TrustedFusionRegressor(std_calibration="validation", random_state=0, **FAST).fit(X, y)
    c = cal._calibration
    assert c["mask"][:, 1].sum() < 20 and len(c["y"]) == 40
    patterns = np.array([[True, True, True], [True, False, False], [False, True, False]])
    scales = cal._std_scales(patterns)
    # patterns with "b": too few validation rows, every row under its own pattern
    gamma, std = _combined_mean_std(c["nig"], c["mask"])
    overall = _conformal_scale(np.abs(c["y"] - gamma) / std)
    assert_allclose(scales[[0, 2]], [overall, overall], rtol=1e-12)
    # ("a",): present in every validation row, masked to the pattern
    own = np.broadcast_to(patterns[1], c["mask"].shape)
    gamma, std = _combined_mean_std(c["nig"], own)
    assert_allclose(scales[1], _conformal_scale(np.abs(c["y"] - gamma) / std), rtol=1e-12)
    assert not np.allclose(scales[1], overall)


def test_conformal_scale_by_hand():
    from skmm.trusted_regression import _conformal_scale

    ratios = np.arange(1.0, 20.0)[::-1, None]  # n = 19: the ceil(0.9 * 20) = 18th smallest
    assert_allclose(_conformal_scale(ratios), [18 / 1.6448536269514722])
    assert_allclose(_conformal_scale(np.array([[3.0], [1.0]])), [3 / 1.6448536269514722])


def test_weighted_conformal_scale_by_hand():
    from skmm.trusted_regression import _conformal_scale

    rng = np.random.RandomState(0)
    for n in (5, 9, 19, 100):  # equal weights, at any scale: the unweighted quantile
        ratios = rng.rand(n, 2)
        for w in (1.0, 0.37):
            np.testing.assert_array_equal(
                _conformal_scale(ratios, np.full(n, w)), _conformal_scale(ratios))
    # weight zero: the row is left out
    ratios, weight = rng.rand(30, 1), rng.randint(0, 3, 30).astype(float)
    np.testing.assert_array_equal(
        _conformal_scale(ratios, weight), _conformal_scale(ratios[weight > 0], weight[weight > 0]))
    # ratios 1..20: unweighted, the 19th smallest; with the largest weighing 10, 0.9 of
    # (W + mean weight) = 0.9 (29 + 1.45) = 27.4 is reached only with it: the ratio 20
    ratios = np.arange(1.0, 21.0)[:, None]
    assert_allclose(_conformal_scale(ratios), [19 / 1.6448536269514722])
    weight = np.r_[np.ones(19), 10.0]
    assert_allclose(_conformal_scale(ratios, weight), [20 / 1.6448536269514722])


def test_calibration_is_weighted(data):
    """The validation rows' weights reach the calibration: the factor of the pattern with
    every modality is the weighted quantile of those rows' ratios."""
    from skmm.trusted_regression import _combined_mean_std, _conformal_scale

    X, y, _, _ = data
    weight = np.where(np.arange(len(y)) % 3 == 0, 3.0, 1.0)
    params = {**FAST, "early_stopping": True, "random_state": 0}
    reg = TrustedFusionRegressor(**params).fit(X, y, sample_weight=weight)
    c = reg._calibration
    assert_allclose(c["weight"].mean(), 1.0)  # the split's weights, rescaled to mean 1
    assert len(np.unique(c["weight"].round(6))) == 2  # the two weights, in ratio 3
    assert_allclose(c["weight"].max() / c["weight"].min(), 3.0)
    rows = c["mask"].all(1)
    assert rows.sum() >= 20  # enough rows for the pattern's own factor
    gamma, std = _combined_mean_std(tuple(a[rows] for a in c["nig"]), c["mask"][rows])
    ratios = np.abs(c["y"][rows] - gamma) / std
    every = np.ones((1, c["mask"].shape[1]), bool)
    assert_allclose(reg._std_scales(every)[0], _conformal_scale(ratios, c["weight"][rows]))
    assert TrustedFusionRegressor(**params).fit(X, y)._calibration["weight"] is None


@pytest.mark.parametrize("augment", ["all", "random"])
def test_augment_and_train_noise(data, augment):
    X, y, X_test, y_test = data
    X = _mask(X, ["c"], rows=slice(0, 40))
    reg = TrustedFusionRegressor(augment=augment, train_noise=0.5, random_state=0, **FAST)
    reg.fit(X, y)
    assert r2_score(y_test, reg.predict(X_test)) > 0.5
    _, std = reg.predict(_mask(X_test, ["a"]), return_std=True)
    assert np.isfinite(std).all()


def test_stream_placement_trains_the_same_model(data):
    X, y, X_test, _ = data
    device = TrustedFusionRegressor(random_state=0, data_placement="device", **FAST).fit(X, y)
    stream = TrustedFusionRegressor(random_state=0, data_placement="stream", **FAST).fit(X, y)
    assert_allclose(stream.predict(X_test, return_std=True), device.predict(X_test, return_std=True),
                    rtol=1e-6)


def test_sequences_through_encoders():
    rng = np.random.RandomState(0)
    seq = rng.randn(120, 6, 3).astype(np.float32)
    y = seq[:, :, 0].mean(1) * 3 + rng.randn(120) * 0.1
    X = {"seq": seq, "tab": rng.randn(120, 2)}
    reg = TrustedFusionRegressor(encoders={"seq": "lstm"}, random_state=0, **FAST).fit(X, y)
    mean, std = reg.predict(X, return_std=True)
    assert mean.shape == std.shape == (120,) and (std > 0).all()


def test_subset_invariance_of_std(fitted, data):
    _, _, X_test, _ = data
    full = fitted.predict(X_test, return_std=True)
    part = fitted.predict({k: np.asarray(v)[:7] for k, v in X_test.items()}, return_std=True)
    assert_array_equal(part[0], full[0][:7])
    assert_array_equal(part[1], full[1][:7])


@pytest.mark.parametrize(
    "params, error",
    [
        (dict(evidence_weight=-0.1), InvalidParameterError),
        (dict(std_calibration="test"), InvalidParameterError),
        (dict(augment="some"), InvalidParameterError),
    ],
)
def test_bad_parameters(data, params, error):
    X, y, _, _ = data
    with pytest.raises(error):
        TrustedFusionRegressor(**params).fit(X, y)


def test_grid_search_over_its_parameters(data):
    X, y, _, _ = data
    search = GridSearchCV(
        TrustedFusionRegressor(random_state=0, **dict(FAST, max_epochs=5)),
        {"evidence_weight": [0.0, 0.01]},
        cv=2,
    ).fit(X, y)
    assert search.best_params_["evidence_weight"] in (0.0, 0.01)


def test_auto_early_stopping_without_a_split_keeps_the_models_own_std(data):
    """early_stopping="auto" holds out no split below 20 validation rows (150 rows here):
    the standard deviations cannot be recalibrated; a warning says so, and they are the
    paper-exact ones."""
    X, y, _, _ = data
    X, y = X[:150], y[:150]
    params = dict(FAST, early_stopping="auto", random_state=0)
    with pytest.warns(UserWarning, match=r"std_calibration='validation' needs the "
                      r"early-stopping validation split, which early_stopping='auto' leaves "
                      r"out below 20 validation rows"):
        auto = TrustedFusionRegressor(**params).fit(X, y)
    assert auto.early_stopping_ is False and auto._calibration is None
    own = TrustedFusionRegressor(std_calibration=None, **params).fit(X, y)
    assert_allclose(auto.predict(X, return_std=True)[1], own.predict(X, return_std=True)[1])
