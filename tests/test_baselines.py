"""Tests of the concatenation and late-fusion baselines (skmm/baselines.py)."""


import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from skmm import ConcatFusionClassifier, LateFusionClassifier, MultimodalData
from skmm._batching import Batch

FAST = dict(hidden_sizes=(16,), max_epochs=20, lr=1e-2, batch_size=64)


def _fast(cls, **params):
    extra = {"classifier_hidden": 16} if cls is ConcatFusionClassifier else {}
    return cls(**{**FAST, **extra, **params})


def _redundant(n, seed, d=6, n_classes=3, sep=2.0):
    """Two modalities that each identify the class (fully redundant)."""
    centers = np.random.RandomState(42).randn(2, n_classes, d) * sep
    rng = np.random.RandomState(seed)
    y = rng.randint(0, n_classes, n)
    X = MultimodalData(
        a=centers[0][y] + rng.randn(n, d),
        b=centers[1][y] + rng.randn(n, d),
    )
    return X, y


def _with_missing(X, rows_missing):
    """A copy of ``X`` where modality name -> row indices are missing (NaN rows)."""
    out = {k: np.array(v, dtype=float) for k, v in X.items()}
    for name, rows in rows_missing.items():
        out[name][rows] = np.nan
    return MultimodalData(out)


@pytest.fixture(scope="module")
def data():
    X, y = _redundant(150, 0)
    # Some samples miss "a", others "b"; none misses both.
    return _with_missing(X, {"a": np.arange(0, 20), "b": np.arange(20, 45)}), y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return {
        "concat": _fast(ConcatFusionClassifier, augment="all", random_state=0).fit(X, y),
        "late": _fast(LateFusionClassifier, random_state=0).fit(X, y),
    }


@pytest.mark.parametrize("name", ["concat", "late"])
def test_probabilities_sum_to_one(fitted, data, name):
    X, y = data
    clf = fitted[name]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 3)
    assert proba.dtype == np.float64
    assert (proba >= 0).all()
    assert_allclose(proba.sum(1), 1.0, rtol=0, atol=1e-12)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    assert np.mean(clf.predict(X) == y) > 0.9  # the task is easy


def test_late_fusion_is_mean_of_present_modality_probabilities(fitted, data):
    X, _ = data
    clf = fitted["late"]
    per_mod = clf.predict_modalities(X)
    assert list(per_mod) == ["a", "b"]
    # Rows of a missing modality are NaN, the others are distributions.
    assert np.isnan(per_mod["a"][:20]).all() and not np.isnan(per_mod["a"][20:]).any()
    assert np.isnan(per_mod["b"][20:45]).all()
    assert_allclose(per_mod["b"][45:].sum(1), 1.0, atol=1e-6)
    expected = np.nanmean(np.stack([per_mod["a"], per_mod["b"]]), axis=0)
    assert_allclose(clf.predict_proba(X), expected, rtol=1e-5, atol=1e-7)
    # With one modality missing, the prediction is the other modality's own.
    assert_allclose(clf.predict_proba(X)[:20], per_mod["b"][:20], rtol=1e-5, atol=1e-7)
    assert_array_equal(clf.predict(X), clf.classes_[expected.argmax(1)])


@pytest.mark.parametrize("name", ["concat", "late"])
def test_missing_modality_content_is_ignored(fitted, data, name):
    """Whatever the (zero-filled) input of a missing modality holds, the output is the same."""
    X, _ = data
    clf = fitted[name]
    module = clf.net_.module_.eval()
    n = 45  # rows 0-19 miss "a", rows 20-44 miss "b"
    mask = torch.ones(n, 2, dtype=torch.bool)
    mask[:20, 0] = False
    mask[20:, 1] = False
    clean = [torch.as_tensor(np.nan_to_num(X[k][:n]), dtype=torch.float32) for k in ("a", "b")]
    garbage = [x.clone() for x in clean]
    gen = torch.Generator().manual_seed(0)
    garbage[0][:20] = 100 * torch.randn(20, 6, generator=gen)
    garbage[1][20:] = 100 * torch.randn(25, 6, generator=gen)
    with torch.no_grad():
        out_clean = module(Batch(clean, [None, None], mask))
        out_garbage = module(Batch(garbage, [None, None], mask))
        # Sanity: the same garbage in a *present* modality does change the output.
        out_present = module(Batch(garbage, [None, None], torch.ones(n, 2, dtype=torch.bool)))
    assert torch.equal(out_clean, out_garbage)
    assert not torch.allclose(out_clean, out_present)
    # And through the public API: zero-filled NaN rows give the module's output.
    assert_allclose(clf.predict_proba(X)[:n], out_clean.softmax(-1).double().numpy(), atol=1e-6)


