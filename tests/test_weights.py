"""Sample weights and class weights (issue #24, section 2): what each row's weight does to
training, validation and the estimators' API."""

import inspect
from types import SimpleNamespace

import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import clone, is_classifier
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.metrics import accuracy_score, make_scorer, r2_score, recall_score
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from skorch.history import History

from skmm import (
    ConcatFusionClassifier,
    ConcatFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    RAMLClassifier,
)
from skmm._batching import StreamData, TensorData
from skmm._data import check_multimodal
from skmm._training import _EpochScore
from skmm.baselines import ConcatFusionModule
from skmm.nn import Classification, Regression, expand_patterns, row_mean
from skmm.utils import all_estimators

#: Small networks, set on every estimator that has the parameter.
_SMALL = dict(
    hidden_sizes=(8,), latent_dim=4, classifier_hidden=8, cross_hidden_sizes=(8,),
    decoder_hidden_sizes=(),
)
MODELS = [cls for _, cls in all_estimators(["classifier", "regressor"])]
CLASSIFIERS = [cls for _, cls in all_estimators("classifier")]


def _small(cls, **params):
    accepted = inspect.signature(cls).parameters
    return cls(**{k: v for k, v in {**_SMALL, **params}.items() if k in accepted})


def _task(n, seed=0, shift=1.5, missing=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    X = {"a": shift * y[:, None] + rng.randn(n, 3), "b": shift * y[:, None] + rng.randn(n, 2)}
    X["b"][:missing] = np.nan
    return X, y


def _rows(X, index):
    return {k: v[index] for k, v in X.items()}


# -- zero weights: the rows are left out ------------------------------------------------


def _mislabelled(n=400, seed=0):
    """Two classes, and a region of the feature space (a_0 > 0.75) labelled wrong."""
    X, y = _task(n, seed)
    bad = X["a"][:, 0] > 0.75
    return X, y, np.where(bad, 1 - y, y), bad


def test_zero_weight_is_training_without_the_rows_one_batch():
    """With one batch per epoch and no split, weight 0 on a row is training without it,
    up to float32 rounding (the weights are rescaled to a mean of 1 over the rows)."""
    X, _, y_noisy, bad = _mislabelled()
    X_test, _ = _task(300, seed=1)
    params = dict(batch_size=1024, early_stopping=False, tol=None, max_epochs=30, lr=1e-2,
                  random_state=0)
    for cls in (ConcatFusionClassifier, LateFusionClassifier):
        weighted = _small(cls, **params).fit(X, y_noisy, sample_weight=(~bad).astype(float))
        without = _small(cls, **params).fit(_rows(X, ~bad), y_noisy[~bad])
        np.testing.assert_allclose(
            weighted.predict_proba(X_test), without.predict_proba(X_test), atol=1e-4
        )


def test_zero_weight_on_mislabelled_rows_recovers_the_clean_accuracy():
    """In minibatches (and with the early-stopping split): the accuracy of training without
    the mislabelled rows, far above that of training on them."""
    X, _, y_noisy, bad = _mislabelled()
    X_test, y_test = _task(400, seed=1)
    params = dict(batch_size=32, max_epochs=40, lr=1e-2, random_state=0)
    on_them = _small(ConcatFusionClassifier, **params).fit(X, y_noisy)
    weighted = _small(ConcatFusionClassifier, **params).fit(
        X, y_noisy, sample_weight=(~bad).astype(float)
    )
    without = _small(ConcatFusionClassifier, **params).fit(_rows(X, ~bad), y_noisy[~bad])
    acc = {name: est.score(X_test, y_test) for name, est in
           [("on", on_them), ("weighted", weighted), ("without", without)]}
    assert acc["without"] > 0.85
    assert abs(acc["weighted"] - acc["without"]) <= 0.03, acc
    assert acc["weighted"] >= acc["on"] + 0.15, acc


# -- class weights -------------------------------------------------------------------


def _imbalanced(n_major, n_minor, seed):
    rng = np.random.RandomState(seed)
    y = np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]
    X = {"a": 0.8 * y[:, None] + rng.randn(len(y), 3),
         "b": 0.8 * y[:, None] + rng.randn(len(y), 2)}
    return X, y


