"""Training to convergence, the monitored quantities, threads and user encoders:
behaviour the estimator base gives every classifier."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler
from skorch.callbacks import Callback

from skmm import (
    ConcatFusionClassifier,
    LateFusionClassifier,
    MultimodalData,
    RAMLClassifier,
    RedCoreClassifier,
)
from skmm._batching import TensorData
from skmm._data import check_multimodal
from skmm.datasets import make_multimodal_classification
from skmm.nn import MLPEncoder

SMALL = {
    RAMLClassifier: dict(hidden_sizes=(16,), latent_dim=8),
    RedCoreClassifier: dict(
        hidden_sizes=(16,), latent_dim=8, cross_hidden_sizes=(16,), decoder_hidden_sizes=()
    ),
    ConcatFusionClassifier: dict(hidden_sizes=(16,), classifier_hidden=16),
    LateFusionClassifier: dict(hidden_sizes=(16,)),
}
ESTIMATORS = list(SMALL)


def _task(n=200, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    X = MultimodalData(
        a=(y[:, None] * 2.0 + rng.randn(n, 3)).astype("float32"),
        b=(y[:, None] * 2.0 + rng.randn(n, 2)).astype("float32"),
    )
    return X, y


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_convergence_warning_and_n_iter(cls):
    X, y = _task()
    with pytest.warns(ConvergenceWarning, match=r"max_epochs=2 ended training before it converged"):
        # it learns in 2 epochs (26 steps) but has not converged
        clf = cls(max_epochs=2, lr=1e-2, batch_size=16, random_state=0, **SMALL[cls]).fit(X, y)
    assert clf.n_iter_ == 2 == len(clf.history_)
    # A loose tolerance: the objective stops improving by 10 within 2 epochs, training
    # stops there, and no warning is raised.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = cls(max_epochs=50, tol=10.0, n_iter_no_change=2, lr=1e-2, batch_size=16,
                  random_state=0, **SMALL[cls])
        clf.fit(X, y)
    assert clf.n_iter_ == 3 == len(clf.history_)  # epoch 1 is the best; 2 and 3 miss it


def test_training_stops_when_the_objective_stops_improving():
    X, y = _task(n=300)
    clf = LateFusionClassifier(max_epochs=300, lr=1e-2, tol=1e-3, early_stopping=False,
                               random_state=0, **SMALL[LateFusionClassifier]).fit(X, y)
    loss = np.asarray(clf.history_[:, "train_loss"])
    assert 10 < clf.n_iter_ < 300
    # MLPClassifier's rule: none of the last n_iter_no_change epochs beat the best by tol
    assert (loss[-10:] > loss[:-10].min() - 1e-3).all()
    assert clf.score(X, y) > 0.9


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_valid_loss_is_the_objective_on_the_validation_split(cls):
    """valid_loss is the method's own objective (not a plain cross-entropy), on the held-out
    rows, without augmentation or noise: train_loss and valid_loss are comparable."""
    X, y = _task(n=200)
    clf = cls(
        early_stopping=True, max_epochs=3, n_iter_no_change=5, lr=1e-2, random_state=0,
        **SMALL[cls],
    ).fit(X, y)
    net = clf.net_
    data = check_multimodal(X)
    dataset = TensorData.from_arrays(data, np.searchsorted(clf.classes_, y), "cpu")
    _, valid = net.train_split(dataset)
    module = net.module_.eval()
    # RAML's L^U is an expectation over rho ~ N(0, 1), estimated with one draw per batch
    draws = 400 if cls is RAMLClassifier else 1
    with torch.no_grad():
        batch, yb = valid.batch(slice(None))
        values = []
        for _ in range(draws):
            terms = module.losses(module.encode(batch), yb, None, batch.mask)
            values.append(terms.get("objective", terms["loss"]).item())
        acc = (terms["output"].argmax(1) == yb).double().mean().item()
    # the last epoch is the best one, so the weights are those it was measured with
    assert int(np.argmin(clf.history_[:, "valid_loss"])) == len(clf.history_) - 1
    # one draw of the same distribution (RAML), or exactly the objective (the others)
    spread = 4 * np.std(values) if cls is RAMLClassifier else 1e-5 * abs(values[0])
    assert abs(clf.history_[-1, "valid_loss"] - np.mean(values)) <= spread
    assert clf.history_[-1, "valid_acc"] == pytest.approx(acc)
    if cls is RedCoreClassifier:  # L_VIB, not the whole loss (see RedCoreClassifier)
        assert clf.history_[-1, "train_loss"] == pytest.approx(
            clf.history_[-1, "loss_ce"] + 0.008 * clf.history_[-1, "loss_kl"], rel=1e-5
        )


def test_early_stopping_restores_the_best_epoch():
    X, y = _task(n=300)
    clf = ConcatFusionClassifier(
        early_stopping=True, max_epochs=60, n_iter_no_change=3, lr=5e-2, random_state=0,
        **SMALL[ConcatFusionClassifier],
    ).fit(X, y)
    valid = clf.history_[:, "valid_loss"]
    assert clf.n_iter_ < 60
    best = int(np.argmin(valid))
    assert clf.n_iter_ - 1 - best == 3  # stopped after n_iter_no_change epochs without a best


@pytest.mark.parametrize("early_stopping", [False, True])
def test_tol_none_trains_max_epochs_without_a_warning(early_stopping):
    """tol=None (SGDClassifier's): no stopping rule and no ConvergenceWarning, for choosing
    max_epochs by cross-validation; early stopping's split still restores its best epoch."""
    X, y = _task(n=300)
    params = dict(max_epochs=25, lr=5e-2, n_iter_no_change=3, early_stopping=early_stopping,
                  random_state=0, **SMALL[ConcatFusionClassifier])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = ConcatFusionClassifier(tol=None, **params).fit(X, y)
    assert clf.n_iter_ == 25 == len(clf.history_)
    # with a tolerance the same fit stops early (n_iter_no_change=3 at a high rate)
    assert ConcatFusionClassifier(tol=1e-4, **params).fit(X, y).n_iter_ < 25
    if early_stopping:
        valid = clf.history_[:, "valid_loss"]
        best = int(np.argmin(valid))
        assert best < 24  # the weights of a past epoch come back: its valid loss again
        restored = ConcatFusionClassifier(tol=None, **{**params, "max_epochs": best + 1})
        restored.fit(X, y)
        np.testing.assert_allclose(clf.predict_proba(X), restored.predict_proba(X), rtol=1e-5)


def test_redcore_does_not_collapse_on_many_classes():
    """The generated case of the collapse (68 classes, 680 samples, min-max scaled): with the
    imputation loss's gradient reaching its target, RedCore predicted one class for every
    sample (6.6%); with the target held fixed it is level with late fusion."""
    X, y = make_multimodal_classification(
        n_samples=680, n_classes=68, modalities=3, n_features=64, class_sep=8, noise=0.5,
        random_state=0,
    )
    X = MultimodalData({k: MinMaxScaler().fit_transform(v) for k, v in X.items()})
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    # defaults, but at most 100 epochs (the test's time; the default 200 reached 99.3%)
    late = LateFusionClassifier(max_epochs=100, random_state=0).fit(Xtr, ytr).score(Xte, yte)
    redcore = RedCoreClassifier(max_epochs=100, random_state=0).fit(Xtr, ytr)
    assert redcore.score(Xte, yte) >= late - 0.03
    ce = redcore.history_[:, "loss_ce"]
    assert ce[-1] < 0.5 * ce[0]  # the classifiers left chance (4 ln 68 = 16.9)


def test_redcore_regulation_is_a_callback_and_losses_have_no_side_effect():
    X, y = _task(n=100)
    clf = RedCoreClassifier(max_epochs=2, random_state=0, **SMALL[RedCoreClassifier]).fit(X, y)
    assert "regulate_eta" in dict(clf.net_.callbacks_)
    module = clf.net_.module_.train()
    before = {k: v.clone() for k, v in module.named_buffers()}
    dataset = TensorData.from_arrays(check_multimodal(X), y, "cpu")
    batch, yb = dataset.batch(slice(None))
    terms = module.losses(module.encode(batch), yb, None, batch.mask)
    for name, value in module.named_buffers():
        assert torch.equal(value, before[name]), name
    assert terms["mse_per_modality"].shape == (2,) and not terms["mse_per_modality"].requires_grad


class _ThreadProbe(Callback):
    def on_epoch_end(self, net, **kwargs):
        net.history.record("torch_threads", torch.get_num_threads())


def test_n_threads_is_set_for_fit_and_restored():
    X, y = _task(n=60)
    before = torch.get_num_threads()
    wanted = 2 if before == 1 else 1
    clf = LateFusionClassifier(
        max_epochs=2, n_threads=wanted, callbacks=[_ThreadProbe()], random_state=0,
        **SMALL[LateFusionClassifier],
    ).fit(X, y)
    assert clf.history_[:, "torch_threads"] == [wanted, wanted]
    assert torch.get_num_threads() == before
    clf.predict(X)
    assert torch.get_num_threads() == before
    clf.set_params(n_threads=None, callbacks=[_ThreadProbe()]).fit(X, y)
    assert clf.history_[:, "torch_threads"] == [before, before]
    with pytest.raises(ValueError, match=r"^The 'n_threads' parameter of LateFusionClassifier "
                       r"must be .* Got 0 instead\.$"):
        clf.set_params(n_threads=0).fit(X, y)


def test_a_user_encoder_is_never_trained_in_place():
    X, y = _task(n=100)
    encoder = MLPEncoder(3, (8,))
    weights = {k: v.clone() for k, v in encoder.state_dict().items()}
    clf = ConcatFusionClassifier(
        encoders={"a": encoder}, max_epochs=3, lr=1e-2, random_state=0,
        **SMALL[ConcatFusionClassifier],
    )
    first = clf.fit(X, y).predict_proba(X)
    for k, v in encoder.state_dict().items():
        assert torch.equal(v, weights[k]), k  # the caller's module is as it was passed
    trained = clf.net_.module_.encoders[0]
    assert trained is not encoder
    assert not all(torch.equal(p, q) for p, q in zip(trained.parameters(), encoder.parameters()))
    # a second fit starts from the same weights, so it gives the same model
    np.testing.assert_array_equal(clf.fit(X, y).predict_proba(X), first)


def test_trusted_fusion_does_not_stop_before_its_annealing_ends():
    """The evidential loss's KL weight rises until annealing_epochs, so the objective is not
    stationary before: the convergence rule waits for it (it tracks the best meanwhile).
    Without the KL term (the default kl_weight=0) it waits too: the first epochs can sit on
    the uniform-opinion plateau."""
    from skmm import TrustedFusionClassifier

    X, y = _task(n=100)
    # learns within 3 epochs (a constant rate: the adaptive one would fall with tol=10)
    common = dict(max_epochs=30, tol=10.0, n_iter_no_change=2, random_state=0,
                  hidden_sizes=(16,), lr=1e-2, lr_schedule="constant", batch_size=16)
    clf = TrustedFusionClassifier(kl_weight=1.0, annealing_epochs=0, **common).fit(X, y)
    assert clf.n_iter_ == 3  # epoch 1 is the best by 10; 2 and 3 miss it
    clf = TrustedFusionClassifier(kl_weight=1.0, annealing_epochs=8, **common).fit(X, y)
    assert clf.n_iter_ == 8  # the misses of epochs 2-8 did not stop it before epoch 8
    clf = TrustedFusionClassifier(annealing_epochs=8, **common).fit(X, y)
    assert clf.n_iter_ == 8


@pytest.mark.parametrize("early_stopping", [True, False])
def test_adaptive_lr_schedule_divides_the_rate_by_5_after_three_stalled_epochs(early_stopping):
    X, y = _task(n=100)
    # tol=10: only the first epoch counts as an improvement of the monitored loss
    clf = LateFusionClassifier(
        lr=1e-2, lr_schedule="adaptive", tol=10.0, n_iter_no_change=20, max_epochs=9,
        early_stopping=early_stopping, random_state=0, **SMALL[LateFusionClassifier],
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    expected = [1e-2] * 4 + [2e-3] * 3 + [4e-4] * 2
    np.testing.assert_allclose(clf.history_[:, "event_lr"], expected, rtol=1e-9)
    assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(4e-4)  # epochs 8-9: 2 stalls
    # the constant default records no rate and keeps it
    clf.set_params(lr_schedule="constant")
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert "event_lr" not in clf.history_[-1]
    assert clf.net_.optimizer_.param_groups[0]["lr"] == 1e-2


def test_trusted_fusion_lowers_its_rate_only_after_annealing():
    """The trusted estimator's default schedule is adaptive, and like the convergence rule it
    waits for annealing_epochs: a cut on the early uniform-opinion plateau would keep it
    there (68 classes, seeds 1 and 2: 13.8% and 6.5% without the wait)."""
    from skmm import TrustedFusionClassifier

    X, y = _task(n=100)
    clf = TrustedFusionClassifier(
        annealing_epochs=5, tol=10.0, n_iter_no_change=20, max_epochs=10, random_state=0,
        hidden_sizes=(16,),
    )
    assert clf.lr_schedule == "adaptive" and clf.lr == 1e-3
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    # epochs 1-4 are not seen; epoch 5 is the first (so the best), 6-8 stall: cut after 8
    np.testing.assert_allclose(clf.history_[:, "event_lr"], [1e-3] * 8 + [2e-4] * 2, rtol=1e-9)


# -- the stopping rule never quits before the model has learned ---------------------


def test_a_plateau_at_chance_does_not_stop_training_and_not_learning_is_said():
    """Labels independent of the features: the loss plateaus at once. With tol=10 every
    epoch after the first is a miss, yet training does not stop while the score stays
    at chance, and at max_epochs a ConvergenceWarning says the model did not learn."""
    rng = np.random.RandomState(0)
    X = MultimodalData(a=rng.randn(120, 3).astype("float32"),
                       b=rng.randn(120, 2).astype("float32"))
    y = np.tile([0, 1], 60)
    clf = LateFusionClassifier(max_epochs=12, tol=10.0, n_iter_no_change=2, random_state=0,
                               **SMALL[LateFusionClassifier])
    with pytest.warns(ConvergenceWarning, match=r"^LateFusionClassifier did not learn: in 12 "
                      r"epochs its best train_acc was 0\.\d+, short of 0\.637, what it must "
                      r"reach on 120 rows to be told from a constant prediction \(which scores "
                      r"0\.5\)\."):
        clf.fit(X, y)
    assert clf.n_iter_ == 12
    assert clf.early_stopping_ is False  # 12 validation rows: too few for a split
    assert max(clf.history_[:, "train_acc"]) < 0.5 + 3 * np.sqrt(0.25 / 120)  # the bar


def test_stopping_waits_for_learning_then_applies_the_rule():
    """The first epochs sit at chance (a tiny learning rate), the rule waits; once the
    score clears the bar, n_iter_no_change misses stop training."""
    from skmm._training import learned_bar

    X, y = _task()
    clf = LateFusionClassifier(lr=3e-3, tol=10.0, n_iter_no_change=2, max_epochs=60,
                               early_stopping=False, random_state=0,
                               **SMALL[LateFusionClassifier]).fit(X, y)
    acc = np.asarray(clf.history_[:, "train_acc"])
    chance = np.bincount(y).max() / len(y)
    # a tenth of the way to perfect, and 3 standard errors above chance (200 rows: 0.106)
    assert learned_bar(chance, 200) == pytest.approx(chance + 3 * np.sqrt(chance * (1 - chance) / 200))
    learned = np.flatnonzero(acc >= learned_bar(chance, 200))
    assert learned.size and clf.n_iter_ < 60
    # no stop before the first epoch that learned; then the rule (2 misses) ends it
    assert clf.n_iter_ >= learned[0] + 1


def test_early_stopping_auto_needs_20_validation_rows_and_2_per_class():
    small, y_small = _task(n=190)  # 19 validation rows: no split, all rows train
    large, y_large = _task(n=200)  # 20 validation rows: a split
    fast = dict(max_epochs=3, random_state=0, **SMALL[LateFusionClassifier])
    clf = LateFusionClassifier(**fast).fit(small, y_small)
    assert clf.early_stopping_ is False and "valid_acc" not in clf.history_[-1]
    assert "train_acc" in clf.history_[-1]
    clf = LateFusionClassifier(**fast).fit(large, y_large)
    assert clf.early_stopping_ is True and "valid_acc" in clf.history_[-1]
    clf = LateFusionClassifier(early_stopping=True, **fast).fit(small, y_small)
    assert clf.early_stopping_ is True and "valid_acc" in clf.history_[-1]
    clf = LateFusionClassifier(early_stopping=False, **fast).fit(large, y_large)
    assert clf.early_stopping_ is False
    # 30 classes of 10 rows: 30 validation rows, fewer than two per class
    rng = np.random.RandomState(0)
    X = MultimodalData(a=rng.randn(300, 3).astype("float32"))
    many = np.repeat(np.arange(30), 10)
    assert LateFusionClassifier(**fast).fit(X, many).early_stopping_ is False
    assert LateFusionClassifier(**fast).fit(X[:200], many[:200] % 10).early_stopping_ is True


def test_the_recorded_scores_are_the_epochs_accuracy():
    """valid_acc is the accuracy of the model on the whole validation split (one epoch, so
    the restored weights are the recorded epoch's)."""
    from skmm._batching import make_dataset

    X, y = _task(n=1000)
    clf = LateFusionClassifier(max_epochs=1, tol=None, random_state=0,
                               **SMALL[LateFusionClassifier]).fit(X, y)
    dataset = make_dataset(check_multimodal(X), y.astype(np.int64), "cpu", "device")
    _, valid = clf.net_.train_split(dataset)
    rows = valid.rows.numpy()
    assert len(rows) == 100
    Xv = MultimodalData({k: v[rows] for k, v in X.items()})
    assert clf.history_[-1, "valid_acc"] == pytest.approx(clf.score(Xv, y[rows]))