def test_concat_augmentation_helps_single_modality_patterns():
    """The paper's "Augmentation" baseline against plain concatenation (redundant task)."""
    X, y = _redundant(300, 1, n_classes=6, sep=1.5)
    X_test, y_test = _redundant(600, 2, n_classes=6, sep=1.5)
    scores = {}
    for augment in (None, "all"):
        clf = _fast(ConcatFusionClassifier, augment=augment, random_state=0).fit(X, y)
        full = np.mean(clf.predict(X_test) == y_test)
        single = [
            np.mean(clf.predict(_with_missing(X_test, {drop: slice(None)})) == y_test)
            for drop in ("a", "b")
        ]
        scores[augment] = (full, np.mean(single))
    # Both are good with every modality; augmentation copes far better with a missing
    # one (measured: 0.62-0.66 without, 0.87-0.88 with, over two seeds).
    assert scores[None][0] > 0.95 and scores["all"][0] > 0.95
    assert scores["all"][1] > 0.8
    assert scores["all"][1] > scores[None][1] + 0.1, scores


@pytest.mark.parametrize("cls", [ConcatFusionClassifier, LateFusionClassifier])
def test_model_selection_on_multimodal_data(cls, data):
    X, y = data
    clf = _fast(cls, max_epochs=10, random_state=0)
    scores = cross_val_score(clf, X, y, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,)
    assert scores.min() > 0.8
    search = GridSearchCV(clf, {"lr": [1e-2, 1e-6]}, cv=2).fit(X, y)
    assert search.best_params_ == {"lr": 1e-2}  # lr=1e-6 barely moves from chance
    assert search.best_estimator_.modalities_ == ["a", "b"]


@pytest.mark.parametrize("cls", [ConcatFusionClassifier, LateFusionClassifier])
def test_random_state_reproducibility(cls, data):
    X, y = data
    torch.manual_seed(123)
    state = torch.get_rng_state()
    p1 = _fast(cls, max_epochs=3, random_state=7, train_noise=1.0).fit(X, y).predict_proba(X)
    p2 = _fast(cls, max_epochs=3, random_state=7, train_noise=1.0).fit(X, y).predict_proba(X)
    p3 = _fast(cls, max_epochs=3, random_state=8, train_noise=1.0).fit(X, y).predict_proba(X)
    assert_array_equal(p1, p2)
    assert np.abs(p1 - p3).max() > 1e-4
    assert torch.equal(torch.get_rng_state(), state)  # the global torch RNG is untouched


def test_concat_transform_zeroes_missing_embedding(fitted, data):
    X, _ = data
    emb = fitted["concat"].transform(X)
    assert emb.shape == (len(X), 32) and emb.dtype == np.float32
    assert (emb[:20, :16] == 0).all() and (emb[20:45, 16:] == 0).all()
    assert (np.abs(emb[45:]).sum(1) > 0).all()


def test_concat_first_layer_blocks_equal_the_layer_on_the_concatenation():
    """Summing the first layer's per-modality blocks over each augmented row's
    present modalities equals the layer applied to the zero-filled concatenation."""
    from skmm._batching import TensorData
    from skmm._data import check_multimodal
    from skmm.nn import expand_patterns

    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 30)
    X = {"a": rng.randn(30, 3), "b": rng.randn(30, 2), "c": rng.randn(30, 4)}
    X["b"][:5] = np.nan
    clf = ConcatFusionClassifier(max_epochs=2, hidden_sizes=(8,), classifier_hidden=16,
                                 random_state=0).fit(X, y)
    module = clf.net_.module_.eval()
    ds = TensorData.from_arrays(check_multimodal(X), None, "cpu")
    batch = Batch(ds.xs, ds.lengths, ds.mask)
    with torch.no_grad():
        encoded = module.encode(batch)
        rows, mask = expand_patterns(batch.mask, "all")
        fast = module._output(encoded, rows, mask)
        concat = module.fuse([f[rows] for f in encoded[1]], mask)
        naive = module.head(module.first(concat))
    torch.testing.assert_close(fast, naive, rtol=1e-5, atol=1e-5)