def test_balanced_class_weight_raises_minority_recall():
    X, y = _imbalanced(570, 30, seed=0)  # 95/5
    X_test, y_test = _imbalanced(200, 200, seed=1)
    params = dict(max_epochs=60, lr=1e-2, random_state=0)
    plain = _small(LateFusionClassifier, **params).fit(X, y)
    balanced = _small(LateFusionClassifier, class_weight="balanced", **params).fit(X, y)
    recall_plain = recall_score(y_test, plain.predict(X_test))
    recall_balanced = recall_score(y_test, balanced.predict(X_test))
    assert recall_plain < 0.3
    assert recall_balanced > recall_plain + 0.3
    assert balanced.early_stopping_  # and the weighted split stopped it at a useful epoch


def test_class_weight_multiplies_sample_weight():
    """A class_weight dict is the sample weights of the rows' classes, exactly; "balanced"
    weighs the classes by the inverse of their (weighted) counts."""
    X, y = _task(120)
    params = dict(max_epochs=3, random_state=0)
    by_class = _small(ConcatFusionClassifier, class_weight={0: 1.0, 1: 4.0}, **params)
    by_row = _small(ConcatFusionClassifier, **params)
    w = np.where(y == 1, 4.0, 1.0)
    np.testing.assert_array_equal(
        by_class.fit(X, y).predict_proba(X), by_row.fit(X, y, sample_weight=w).predict_proba(X)
    )
    sw = np.linspace(0.5, 2.0, len(y))
    both = by_class.fit(X, y, sample_weight=sw).predict_proba(X)
    np.testing.assert_array_equal(both, by_row.fit(X, y, sample_weight=w * sw).predict_proba(X))
    # "balanced": n / (K * count) per class, counts weighted by sample_weight
    clf = _small(ConcatFusionClassifier, class_weight="balanced")
    clf.classes_ = np.array([0, 1])
    targets = np.array([0, 0, 0, 1])
    weights = clf._row_weights(None, targets, partial=False)
    np.testing.assert_allclose(weights, [4 / 6, 4 / 6, 4 / 6, 2.0])
    weights = clf._row_weights(np.array([1.0, 1.0, 0.0, 2.0]), targets, partial=False)
    np.testing.assert_allclose(weights, [1.0, 1.0, 0.0, 2.0])  # weighted counts 2 and 2
    # the weighted chance level is the stopping rule's: 1/K for balanced weights
    assert clf._chance(targets, clf._row_weights(None, targets, False)) == pytest.approx(0.5)


def test_every_classifier_has_class_weight_and_no_regressor_does():
    for cls in MODELS:
        params = cls().get_params()
        is_classifier = cls in CLASSIFIERS
        assert ("class_weight" in params) == is_classifier, cls.__name__
        assert ("class_weight" in cls._parameter_constraints) == is_classifier, cls.__name__
        assert "sample_weight" in inspect.signature(cls.fit).parameters, cls.__name__
        assert "sample_weight" in inspect.signature(cls.partial_fit).parameters, cls.__name__
    X, y = _task(30)
    with pytest.raises(InvalidParameterError, match="class_weight"):
        _small(RAMLClassifier, class_weight="bogus", max_epochs=1).fit(X, y)


# -- integer weights: repeated rows ---------------------------------------------------


