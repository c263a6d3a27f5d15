"""Calibration (skmm.calibration, re-exported by skmm.evaluation): ECE per missing pattern,
the removal violation rate, and for regressors interval coverage, width and Gaussian NLL."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import BayesianRidge, LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skmm import MultimodalData
from skmm._data import check_multimodal
from skmm.calibration import gaussian_nll, interval_coverage
from skmm.evaluation import (
    calibration_scores,
    expected_calibration_error,
    removal_violations,
    summarize_by_size,
)


class _Stub(ClassifierMixin, BaseEstimator):
    """Predicts class 0 with a confidence set by the number of present modalities.

    ``confidence[k]`` is the probability of class 0 with ``k`` modalities present.
    """

    def __init__(self, confidence):
        self.confidence = confidence

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        present = check_multimodal(X).mask.sum(1)
        p = np.array([self.confidence[k] for k in present])
        return np.stack([p, 1 - p], 1)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(1)]


def _X(n=40):
    rng = np.random.RandomState(0)
    return MultimodalData(a=rng.randn(n, 2), b=rng.randn(n, 3), c=rng.randn(n, 1))


def test_ece_by_hand():
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    # bins of width 0.1: {0.9: 1 right, 1 wrong}, {0.8: right}, {0.6: right}
    # ECE = 2/4 |0.5 - 0.9| + 1/4 |1 - 0.8| + 1/4 |1 - 0.6| = 0.35
    assert expected_calibration_error([0, 1, 1, 1], proba, n_bins=10) == pytest.approx(0.35)
    # labels through classes
    assert expected_calibration_error(["x", "y", "y", "y"], proba, classes=["x", "y"],
                                      n_bins=10) == pytest.approx(0.35)


def test_ece_of_a_calibrated_predictor_is_near_zero():
    rng = np.random.RandomState(0)
    p = rng.uniform(0.5, 1.0, 100_000)
    y = (rng.rand(p.size) >= p).astype(int)  # class 0 with probability p
    proba = np.stack([p, 1 - p], 1)
    assert expected_calibration_error(y, proba) < 0.01
    # exactly calibrated: in the 0.75 bin, 3 of 4 right
    proba = np.tile([0.75, 0.25], (4, 1))
    assert expected_calibration_error([0, 0, 0, 1], proba) == 0.0
    # always wrong with confidence 1: ECE 1
    assert expected_calibration_error([1, 1], np.tile([1.0, 0.0], (2, 1))) == 1.0


def test_ece_bad_input():
    with pytest.raises(ValueError, match="n_bins must be a positive integer"):
        expected_calibration_error([0], [[1.0, 0.0]], n_bins=0)
    with pytest.raises(ValueError, match="classes has 3 labels but y_proba has 2 columns"):
        expected_calibration_error([0], [[1.0, 0.0]], classes=[0, 1, 2])
    with pytest.raises(ValueError, match="y_proba must have shape"):
        expected_calibration_error([0, 1], [[1.0, 0.0]])


def test_calibration_scores_per_pattern():
    X = _X()
    y = np.zeros(40, int)
    y[:10] = 1  # 75% of the samples are class 0
    stub = _Stub({1: 0.75, 2: 0.9, 3: 1.0}).fit(X, y)
    table = calibration_scores(stub, X, y, n_bins=10)
    assert list(table.columns) == [
        "pattern", "n_present", "n_samples", "score_ece", "score_accuracy", "score_confidence"
    ]
    assert len(table) == 7
    # accuracy 0.75 everywhere; confidence by pattern size: 0.75, 0.9, 1.0
    expected = {1: (0.0, 0.75), 2: (0.15, 0.9), 3: (0.25, 1.0)}
    for k, ece, acc, conf in zip(table["n_present"], table["score_ece"],
                                 table["score_accuracy"], table["score_confidence"]):
        assert (ece, conf) == pytest.approx(expected[k])
        assert acc == pytest.approx(0.75)
    summary = summarize_by_size(table)
    assert_allclose(summary["score_confidence"].to_numpy(dtype=float),
                    [0.75, 0.9, 1.0, (3 * 0.75 + 3 * 0.9 + 1.0) / 7])


def test_removal_violations_rising_and_falling_confidence():
    X = _X()
    rising = _Stub({1: 0.99, 2: 0.9, 3: 0.6}).fit(X, None)
    table = removal_violations(rising, X)
    assert table["removed"].tolist() == ["a", "b", "c", "all"]
    assert table["n_cases"].tolist() == [40, 40, 40, 120]
    assert table["violation_rate"].tolist() == [1.0, 1.0, 1.0, 1.0]
    falling = _Stub({1: 0.6, 2: 0.9, 3: 0.99}).fit(X, None)
    assert removal_violations(falling, X)["violation_rate"].tolist() == [0.0] * 4
    # tol: a rise of 0.09 is not counted under tol=0.1
    assert removal_violations(_Stub({1: 0.6, 2: 0.99, 3: 0.9}).fit(X, None), X, tol=0.1)[
        "n_violations"].tolist() == [0, 0, 0, 0]


def test_removal_violations_skip_samples_with_one_modality():
    X = _X()
    X = MultimodalData({k: v.copy() for k, v in X.items()})
    X["b"][:10] = np.nan
    X["c"][:10] = np.nan  # rows 0-9: only "a"; nothing can be removed
    X["c"][10:20] = np.nan  # rows 10-19: "a" and "b"
    stub = _Stub({1: 0.99, 2: 0.9, 3: 0.6}).fit(X, None)
    table = removal_violations(stub, X)
    assert table["n_cases"].tolist() == [30, 30, 20, 80]
    assert table["n_violations"].tolist() == [30, 30, 20, 80]


# -- Regression: interval coverage, width and Gaussian NLL ------------------------------

Z90 = 1.6448536269514722  # the 0.95 quantile of N(0, 1): the central 90% interval is ±Z90


def test_interval_coverage_and_nll_by_hand():
    y, mean, std = [0.0, 1.0, 2.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
    # |0|, |1| <= 1.645 but |2| > 1.645: two of three inside
    assert interval_coverage(y, mean, std) == pytest.approx(2 / 3)
    assert interval_coverage(y, mean, std, level=0.99) == 1.0  # z = 2.576
    assert interval_coverage(y, mean, std, level=0.5) == pytest.approx(1 / 3)  # z = 0.674
    # the ends are inside
    assert interval_coverage([Z90, -Z90], [0.0, 0.0], [1.0, 1.0]) == 1.0
    assert interval_coverage([1.0], [1.0], [0.0]) == 1.0  # a zero std: the point itself
    # NLL = log(2 pi) / 2 + log(std) + (y - mean)^2 / (2 std^2), averaged over rows
    expected = np.mean([0.5 * np.log(2 * np.pi) + v**2 / 2 for v in y])
    assert gaussian_nll(y, mean, std) == pytest.approx(expected)
    assert gaussian_nll(y, mean, std) == pytest.approx(0.5 * np.log(2 * np.pi) + 5 / 6)
    expected = np.mean([0.5 * np.log(2 * np.pi) + np.log(2.0) + (v - 1) ** 2 / 8 for v in y])
    assert gaussian_nll(y, [1.0] * 3, [2.0] * 3) == pytest.approx(expected)


def test_regression_metrics_of_a_calibrated_predictor():
    rng = np.random.RandomState(0)
    mean = rng.randn(200_000)
    std = rng.uniform(0.5, 2.0, mean.size)
    y = mean + std * rng.randn(mean.size)
    assert interval_coverage(y, mean, std) == pytest.approx(0.9, abs=0.003)
    assert interval_coverage(y, mean, std, level=0.5) == pytest.approx(0.5, abs=0.003)
    # E[NLL] = log(2 pi e) / 2 + E[log std]
    expected = 0.5 * np.log(2 * np.pi * np.e) + np.log(std).mean()
    assert gaussian_nll(y, mean, std) == pytest.approx(expected, abs=0.01)
    # overconfident (std halved): coverage drops, NLL rises
    assert interval_coverage(y, mean, std / 2) < 0.65
    assert gaussian_nll(y, mean, std / 2) > gaussian_nll(y, mean, std) + 0.5


def test_regression_metrics_multioutput():
    y = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    mean = np.zeros((3, 2))
    std = np.ones((3, 2))
    np.testing.assert_allclose(interval_coverage(y, mean, std, multioutput="raw_values"),
                               [2 / 3, 1.0])
    assert interval_coverage(y, mean, std) == pytest.approx(5 / 6)  # mean over outputs
    assert interval_coverage(y, mean, std, multioutput=[3, 1]) == pytest.approx(0.75)
    assert interval_coverage(y, mean, np.ones(3)) == pytest.approx(5 / 6)  # a shared std
    c = 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(gaussian_nll(y, mean, std, multioutput="raw_values"),
                               [c + 5 / 6, c])
    assert gaussian_nll(y, mean, std) == pytest.approx(c + 5 / 12)


def test_regression_metrics_bad_input():
    y = [0.0, 1.0]
    with pytest.raises(ValueError, match="level must be a number strictly between 0 and 1"):
        interval_coverage(y, y, [1, 1], level=1.0)
    with pytest.raises(ValueError, match="level must be"):
        interval_coverage(y, y, [1, 1], level=True)
    with pytest.raises(ValueError, match=r"y_mean has shape \(3,\) but y_true has shape \(2,\)"):
        interval_coverage(y, [0, 0, 0], [1, 1])
    with pytest.raises(ValueError, match=r"y_std has shape \(3,\)"):
        gaussian_nll(y, y, [1, 1, 1])
    with pytest.raises(ValueError, match="y_std must be non-negative"):
        interval_coverage(y, y, [1, -1])
    with pytest.raises(ValueError, match="y_std is 0 for 1 values"):
        gaussian_nll(y, y, [1, 0])
    with pytest.raises(ValueError, match="y_mean contains NaN"):
        gaussian_nll(y, [0, np.nan], [1, 1])
    with pytest.raises(ValueError, match="multioutput must be"):
        gaussian_nll(y, y, [1, 1], multioutput="variance_weighted")
    with pytest.raises(ValueError, match="y_true is empty"):
        gaussian_nll([], [], [])


class _StdStub(RegressorMixin, BaseEstimator):
    """Predicts mean 0 with a std set by the number of present modalities."""

    def __init__(self, std):
        self.std = std

    def fit(self, X, y):
        return self

    def predict(self, X, return_std=False):
        present = check_multimodal(X).mask.sum(1)
        mean = np.zeros(present.size)
        return (mean, np.array([self.std[k] for k in present])) if return_std else mean


def test_calibration_scores_of_a_regressor_per_pattern():
    X = _X()
    y = np.repeat([0.0, 1.0, 2.0], [20, 10, 10])
    stub = _StdStub({1: 0.5, 2: 1.0, 3: 2.0}).fit(X, y)
    table = calibration_scores(stub, X, y)
    assert list(table.columns) == ["pattern", "n_present", "n_samples", "score_coverage",
                                   "score_interval_width", "score_nll", "score_r2"]
    r2 = 1 - np.sum(y**2) / np.sum((y - y.mean()) ** 2)
    for k, cov, width, nll, score in table[["n_present", "score_coverage",
                                            "score_interval_width", "score_nll",
                                            "score_r2"]].itertuples(index=False):
        s = {1: 0.5, 2: 1.0, 3: 2.0}[k]
        # 0.5: only the zeros are inside ±0.82; 1: also the ones (±1.64); 2: all (±3.29)
        assert cov == {1: 0.5, 2: 0.75, 3: 1.0}[k]
        assert width == pytest.approx(2 * Z90 * s)
        assert nll == pytest.approx(np.mean(0.5 * np.log(2 * np.pi) + np.log(s)
                                            + y**2 / (2 * s**2)))
        assert score == pytest.approx(r2)
    # the level is a parameter: at 0.5 (z = 0.674) std 2 covers |y| <= 1.35
    half = calibration_scores(stub, X, y, patterns=[("a", "b", "c")], level=0.5)
    assert half["score_coverage"].tolist() == [0.75]
    assert half["score_interval_width"].iloc[0] == pytest.approx(2 * 0.6744897501960817 * 2)
    summary = summarize_by_size(table)
    assert_allclose(summary["score_coverage"].to_numpy(dtype=float),
                    [0.5, 0.75, 1.0, (3 * 0.5 + 3 * 0.75 + 1.0) / 7])


def _flat_regression(n=80, seed=0):
    rng = np.random.RandomState(seed)
    flat = rng.randn(n, 4)
    return flat, 2 * flat[:, 0] - flat[:, 1] + 0.5 * flat[:, 2] + 0.3 * rng.randn(n)


SPEC = {"a": [0, 1], "b": [2, 3]}


def test_calibration_scores_of_a_bayesian_ridge_pipeline_on_flat_data():
    flat, y = _flat_regression()
    reg = make_pipeline(SimpleImputer(), BayesianRidge()).fit(flat, y)
    table = calibration_scores(reg, flat, y, modalities=SPEC)
    assert table["pattern"].tolist() == [("a",), ("b",), ("a", "b")]
    # pattern ("a",) by hand: "b"'s columns missing, imputed by the pipeline
    dropped = flat.copy()
    dropped[:, 2:] = np.nan
    mean, std = reg.predict(dropped, return_std=True)
    row = table.iloc[0]
    assert row["score_coverage"] == np.mean(np.abs(y - mean) <= Z90 * std)
    assert row["score_interval_width"] == pytest.approx(2 * Z90 * std.mean())
    assert row["score_nll"] == pytest.approx(np.mean(
        0.5 * np.log(2 * np.pi) + np.log(std) + (y - mean) ** 2 / (2 * std**2)))
    assert row["score_r2"] == pytest.approx(r2_score(y, mean))
    assert row["score_r2"] == pytest.approx(reg.score(dropped, y))
    # with every modality the model is calibrated; imputing the informative "a" makes it
    # overconfident (same width, far fewer targets inside, a much worse NLL)
    full, only_b = table.iloc[2], table.iloc[1]
    assert 0.85 <= full["score_coverage"] <= 0.95
    assert only_b["score_coverage"] < 0.3 and only_b["score_nll"] > full["score_nll"] + 5
    # a fitted search predicts through its best estimator
    search = GridSearchCV(make_pipeline(SimpleImputer(), BayesianRidge()),
                          {"bayesianridge__alpha_1": [1e-6, 1e-3]}, cv=2).fit(flat, y)
    searched = calibration_scores(search, flat, y, patterns=[("a", "b")], modalities=SPEC)
    mean, std = search.best_estimator_.predict(flat, return_std=True)
    assert searched["score_coverage"].iloc[0] == np.mean(np.abs(y - mean) <= Z90 * std)


def test_calibration_scores_of_a_multioutput_regressor():
    flat, y = _flat_regression(n=40)
    Y = np.column_stack([y, flat[:, 3]])
    gpr = GaussianProcessRegressor(alpha=0.1).fit(flat, Y)
    table = calibration_scores(gpr, flat, Y, patterns=[("a", "b")], modalities=SPEC)
    mean, std = gpr.predict(flat, return_std=True)
    assert mean.shape == std.shape == (40, 2)
    row = table.iloc[0]  # every column averaged over the two outputs
    inside = np.abs(Y - mean) <= Z90 * std
    assert row["score_coverage"] == pytest.approx(inside.mean())
    assert row["score_coverage"] == pytest.approx(inside.mean(0).mean())
    assert row["score_interval_width"] == pytest.approx(2 * Z90 * std.mean())
    assert row["score_nll"] == pytest.approx(gaussian_nll(Y, mean, std))
    assert row["score_r2"] == pytest.approx(r2_score(Y, mean))


def test_calibration_scores_needs_return_std_or_predict_proba():
    flat, y = _flat_regression(n=40)
    hgb = HistGradientBoostingRegressor(max_iter=5).fit(flat, y)
    with pytest.raises(ValueError, match=r"needs a predictive std: predict\(X, return_std=True\)"
                                         r".*HistGradientBoostingRegressor\.predict has no "
                                         r"return_std parameter"):
        calibration_scores(hgb, flat, y, modalities=SPEC)
    pipe = make_pipeline(SimpleImputer(), LinearRegression()).fit(flat, y)
    with pytest.raises(ValueError, match=r"LinearRegression\.predict has no return_std"):
        calibration_scores(pipe, flat, y, modalities=SPEC)
    with pytest.raises(ValueError, match="level must be"):
        calibration_scores(_StdStub({1: 1.0}), _X(), np.zeros(40), level=90)
    with pytest.raises(ValueError, match="removal_violations compares a classifier's top-label "
                                         "confidence.*HistGradientBoostingRegressor has none"):
        removal_violations(hgb, flat, modalities=SPEC)


def test_calibration_functions_are_in_both_modules():
    from skmm import calibration, evaluation

    for name in calibration.__all__:
        assert getattr(evaluation, name) is getattr(calibration, name)
        assert name in evaluation.__all__


def test_calibration_scores_of_skmm_trusted_regressor():
    import skmm

    if getattr(skmm, "TrustedFusionRegressor", None) is None:
        pytest.skip("skmm.TrustedFusionRegressor is not in this version")
    flat, y = _flat_regression(n=60)
    reg = skmm.TrustedFusionRegressor(modalities=SPEC, hidden_sizes=(16,), max_epochs=5,
                                      random_state=0).fit(flat, y)
    table = calibration_scores(reg, flat, y)
    mean, std = reg.predict(flat, return_std=True)
    full = table.iloc[-1]
    assert full["score_coverage"] == np.mean(np.abs(y - mean) <= Z90 * std)
    assert full["score_nll"] == pytest.approx(gaussian_nll(y, mean, std))
    assert full["score_r2"] == pytest.approx(reg.score(flat, y))
