"""Sequence modalities (3D input) through the estimators: learning temporal order,
no padding leak, mixed 2D + 3D input, missing sequences, model selection."""

import os

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skmm import ConcatFusionClassifier, LateFusionClassifier, MultimodalData, RAMLClassifier
from skmm.nn import LSTMEncoder, TextCNNEncoder, TransformerEncoder

ESTIMATORS = [RAMLClassifier, ConcatFusionClassifier, LateFusionClassifier]
if os.path.exists(os.path.join(os.path.dirname(__file__), "..", "skmm", "redcore.py")):
    from skmm import RedCoreClassifier

    ESTIMATORS.append(RedCoreClassifier)


def order_task(n, t=12, d=3, seed=0):
    """Label 1 iff the spike on feature 0 comes before the spike on feature 1.

    Lengths vary in ``[t/2, t]`` (NaN padding after them). Both spikes occur in
    every sample, so a bag of timesteps carries no information on the label.
    """
    rng = np.random.RandomState(seed)
    lengths = rng.randint(t // 2, t + 1, n)
    x = 0.3 * rng.randn(n, t, d)
    y = rng.randint(0, 2, n)
    for i in range(n):
        a, b = np.sort(rng.choice(lengths[i], 2, replace=False))
        first, second = (a, b) if y[i] else (b, a)
        x[i, first, 0] += 3.0
        x[i, second, 1] += 3.0
        x[i, lengths[i] :] = np.nan
    return x, y


def mixed_data(n=48, t=7, seed=0):
    """A sequence modality (variable lengths, some samples missing) and a 2D one."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    seq = rng.randn(n, t, 4) + y[:, None, None]
    lengths = rng.randint(1, t + 1, n)
    seq[np.arange(t) >= lengths[:, None]] = np.nan
    seq[:5] = np.nan  # the sequence modality is missing in five samples
    vec = rng.randn(n, 3) + 0.5 * y[:, None]
    return MultimodalData(seq=seq, vec=vec), y


def pad_more(X, extra=5):
    """Append ``extra`` NaN timesteps to every sequence modality."""
    out = {}
    for name, a in X.items():
        if a.ndim == 3:
            a = np.concatenate([a, np.full((a.shape[0], extra, a.shape[2]), np.nan)], 1)
        out[name] = a
    return MultimodalData(out)


def _small(cls, **kw):
    return cls(hidden_sizes=(8,), max_epochs=2, batch_size=16, random_state=0, **kw)


# ---------------------------------------------------------------------------
# Temporal order is learned
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoder, n_train, epochs, lr", [("lstm", 200, 8, 1e-2), ("transformer", 300, 15, 5e-3)]
)
def test_raml_learns_temporal_order(encoder, n_train, epochs, lr):
    x, y = order_task(n_train + 300, seed=0)
    train, test = slice(0, n_train), slice(n_train, None)
    clf = RAMLClassifier(
        encoders={"s": encoder}, hidden_sizes=(16,), latent_dim=8, lr=lr,
        batch_size=32, max_epochs=epochs, random_state=0,
    ).fit({"s": x[train]}, y[train])
    accuracy = np.mean(clf.predict({"s": x[test]}) == y[test])
    assert accuracy >= 0.8, accuracy  # chance is 0.5


def test_order_task_defeats_a_bag_of_timesteps():
    """Sanity check of the task: with order thrown away (per-sample max and mean
    over valid timesteps), the best linear model is at chance."""
    from sklearn.linear_model import LogisticRegression

    x, y = order_task(600, seed=0)
    bag = np.concatenate([np.nanmax(x, 1), np.nanmean(x, 1)], 1)
    acc = LogisticRegression().fit(bag[:300], y[:300]).score(bag[300:], y[300:])
    assert acc < 0.6


# ---------------------------------------------------------------------------
# Padding never leaks
# ---------------------------------------------------------------------------


UNTRIMMED = {  # the whole padded batch goes through the encoder
    "lstm": lambda: LSTMEncoder(4, 8, trim=False),
    "textcnn": lambda: TextCNNEncoder(4, 3, kernel_sizes=(2, 3), trim=False),
    "transformer": lambda: TransformerEncoder(4, 8, n_heads=2, trim=False),
}
CASES = [(cls, name) for cls in ESTIMATORS for name in ("lstm", "textcnn", "transformer")]
CASES += [(RAMLClassifier, f"{name}-untrimmed") for name in UNTRIMMED]


@pytest.mark.parametrize(
    "cls, spec", CASES, ids=[f"{cls.__name__}-{spec}" for cls, spec in CASES]
)
def test_padding_does_not_leak(cls, spec):
    X, y = mixed_data()
    name, _, untrimmed = spec.partition("-")
    encoder = UNTRIMMED[name]() if untrimmed else name
    clf = _small(cls, encoders={"seq": encoder}).fit(X, y)
    proba = clf.predict_proba(X)
    # More NaN padding after every sequence changes nothing.
    np.testing.assert_allclose(clf.predict_proba(pad_more(X)), proba, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(clf.predict(pad_more(X, 9)), clf.predict(X))
    # Each sample predicted alone (no other sequence in its batch) as within the batch.
    for i in [5, 6, 7, 8]:
        np.testing.assert_allclose(clf.predict_proba(X[[i]]), proba[[i]], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# Mixed 2D + 3D input, missing sequences, model selection
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_mixed_input_with_missing_sequences(cls):
    X, y = mixed_data()
    clf = _small(cls).fit(X, y)
    assert isinstance(clf.net_.module_.encoders[0], LSTMEncoder)  # default for 3D input
    assert clf.feature_shapes_ == {"seq": (None, 4), "vec": (3,)}
    # Every test sample without its sequence.
    X_missing = MultimodalData(seq=np.full_like(X["seq"], np.nan), vec=X["vec"])
    proba = clf.predict_proba(X_missing)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert set(clf.predict(X_missing)) <= {0, 1}


def test_raml_missing_sequence_has_zero_fusion_weight_and_finite_training():
    X, y = mixed_data()
    clf = _small(RAMLClassifier).fit(X, y)
    losses = clf.history_[:, "train_loss"]
    assert np.isfinite(losses).all()
    w = clf.fusion_weights(X)
    assert np.all(w["seq"][:5] == 0.0) and np.all(w["vec"][:5] == 1.0)
    assert np.all(w["seq"][5:] > 0.0)


def test_mixed_input_learns_from_the_sequence():
    X, y = mixed_data(n=120, seed=1)
    X = MultimodalData(seq=X["seq"], vec=np.random.RandomState(0).randn(120, 3))  # vec: noise
    clf = RAMLClassifier(hidden_sizes=(16,), max_epochs=15, lr=3e-3, batch_size=32, random_state=0)
    clf.fit(X[:80], y[:80])
    assert np.mean(clf.predict(X[80:]) == y[80:]) >= 0.8


def test_grid_search_on_sequences():
    X, y = mixed_data()
    search = GridSearchCV(
        _small(RAMLClassifier, encoders={"seq": "textcnn"}),
        {"lambda1": [0.5, 1.0]},
        cv=2,
    ).fit(X, y)
    assert search.best_params_["lambda1"] in (0.5, 1.0)
    assert search.predict(X).shape == (48,)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_encoder_errors_through_the_estimator():
    X, y = mixed_data()
    with pytest.raises(
        ValueError, match="The 'lstm' encoder takes sequences .* but modality 'vec' has 2D"
    ):
        _small(RAMLClassifier, encoders={"vec": "lstm"}).fit(X, y)
    with pytest.raises(
        ValueError, match="The 'mlp' encoder takes 2D features, but modality 'seq' is a sequence"
    ):
        _small(RAMLClassifier, encoders={"seq": "mlp"}).fit(X, y)


@pytest.mark.slow
@pytest.mark.parametrize("cls", [RAMLClassifier, LateFusionClassifier])
def test_a_slow_start_on_a_sequence_is_not_mistaken_for_convergence(cls):
    """Issue #23's case: the LSTM sits at chance for the first epochs while it looks for
    the one informative timestep. The stopping rule used to end training there (epoch 14,
    0.61 test accuracy, no warning); it now waits until the model has learned, judged on
    the 30 validation rows with a bar a chance-level model does not clear by luck (late
    fusion's head on the noise modality fits its training rows above chance long before
    the LSTM finds the signal)."""
    rng = np.random.default_rng(0)
    n, T, d = 400, 12, 4
    y = rng.integers(0, 2, n)
    seq = rng.normal(0, 0.3, (n, T, d))
    pos = np.where(y == 1, rng.integers(0, T // 2 - 1, n), rng.integers(T // 2, T - 1, n))
    seq[np.arange(n), pos, 0] += 3.0
    X = MultimodalData(seq=seq.astype("float32"),
                       tab=rng.normal(0, 1, (n, 3)).astype("float32"))
    clf = cls(encoders={"seq": "lstm"}, max_epochs=40, random_state=0).fit(X[:300], y[:300])
    assert clf.early_stopping_  # 30 validation rows, 15 per class
    assert clf.score(X[300:], y[300:]) >= 0.95