def _fitted_module(cls):
    X, y = _task(40, missing=8)
    est = _small(cls, max_epochs=1, std_calibration=None, random_state=0)
    target = y if is_classifier(est) else y + 0.1 * np.arange(40)
    est.fit(X, target)
    dataset = TensorData.from_arrays(check_multimodal(X), est._encode_targets(target, "test"),
                                     "cpu")
    return est.net_.module_.eval(), dataset


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_the_weighted_loss_is_the_loss_of_the_repeated_rows(cls, monkeypatch):
    """Every loss term of a batch with integer weights c (rescaled to mean 1) is the term of
    the batch with each row repeated c times (0: left out), exactly: per sample, and for
    augmented rows (every copy carries its sample's weight)."""
    monkeypatch.setattr(torch, "randn_like", torch.zeros_like)  # RAML's rho: no draw
    module, dataset = _fitted_module(cls)
    counts = np.random.RandomState(0).randint(0, 4, len(dataset))
    weight = torch.as_tensor(counts / counts.mean(), dtype=torch.float32)
    repeated = torch.as_tensor(np.repeat(np.arange(len(dataset)), counts))
    batch, yb = dataset.batch(slice(None))
    rep_batch, rep_y = dataset.batch(repeated)
    complete = batch.mask.all(1)  # augment="all" gives each of them 2**M - 1 rows
    cases = [(slice(None), None), (torch.nonzero(complete)[:, 0], "all")]
    with torch.no_grad():
        for subset, augment in cases:
            sub = dataset[subset] if augment else dataset
            b, y = sub.batch(slice(None))
            w = weight if not augment else weight[subset] / weight[subset].mean()
            c = counts if not augment else counts[subset.numpy()]
            rb, ry = sub.batch(torch.as_tensor(np.repeat(np.arange(len(sub)), c)))
            rows, mask = expand_patterns(b.mask, augment)
            rep_rows, rep_mask = expand_patterns(rb.mask, augment)
            weighted = module.losses(module.encode(b), y, rows, mask, sample_weight=w)
            plain = module.losses(module.encode(rb), ry, rep_rows, rep_mask)
            names = ["loss", *module.loss_terms] + (["objective"] if "objective" in plain else [])
            for name in names:
                torch.testing.assert_close(weighted[name], plain[name], rtol=2e-5, atol=1e-6,
                                           msg=f"{cls.__name__} {name} augment={augment}")
    assert len(rep_batch) == counts.sum() and len(rep_y) == counts.sum()


@pytest.mark.parametrize("kind", [TensorData, StreamData])
def test_an_epoch_of_weighted_batches_is_the_repeated_data_mean(kind):
    """Whatever the shuffle, the batches of an epoch (row_mean of each, averaged by batch
    size, as skorch averages train_loss) give the weighted mean of the data set: with integer
    weights, the mean over the data set with its rows repeated. So each batch's loss is, in
    expectation, the repeated data set's loss."""
    X, _ = _task(50)
    counts = np.random.RandomState(1).randint(0, 5, 50)
    values = torch.as_tensor(np.random.RandomState(2).rand(50), dtype=torch.float64)
    weight = (counts / counts.mean()).astype(np.float32)
    dataset = kind.from_arrays(check_multimodal(X), np.arange(50), "cpu", weight)
    for seed in range(3):
        torch.manual_seed(seed)
        total = sum(len(yb) * row_mean(values[yb], b.sample_weight)
                    for b, yb in dataset.iter_batches(16, shuffle=True))
        expected = np.repeat(values.numpy(), counts).mean()
        assert float(total / 50) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("cls", [ConcatFusionClassifier, LateFusionClassifier,
                                 ConcatFusionRegressor, LateFusionRegressor])
def test_integer_weights_train_the_model_of_repeated_rows_one_batch(cls):
    """With one batch per epoch and no split, fitting with integer weights is fitting on the
    repeated rows, up to float32 rounding (scikit-learn's
    check_sample_weight_equivalence_on_dense_data, at a float32 tolerance)."""
    X, y = _task(60, missing=10)
    target = y if cls in CLASSIFIERS else y + X["a"][:, 1]
    counts = np.random.RandomState(3).randint(0, 4, 60)
    repeated = np.repeat(np.arange(60), counts)
    params = dict(batch_size=512, early_stopping=False, tol=None, max_epochs=20, lr=1e-2,
                  random_state=0)
    weighted = _small(cls, **params).fit(X, target, sample_weight=counts)
    plain = _small(cls, **params).fit(_rows(X, repeated), target[repeated])
    predict = "predict_proba" if cls in CLASSIFIERS else "predict"
    np.testing.assert_allclose(getattr(weighted, predict)(X), getattr(plain, predict)(X),
                               rtol=1e-4, atol=1e-5)


