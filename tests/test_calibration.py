"""Calibration in skmm.evaluation: ECE per missing pattern and the removal violation rate."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, ClassifierMixin

from skmm import MultimodalData
from skmm._data import check_multimodal
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
