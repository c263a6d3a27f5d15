"""Continuing training: ``warm_start`` and ``partial_fit`` (issue #24, section 3)."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skmm import LateFusionClassifier, RAMLClassifier, TrustedFusionRegressor
from skmm.utils import all_estimators

FAST = dict(hidden_sizes=(16,), lr=1e-2, random_state=0)


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    X = {
        "a": (y[:, None] * 1.5 + rng.randn(n, 4)).astype(np.float32),
        "b": rng.randn(n, 3).astype(np.float32),
    }
    return X, y


def _rows(X, index):
    return {k: v[index] for k, v in X.items()}


class _FirstWeights(Callback):
    """Records a copy of the module's parameters when training begins."""

    def on_train_begin(self, net, **kwargs):
        self.weights_ = [p.detach().clone() for p in net.module_.parameters()]


def _weights(clf):
    return [p.detach().clone() for p in clf.net_.module_.parameters()]


def test_warm_start_continues_from_the_fitted_module():
    X, y = _data()
    seen = _FirstWeights()
    clf = LateFusionClassifier(max_epochs=3, early_stopping=False, callbacks=[seen], **FAST)
    clf.fit(X, y)
    after_first = _weights(clf)
    clf.set_params(warm_start=True, max_epochs=2).fit(X, y)
    # the second fit began from the first fit's weights ...
    for began, ended in zip(seen.weights_, after_first):
        torch.testing.assert_close(began, ended, rtol=0, atol=0)
    # ... and trained on: two more epochs, recorded after the first three
    assert clf.n_iter_ == len(clf.history_) == 5
    assert not all(torch.equal(a, b) for a, b in zip(after_first, _weights(clf)))


def test_without_warm_start_fit_starts_again():
    X, y = _data()
    seen = _FirstWeights()
    clf = LateFusionClassifier(max_epochs=3, early_stopping=False, callbacks=[seen], **FAST)
    clf.fit(X, y)
    after_first = _weights(clf)
    first_start = seen.weights_
    clf.fit(X, y)
    assert clf.n_iter_ == 3
    # new weights: the same seed draws the first fit's initial ones again, not its final ones
    for began, initial, ended in zip(seen.weights_, first_start, after_first):
        torch.testing.assert_close(began, initial, rtol=0, atol=0)
        assert not torch.equal(began, ended)


def test_warm_start_refuses_other_data():
    X, y = _data()
    clf = LateFusionClassifier(max_epochs=2, warm_start=True, **FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"y has labels \[7\] that are not in the classes of "
                       r"the previous fit \(warm_start=True\): \[0, 1\]"):
        clf.fit(X, np.where(y == 1, 7, 0))
    with pytest.raises(ValueError, match="Modality 'b' has feature shape"):
        clf.fit({"a": X["a"], "b": X["b"][:, :2]}, y)


def test_partial_fit_is_one_epoch_of_fit():
    X, y = _data()
    fitted = LateFusionClassifier(max_epochs=1, early_stopping=False, **FAST).fit(X, y)
    partial = LateFusionClassifier(**FAST).partial_fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(partial.predict_proba(X), fitted.predict_proba(X))
    assert partial.n_iter_ == 1 and partial.early_stopping_ is False


def test_partial_fit_learns_from_chunks_with_one_optimizer():
    X, y = _data(n=300)
    X_test, y_test = _data(n=300, seed=1)
    clf = RAMLClassifier(**FAST)
    chunks = np.array_split(np.arange(300), 3)
    clf.partial_fit(_rows(X, chunks[0]), y[chunks[0]], classes=np.array([0, 1]))
    optimizer = clf.net_.optimizer_
    for epoch in range(5):
        for chunk in chunks[1:] if epoch == 0 else chunks:
            clf.partial_fit(_rows(X, chunk), y[chunk])
    assert clf.net_.optimizer_ is optimizer  # Adam's moments carry on between calls
    assert clf.n_iter_ == 15
    assert clf.score(X_test, y_test) > 0.75  # a single feature at 1.5 sd: ~0.77 at best


def test_partial_fit_classes():
    X, y = _data()
    clf = LateFusionClassifier(**FAST)
    with pytest.raises(ValueError, match="the first call to partial_fit needs classes="):
        clf.partial_fit(X, y)
    # a first chunk of one class: the model still has every class of `classes`
    only_zeros = y == 0
    clf.partial_fit(_rows(X, only_zeros), y[only_zeros], classes=[0, 1])
    assert clf.classes_.tolist() == [0, 1]
    assert clf.predict_proba(X).shape == (len(y), 2)
    with pytest.raises(ValueError, match=r"y has labels \[2\] that are not in the classes "
                       r"given to the first call of partial_fit: \[0, 1\]"):
        clf.partial_fit(X, y + 1)
    clf.partial_fit(X, y, classes=[1, 0])  # the same classes: accepted
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] is not the classes of the "
                       r"first call to partial_fit, \[0, 1\]"):
        clf.partial_fit(X, y, classes=[0, 1, 2])


def test_regressor_partial_fit_keeps_the_first_target_scaling():
    X, _ = _data()
    target = 100.0 + 10.0 * X["a"][:, 0].astype(np.float64)
    reg = TrustedFusionRegressor(**FAST).partial_fit(X, target)
    mean, scale = reg._y_mean.copy(), reg._y_scale.copy()
    reg.partial_fit(X, target * 3.0)
    np.testing.assert_array_equal(reg._y_mean, mean)
    np.testing.assert_array_equal(reg._y_scale, scale)
    with pytest.raises(ValueError, match="was fitted on 1 target"):
        reg.partial_fit(X, np.c_[target, target])


PREDICTORS = all_estimators(["classifier", "regressor"])


@pytest.mark.parametrize("name, cls", PREDICTORS, ids=[n for n, _ in PREDICTORS])
def test_every_estimator_continues(name, cls):
    X, y = _data(n=60)
    is_classifier = hasattr(cls, "predict_proba")
    target = y if is_classifier else X["a"][:, 0].astype(np.float64)
    est = cls(max_epochs=2, **FAST)  # 60 rows: "auto" holds out no split
    kwargs = {"classes": [0, 1]} if is_classifier else {}
    est.partial_fit(X, target, **kwargs).partial_fit(X, target)
    assert est.n_iter_ == 2
    est.set_params(warm_start=True).fit(X, target)
    assert est.n_iter_ == 4