# -- augmentation ---------------------------------------------------------------------


def test_every_augmented_copy_carries_its_samples_weight():
    X, y = _task(40, missing=10)
    clf = _small(RAMLClassifier, augment="all", max_epochs=1, random_state=0).fit(X, y)
    net, module = clf.net_, clf.net_.module_
    weight = torch.linspace(0.1, 4.0, 40)
    dataset = TensorData.from_arrays(check_multimodal(X), np.arange(40), "cpu", weight.numpy())
    seen = {}
    original = module.losses

    def spy(encoded, y, rows, mask, sample_weight=None):
        seen.update(rows=rows, mask=mask, sample_weight=sample_weight)
        return original(encoded, torch.zeros_like(y), rows, mask, sample_weight=sample_weight)

    module.losses = spy
    try:
        step = net.train_step_single(dataset.batch(slice(None)))
    finally:
        del module.losses
    rows = seen["rows"]
    torch.testing.assert_close(seen["sample_weight"], weight)  # the batch's weights
    assert len(rows) > 40  # several copies per sample
    # each copy: its sample's weight (y_true names the sample here: y = arange)
    torch.testing.assert_close(step["sample_weight"], weight[rows])
    torch.testing.assert_close(step["y_true"], rows)
    # a sample with both modalities has 3 copies, one with "b" missing 2 (both "a" alone)
    assert torch.bincount(rows).tolist() == [2] * 10 + [3] * 30


# -- validation: weighted loss and score --------------------------------------------


def test_epoch_score_is_weighted():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 3, 50)
    logits = torch.as_tensor(rng.randn(50, 3))
    w = rng.rand(50)
    net = SimpleNamespace(history=History())
    net.history.new_epoch()
    score = _EpochScore(Classification(), on_train=False)
    score.on_epoch_begin(net)
    for part in (slice(0, 20), slice(20, 50)):  # two batches
        score.on_batch_end(net, batch=(None, torch.as_tensor(y[part])), training=False,
                           y_pred=logits[part], sample_weight=torch.as_tensor(w[part]))
    score.on_epoch_end(net)
    pred = logits.argmax(1).numpy()
    assert net.history[-1, "valid_acc"] == pytest.approx(accuracy_score(y, pred, sample_weight=w))
    assert net.history[-1, "valid_acc"] != pytest.approx(accuracy_score(y, pred))
    # R²: the weighted R² of the whole epoch
    target, output = torch.as_tensor(rng.randn(50, 2)), torch.as_tensor(rng.randn(50, 2))
    task = Regression()
    sums = sum(task.score_sums(output[p], target[p], torch.as_tensor(w[p]))
               for p in (slice(0, 20), slice(20, 50)))
    assert task.score(sums) == pytest.approx(
        r2_score(target.numpy(), output.numpy(), sample_weight=w)
    )


def test_valid_loss_and_score_are_weighted():
    """valid_loss and valid_acc in the history are the weighted loss and accuracy of the
    validation split (its weights rescaled to mean 1), which early stopping monitors."""
    X, y = _task(200, shift=0.7)
    w = np.random.RandomState(0).choice([0.2, 1.0, 5.0], 200)
    clf = _small(ConcatFusionClassifier, early_stopping=True, max_epochs=4, tol=None,
                 lr=1e-2, random_state=0).fit(X, y, sample_weight=w)
    net = clf.net_
    best = int(np.argmin(clf.history_[:, "valid_loss"]))  # its weights are restored
    dataset = TensorData.from_arrays(check_multimodal(X), y, "cpu",
                                     (w / w.mean()).astype(np.float32))
    train, valid = net.train_split(dataset)
    assert float(valid.sample_weight.mean()) == pytest.approx(1.0)
    assert float(train.sample_weight.mean()) == pytest.approx(1.0)
    module = net.module_.eval()
    with torch.no_grad():
        batch, yb = valid.batch(slice(None))
        terms = module.losses(module.encode(batch), yb, None, batch.mask,
                              sample_weight=batch.sample_weight)
    assert clf.history_[best, "valid_loss"] == pytest.approx(terms["loss"].item(), rel=1e-5)
    pred, vw = terms["output"].argmax(1).numpy(), batch.sample_weight.numpy()
    assert clf.history_[best, "valid_acc"] == pytest.approx(
        accuracy_score(yb.numpy(), pred, sample_weight=vw)
    )


# -- the estimators' API -------------------------------------------------------------


def test_equal_weights_are_unweighted_bit_for_bit():
    X, y = _task(100)
    for cls in (ConcatFusionClassifier, LateFusionRegressor):
        params = dict(max_epochs=3, random_state=0)
        base = _small(cls, **params).fit(X, y).predict(X)
        for w in (np.ones(100), np.full(100, 3.0), [2] * 100):
            np.testing.assert_array_equal(_small(cls, **params).fit(X, y, sample_weight=w)
                                          .predict(X), base)


def test_partial_fit_uses_the_weights_as_given():
    """partial_fit does not rescale (weights compare across calls, as SGDClassifier's):
    all ones is unweighted, a constant 2 doubles every term."""
    X, y = _task(100)
    params = dict(max_epochs=1, random_state=0, batch_size=32)

    def first_call(w, **kw):
        clf = _small(ConcatFusionClassifier, **params, **kw)
        return clf.partial_fit(X, y, classes=[0, 1], sample_weight=w).predict_proba(X)

    base = first_call(None)
    np.testing.assert_array_equal(first_call(np.ones(100)), base)
    assert not np.array_equal(first_call(np.full(100, 2.0)), base)
    # a class weight acts on a chunk that holds one class, too
    one = y == 1
    a = _small(ConcatFusionClassifier, **params).partial_fit(_rows(X, one), y[one], [0, 1])
    b = _small(ConcatFusionClassifier, class_weight={0: 1.0, 1: 3.0}, **params).partial_fit(
        _rows(X, one), y[one], [0, 1]
    )
    assert not np.array_equal(a.predict_proba(X), b.predict_proba(X))
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported for "
                                         "partial_fit"):
        _small(ConcatFusionClassifier, class_weight="balanced").partial_fit(X, y, [0, 1])


def test_regressor_target_scaling_is_weighted():
    X, y = _task(60)
    target = y.astype(float)
    target[:5] = 1e6  # outliers, left out by their zero weight
    w = np.r_[np.zeros(5), np.ones(55)]
    reg = _small(ConcatFusionRegressor, max_epochs=1, random_state=0)
    reg.fit(X, target, sample_weight=w)
    assert reg._y_mean[0] == pytest.approx(target[5:].mean())
    assert reg._y_scale[0] == pytest.approx(target[5:].std())


def test_metadata_routing_cross_val_score_and_pipeline():
    X, y = _task(90)
    flat = np.hstack([X["a"], X["b"]])
    modalities = {"a": [0, 1, 2], "b": [3, 4]}
    w = np.random.RandomState(0).choice([0.1, 1.0, 10.0], 90)
    cv = KFold(3, shuffle=True, random_state=0)
    est = _small(ConcatFusionClassifier, modalities=modalities, max_epochs=5, lr=1e-2,
                 random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            cross_val_score(est, flat, y, cv=cv, params={"sample_weight": w})
        # weighted training and weighted scoring
        requested = clone(est).set_fit_request(sample_weight=True)
        scoring = make_scorer(accuracy_score).set_score_request(sample_weight=True)
        scores = cross_val_score(requested, flat, y, cv=cv, scoring=scoring,
                                 params={"sample_weight": w})
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False),
                             clone(requested))
        pipe_scores = cross_val_score(pipe, flat, y, cv=cv, scoring=scoring,
                                      params={"sample_weight": w})
        assert clone(requested).set_partial_fit_request(sample_weight=True) is not None
    assert not sklearn.get_config()["enable_metadata_routing"]
    # the same as fitting and scoring each fold with its rows' weights by hand
    expected, expected_pipe = [], []
    for train, test in cv.split(flat, y):
        fitted = clone(est).fit(flat[train], y[train], sample_weight=w[train])
        expected.append(fitted.score(flat[test], y[test], sample_weight=w[test]))
        unweighted = clone(est).fit(flat[train], y[train])  # the weights make a difference
        assert np.abs(unweighted.predict_proba(flat) - fitted.predict_proba(flat)).max() > 1e-3
        scaler = StandardScaler().fit(flat[train])
        fitted = clone(est).fit(scaler.transform(flat[train]), y[train], sample_weight=w[train])
        expected_pipe.append(
            fitted.score(scaler.transform(flat[test]), y[test], sample_weight=w[test])
        )
    np.testing.assert_array_equal(scores, expected)
    np.testing.assert_array_equal(pipe_scores, expected_pipe)


class _UnweightedModule(ConcatFusionModule):
    """A module written before sample weights: its losses has no sample_weight."""

    def losses(self, encoded, y, rows, mask):
        return super().losses(encoded, y, rows, mask)


class _UnweightedClassifier(ConcatFusionClassifier):
    def _build_module(self, feature_shapes, n_outputs, task):
        module = super()._build_module(feature_shapes, n_outputs, task)
        module.__class__ = _UnweightedModule
        return module


def test_errors():
    X, y = _task(40)
    clf = _small(ConcatFusionClassifier, max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match=r"Negative values in data passed to `sample_weight`"):
        clf.fit(X, y, sample_weight=np.r_[-1.0, np.ones(39)])
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(39,\), expected \(40,\)"):
        clf.fit(X, y, sample_weight=np.ones(39))
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero"):
        clf.fit(X, y, sample_weight=np.zeros(40))
    with pytest.raises(ValueError, match="Sample weights must be 1D"):
        clf.fit(X, y, sample_weight=np.ones((40, 2)))
    with pytest.raises(ValueError, match=r"every sample has weight zero once sample_weight is "
                                         r"multiplied by class_weight=\{0: 0, 1: 0\}"):
        clone(clf).set_params(class_weight={0: 0, 1: 0}).fit(X, y)
    with pytest.raises(ValueError, match=r"only one class has a non-zero weight \(got only 1"):
        clf.fit(X, y, sample_weight=(y == 1).astype(float))
    # early stopping: a split whose rows all weigh zero
    X, y = _task(200)
    w = np.ones(200)
    w[np.random.RandomState(0).permutation(200)[:190]] = 0.0
    with pytest.raises(ValueError, match=r"Every row of the early-stopping (validation|training) "
                                         r"split has sample weight zero"):
        _small(ConcatFusionClassifier, early_stopping=True, max_epochs=1,
               random_state=0).fit(X, y, sample_weight=w)
    # a module without the parameter trains unweighted, and refuses weights
    old = _UnweightedClassifier(max_epochs=1, hidden_sizes=(8,), random_state=0).fit(X, y)
    with pytest.raises(TypeError, match=r"_UnweightedModule.losses has no sample_weight"):
        old.fit(X, y, sample_weight=np.linspace(1, 2, 200))
    with pytest.raises(TypeError, match="class_weight"):
        old.set_params(class_weight="balanced").fit(X, y[::-1])
