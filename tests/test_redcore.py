"""RedCoreClassifier: the projection, Red's regulation, Core's losses, the sklearn contract."""

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmm import MultimodalData, RedCoreClassifier
from skmm._batching import Batch, TensorData
from skmm._data import check_multimodal
from skmm.redcore import RedCoreModule, project_eta, relative_advantage

SMALL = dict(hidden_sizes=(16,), latent_dim=8, cross_hidden_sizes=(16,), decoder_hidden_sizes=())
FAST = dict(SMALL, max_epochs=10, lr=1e-2, random_state=0)


def _task(n=240, seed=0, n_classes=3, rates=(0.6, 0.3, 0.0)):
    """Three informative modalities with imbalanced missing rates (NaN rows); "c" is
    never missing, so every sample keeps a modality."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, n_classes, n)
    centers = rng.randn(n_classes, 4) * 2
    X = MultimodalData(
        a=centers[y] + rng.randn(n, 4),
        b=centers[y][:, :3] + rng.randn(n, 3),
        c=centers[y][:, :2] + 1.5 * rng.randn(n, 2),
    )
    for name, rate in zip("abc", rates):
        X[name][rng.rand(n) < rate] = np.nan
    return X, y


def _batch(X):
    ds = TensorData.from_arrays(check_multimodal(X), None, "cpu")
    return Batch(ds.xs, ds.lengths, ds.mask)


# -- the projection of Eq. 8 ----------------------------------------------------


@st.composite
def _constraints(draw):
    m = draw(st.integers(1, 8))
    p = draw(st.sampled_from([1.0, 1.5, 2.0, 3.0]))
    xi2 = draw(st.floats(1e-3, 10.0))
    # a floor of at least 1e-9 of the largest feasible one: subnormal floors
    # (1e-323) carry no relative precision to test against
    xi1 = draw(st.floats(1e-9, 1.0)) * xi2 / m ** (1 / p)
    v = draw(st.lists(st.floats(-10, 10), min_size=m, max_size=m))
    return np.array(v), xi1, xi2, p


@settings(max_examples=150, deadline=None)
@given(_constraints())
def test_projection_lands_on_the_constraint_set(args):
    v, xi1, xi2, p = args
    eta = project_eta(v, xi1, xi2, p)
    assert eta.shape == v.shape
    assert (eta >= xi1 * (1 - 1e-9)).all()
    np.testing.assert_allclose(np.sum(eta**p) ** (1 / p), xi2, rtol=1e-6)
    # idempotent on the set, and a positive rescaling of v changes nothing
    np.testing.assert_allclose(project_eta(eta, xi1, xi2, p), eta, rtol=1e-6)
    np.testing.assert_allclose(project_eta(3.0 * v, xi1, xi2, p), eta, rtol=1e-6, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(0.0, 0.7))
def test_p2_projection_is_the_nearest_point_of_the_arc(v0, v1, frac):
    """M = 2: Gamma_1 is an arc of the circle; a fine grid finds no closer point."""
    xi2 = 0.15
    xi1 = frac * xi2 / np.sqrt(2)
    assume(xi1 > 0)
    v = np.array([v0, v1])
    eta = project_eta(v, xi1, xi2)
    theta = np.linspace(np.arcsin(xi1 / xi2), np.arccos(xi1 / xi2), 20001)
    arc = xi2 * np.stack([np.cos(theta), np.sin(theta)], 1)
    assert np.linalg.norm(eta - v) <= np.linalg.norm(arc - v, axis=1).min() + 1e-9


def test_projection_examples_and_errors():
    eta = project_eta([0.2, 0.05, -0.1], 0.015, 0.15)
    np.testing.assert_allclose(eta, [0.144792, 0.036198, 0.015], rtol=1e-5)
    # nothing positive: all the norm goes to the largest coordinate
    np.testing.assert_allclose(
        project_eta([-1.0, -0.5, -2.0], 0.015, 0.15),
        [0.015, np.sqrt(0.15**2 - 2 * 0.015**2), 0.015],
    )
    # the boundary case xi1 * M**(1/p) == xi2 has the single point xi1 * 1
    np.testing.assert_allclose(project_eta([5.0, -1.0, 2.0, 0.0], 0.05, 0.1), 0.05)
    t = project_eta(torch.tensor([0.3, 0.1], dtype=torch.float32), 0.015, 0.15)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32
    with pytest.raises(ValueError, match=r"infeasible for 3 modalities: xi1 \* M\*\*\(1/p\) = 0.1"):
        project_eta([1.0, 2.0, 3.0], 0.1 / np.sqrt(3), 0.09)
    with pytest.raises(ValueError, match="norm_p must be >= 1, got 0.5"):
        project_eta([1.0, 2.0], 0.01, 0.15, p=0.5)
    with pytest.raises(ValueError, match="^xi1 must be non-negative and xi2 positive, got "
                       "xi1=-0.01 and xi2=0.15.$"):
        project_eta([1.0, 2.0], -0.01, 0.15)
    with pytest.raises(ValueError, match="^xi1 must be non-negative and xi2 positive, got "
                       "xi1=0.0 and xi2=0.0.$"):
        project_eta([1.0, 2.0], 0.0, 0.0)
    with pytest.raises(ValueError, match=r"v must be a non-empty 1D vector, got shape \(2, 1\)"):
        project_eta([[1.0], [2.0]], 0.01, 0.15)


# -- Red: relative advantage and the eta update ----------------------------------

_losses = st.lists(st.floats(1e-3, 1e3), min_size=2, max_size=6)


@settings(max_examples=100, deadline=None)
@given(_losses)
def test_relative_advantage_sums_to_zero(losses):
    ra = relative_advantage(torch.tensor(losses, dtype=torch.float64))
    assert abs(float(ra.sum())) < 1e-9
    assert ra[int(np.argmin(losses))] == ra.max()  # the smallest loss is the strongest


@settings(max_examples=100, deadline=None)
@given(_losses, st.sampled_from([0.01, 0.1, 1.0]), st.floats(1e-9, 0.9))
def test_an_update_lowers_the_eta_of_the_strongest_modality(losses, alpha, frac):
    """From the equal initial eta (on the constraint set), one step of Eq. 8 lowers the
    eta of the modality with the largest RA and raises the weakest one's."""
    m = len(losses)
    assume(max(losses) > min(losses) * (1 + 1e-6))
    xi2 = 0.15
    xi1 = frac * xi2 / np.sqrt(m)
    eta = np.full(m, xi2 / np.sqrt(m))
    ra = relative_advantage(torch.tensor(losses, dtype=torch.float64)).numpy()
    new = project_eta(eta - alpha * ra, xi1, xi2)
    assert new[ra.argmax()] < eta[0]
    assert new[ra.argmin()] > eta[0]
    assert new[ra.argmax()] == new.min()


def _tiny_module(n_mod=3, **kw):
    torch.manual_seed(0)
    from skmm.nn.module import build_encoders

    shapes = {f"m{i}": (i + 2,) for i in range(n_mod)}
    names = ("gamma", "xi1", "xi2", "norm_p", "update_every", "eta_lr", "ema_beta", "regulate")
    defaults = {k: v for k, v in RedCoreClassifier().get_params().items() if k in names}
    return RedCoreModule(build_encoders(None, shapes, (6,)), 4, 3, (5,), (), **{**defaults, **kw})


def test_regulation_follows_algorithm_1():
    module = _tiny_module(update_every=2, ema_beta=0.5, eta_lr=0.1)
    assert module.eta.tolist() == pytest.approx([0.15 / np.sqrt(3)] * 3)
    seen = torch.tensor([True, True, True])
    module._regulate(torch.tensor([1.0, 2.0, 3.0]), seen)  # step 0: MAL starts, eta moves
    assert module.mal.tolist() == [1.0, 2.0, 3.0] and len(module.eta_log) == 1
    ra = relative_advantage(torch.tensor([1.0, 2.0, 3.0]))
    expected = project_eta(torch.full((3,), 0.15 / np.sqrt(3)) - 0.1 * ra, 0.015, 0.15)
    torch.testing.assert_close(module.eta, expected)
    assert module.eta[0] < module.eta[1] < module.eta[2]
    module._regulate(torch.tensor([3.0, 2.0, 9.0]), torch.tensor([True, False, True]))  # step 1
    assert module.mal.tolist() == [2.0, 2.0, 6.0]  # Eq. 9; an unseen modality keeps its MAL
    assert len(module.eta_log) == 1 and int(module.n_steps) == 2
    module._regulate(torch.tensor([2.0, 2.0, 6.0]), seen)  # step 2: second update
    assert len(module.eta_log) == 2
    assert [step for step, _ in module.ra_log] == [0, 2]
    torch.testing.assert_close(
        module.ra_log[1][1], relative_advantage(torch.tensor([2.0, 2.0, 6.0]))
    )
    assert set(dict(module.named_buffers())) >= {"eta", "mal", "n_steps"}
    assert {"eta", "mal", "n_steps"} <= set(module.state_dict())

    core = _tiny_module(regulate=False)
    core._regulate(torch.tensor([1.0, 2.0, 3.0]), seen)
    assert core.eta.tolist() == pytest.approx([0.15 / np.sqrt(3)] * 3)
    assert len(core.ra_log) == 1


# -- Core: the losses by hand -----------------------------------------------------


def _hand_losses(module, batch, y):
    mu, logvar, mask = module.encode(batch)
    n, n_mod, _ = mu.shape
    kl = torch.zeros(())
    z_hat = []
    for i in range(n):
        for m in range(n_mod):
            if mask[i, m]:
                kl = kl + 0.5 * (mu[i, m] ** 2 + logvar[i, m].exp() - 1 - logvar[i, m]).sum()
    for m in range(n_mod):
        inputs = [mu[:, k] * mask[:, k, None] for k in range(n_mod) if k != m]
        z_hat.append(module.cross_encoders[m](torch.cat(inputs, 1)))
    z = [torch.where(mask[:, m, None], mu[:, m], z_hat[m]) for m in range(n_mod)]
    ce = F.cross_entropy(module.joint_decoder(torch.cat(z, 1)), y)
    ce = ce + sum(F.cross_entropy(module.decoders[m](z[m]), y) for m in range(n_mod))
    mse = torch.stack(
        [((z_hat[m] - mu[:, m]) ** 2).sum(1)[mask[:, m]].mean() for m in range(n_mod)]
    )
    return ce, kl / n, mse, torch.cat(z, 1)


def test_loss_terms_by_hand_on_a_tiny_module():
    """Eval mode uses the means: every term equals its hand computation; KL and MSE
    count present modalities only, the MSE is a mean over the samples that have m."""
    X, y = _task(n=12)
    module = RedCoreClassifier(**dict(FAST, max_epochs=2)).fit(X, y).net_.module_.eval()
    batch, yt = _batch(X), torch.as_tensor(y)
    assert (~batch.mask).any(0)[:2].all()  # a and b have missing rows
    with torch.no_grad():
        terms = module.losses(module.encode(batch), yt, None, batch.mask)
        ce, kl, mse, joint = _hand_losses(module, batch, yt)
    torch.testing.assert_close(terms["loss_ce"], ce)
    torch.testing.assert_close(terms["loss_kl"], kl)
    torch.testing.assert_close(terms["loss_mse"], (module.eta * mse).sum())
    torch.testing.assert_close(terms["loss"], ce + module.gamma * kl + (module.eta * mse).sum())
    torch.testing.assert_close(terms["output"], module.joint_decoder(joint))


def test_missing_content_changes_no_loss_term_and_no_prediction():
    X, y = _task(n=40)
    clf = RedCoreClassifier(**FAST).fit(X, y)
    module = clf.net_.module_
    batch, yt = _batch(X), torch.as_tensor(y)
    missing = ~batch.mask[:, 0]
    garbage = [x.clone() for x in batch.xs]
    garbage[0][missing] = 1e3 * torch.randn(int(missing.sum()), 4)
    other = Batch(garbage, batch.lengths, batch.mask)
    changed = [x.clone() for x in batch.xs]
    changed[0][~missing] += 1.0
    present = Batch(changed, batch.lengths, batch.mask)
    module.eval()
    with torch.no_grad():
        assert torch.equal(module(batch), module(other))
        assert not torch.equal(module(batch), module(present))  # the test bites
    module.train()  # sampled z_bar, same draws
    state = {k: v.clone() for k, v in module.state_dict().items()}
    out = []
    for b in (batch, other, present):
        module.load_state_dict(state)
        torch.manual_seed(0)
        with torch.no_grad():
            out.append(module.losses(module.encode(b), yt, None, b.mask))
    for name in ("loss", "loss_ce", "loss_kl", "loss_mse"):
        assert torch.equal(out[0][name], out[1][name]), name
        assert not torch.equal(out[0][name], out[2][name]), name


def test_transform_uses_the_cross_modal_representation_for_missing_modalities():
    X, y = _task(n=40)
    clf = RedCoreClassifier(**FAST).fit(X, y)
    module = clf.net_.module_.eval()
    Z = clf.transform(X)
    assert Z.shape == (40, 3 * 8)
    batch = _batch(X)
    with torch.no_grad():
        mu, _, mask = module.encode(batch)
        *_, joint = _hand_losses(module, batch, torch.as_tensor(y))
        z_hat_a = module.cross_encoders[0](
            torch.cat([mu[:, 1] * mask[:, 1, None], mu[:, 2] * mask[:, 2, None]], 1)
        )
    np.testing.assert_allclose(Z, joint.numpy(), rtol=1e-5, atol=1e-6)
    miss_a = np.isnan(X["a"][:, 0])
    assert miss_a.any() and (~miss_a).any()
    np.testing.assert_allclose(Z[miss_a, :8], z_hat_a[miss_a].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(Z[~miss_a, :8], mu[~miss_a, 0].numpy(), rtol=1e-5, atol=1e-6)
    # predict uses the joint classifier on that representation
    with torch.no_grad():
        logits = module.joint_decoder(torch.as_tensor(Z)).numpy()
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[logits.argmax(1)])


def test_single_modality_has_no_cross_modal_part():
    X, y = _task(n=60)
    present = ~np.isnan(X["a"][:, 0])
    # no validation split: every batch in the history is a training batch
    clf = RedCoreClassifier(early_stopping=False, **FAST).fit(X["a"][present], y[present])
    assert len(clf.net_.module_.cross_encoders) == 0
    assert clf.eta_.tolist() == pytest.approx([0.15])
    assert all(h["loss_mse"] == 0 for h in clf.history_[-1]["batches"])


# -- training ---------------------------------------------------------------------


def test_learns_with_imbalanced_missing_rates_and_keeps_eta_on_the_set():
    X, y = _task(n=400)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0, stratify=y)
    clf = RedCoreClassifier(**dict(FAST, max_epochs=15)).fit(Xtr, ytr)
    assert clf.score(Xte, yte) > 0.8  # chance is 1/3; ConcatFusionClassifier gets 0.84
    # with only "c" (the noisiest modality) present
    only_c = MultimodalData(
        a=np.full_like(Xte["a"], np.nan), b=np.full_like(Xte["b"], np.nan), c=Xte["c"]
    )
    keep = ~np.isnan(only_c["c"][:, 0])
    assert clf.score(only_c[keep], yte[keep]) > 0.55  # ConcatFusionClassifier: 0.65
    eta, ra = clf.eta_history_, clf.relative_advantage_history_
    n_steps = 15 * int(np.ceil(300 / 128))
    assert eta.shape == ra.shape == (int(np.ceil(n_steps / 3)), 3)
    assert (eta >= 0.015 * (1 - 1e-6)).all()
    np.testing.assert_allclose(np.linalg.norm(eta, axis=1), 0.15, rtol=1e-6)
    np.testing.assert_allclose(ra.sum(1), 0.0, atol=1e-5)
    assert np.ptp(eta, axis=0).max() > 1e-3  # regulation moved eta
    np.testing.assert_array_equal(clf.eta_, eta[-1])
    assert int(clf.net_.module_.n_steps) == n_steps


def test_core_ablation_keeps_eta_constant():
    X, y = _task(n=200)
    clf = RedCoreClassifier(regulate=False, **FAST).fit(X, y)
    eta = clf.eta_history_
    assert len(eta) > 0
    np.testing.assert_allclose(eta, 0.15 / np.sqrt(3), rtol=1e-6)
    assert np.abs(clf.relative_advantage_history_).max() > 0  # RA still recorded


def test_norm_p_and_xi_parameters_are_used():
    X, y = _task(n=200)
    clf = RedCoreClassifier(norm_p=1, xi1=0.01, xi2=0.3, eta_lr=1.0, **FAST).fit(X, y)
    np.testing.assert_allclose(clf.eta_history_.sum(1), 0.3, rtol=1e-6)
    assert clf.eta_history_.min() >= 0.01 * (1 - 1e-6)
    with pytest.raises(ValueError, match=r"infeasible for 3 modalities"):
        RedCoreClassifier(xi1=0.1, xi2=0.15, **FAST).fit(X, y)


@pytest.mark.parametrize("augment", ["all", "random"])
def test_augmentation_modes_train(augment):
    X, y = _task(n=200)
    clf = RedCoreClassifier(augment=augment, **FAST).fit(X, y)
    assert clf.score(X, y) > 0.7  # chance is 1/3
    assert np.isfinite(clf.eta_history_).all()


# -- the sklearn contract -----------------------------------------------------------


def test_grid_search_and_cross_val_score_on_multimodal_data():
    X, y = _task(n=150)
    params = dict(FAST, max_epochs=5)
    search = GridSearchCV(
        RedCoreClassifier(**params), {"xi1": [0.01, 0.05], "xi2": [0.15, 0.3]}, cv=2
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.xi1 in (0.01, 0.05)
    scores = cross_val_score(RedCoreClassifier(**params), X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.5


def test_pipeline_on_flat_array_with_modality_spec():
    X, y = _task()
    flat = np.hstack([X["a"], X["b"], X["c"]])  # NaN rows pass through the scaler
    spec = {"a": slice(0, 4), "b": [4, 5, 6], "c": [7, 8]}
    pipe = Pipeline(
        [("scale", StandardScaler()), ("clf", RedCoreClassifier(modalities=spec, **FAST))]
    )
    pipe.fit(flat, y)
    assert pipe.named_steps["clf"].n_features_in_ == 9
    assert pipe.named_steps["clf"].modalities_ == ["a", "b", "c"]
    assert pipe.score(flat, y) > 0.8


def test_clone_pickle_and_reproducibility():
    X, y = _task()
    clf = RedCoreClassifier(**FAST)
    assert clone(clf).get_params() == clf.get_params()
    assert RedCoreClassifier().lr == 1e-3 and RedCoreClassifier().augment is None
    p1 = clone(clf).fit(X, y).predict_proba(X)
    fitted = clone(clf).fit(X, y)
    np.testing.assert_array_equal(p1, fitted.predict_proba(X))
    p3 = clone(clf).set_params(random_state=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(p1, p3)
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.predict_proba(X), p1)
    np.testing.assert_array_equal(loaded.eta_history_, fitted.eta_history_)
    torch.testing.assert_close(loaded.net_.module_.eta, fitted.net_.module_.eta)


def test_early_stopping_restores_regulation_state_with_the_weights():
    X, y = _task(n=200)
    clf = RedCoreClassifier(
        early_stopping=True, n_iter_no_change=2, max_epochs=40, **SMALL, lr=3e-2, random_state=0
    ).fit(X, y)
    module = clf.net_.module_
    n_epochs = len(clf.history_)
    assert n_epochs < 40
    best = int(np.argmin(clf.history_[:, "valid_loss"]))
    steps_per_epoch = int(np.ceil(180 / 128))
    assert int(module.n_steps) == (best + 1) * steps_per_epoch  # the buffer came back
    assert n_epochs > best + 1  # later epochs ran, and their updates were cut off
    # updates at steps 0, 3, 6, ... before the restored step count; the last one is eta_
    assert len(clf.eta_history_) == int(np.ceil(int(module.n_steps) / 3))
    np.testing.assert_array_equal(clf.eta_history_[-1], clf.eta_)
    assert len(clf.relative_advantage_history_) == len(clf.eta_history_)


def test_bad_parameters():
    X, y = _task(n=60)
    for params, message in [
        (dict(ema_beta=0), r"'ema_beta' parameter of RedCoreClassifier must be a float in the "
                           r"range \(0\.0, 1\.0\]\. Got 0 instead\.$"),
        (dict(update_every=0), r"'update_every' parameter of RedCoreClassifier must be an int in "
                               r"the range \[1, inf\)\. Got 0 instead\.$"),
        (dict(gamma=-1.0), r"'gamma' parameter of RedCoreClassifier must be a float in the range "
                           r"\[0\.0, inf\)\. Got -1\.0 instead\.$"),
        (dict(eta_lr=-0.1), r"'eta_lr' parameter of RedCoreClassifier must be a float in the "
                            r"range \[0\.0, inf\)\. Got -0\.1 instead\.$"),
        (dict(xi1=-0.1), r"'xi1' parameter of RedCoreClassifier must be a float in the range "
                         r"\[0\.0, inf\)\. Got -0\.1 instead\.$"),
        (dict(augment="some"), r"'augment' parameter of RedCoreClassifier must be a str among"),
        (dict(cross_hidden_sizes=(8, 0)), r"'cross_hidden_sizes' parameter of RedCoreClassifier "
                                          r"must be a sequence of positive ints \(layer widths\)\. "
                                          r"Got \(8, 0\) instead\.$"),
    ]:
        with pytest.raises(ValueError, match="^The " + message):
            RedCoreClassifier(max_epochs=1, **params).fit(X, y)
    # infeasible xi1 and xi2 together: the cross-parameter check, where it was
    with pytest.raises(ValueError, match=r"infeasible for 3 modalities: xi1 \* M\*\*\(1/p\)"):
        RedCoreClassifier(xi1=0.1, xi2=0.15, max_epochs=1).fit(X, y)


def test_zero_floor_xi1():
    """xi1 is a floor: 0 is allowed, and eta may then reach 0 on a coordinate."""
    eta = project_eta([0.2, 0.05, -0.1], xi1=0.0, xi2=0.15)
    assert eta[2] == 0.0 and eta.min() >= 0.0
    np.testing.assert_allclose(np.linalg.norm(eta), 0.15)
    np.testing.assert_allclose(eta[:2] / eta[0], [1.0, 0.25])  # the free part is scaled v
    np.testing.assert_allclose(project_eta([-0.2, -0.05, -0.1], 0.0, 0.15), [0.0, 0.15, 0.0])
    X, y = _task(n=60)
    clf = RedCoreClassifier(xi1=0.0, **dict(FAST, max_epochs=3)).fit(X, y)
    assert clf.eta_.min() >= 0.0 and np.isclose(np.linalg.norm(clf.eta_), 0.15)
    assert len(clf.eta_history_) > 0


def test_heavy_tailed_input_keeps_the_kl_term_finite():
    """A feature 120 standard deviations out (California housing's occupancy) drove an
    unbounded log-variance past float32's exp range: the KL term overflowed and training
    went NaN. The log-variances are bounded (+-10): training stays finite and the
    variances within exp(+-10)."""
    rng = np.random.RandomState(0)
    X = {"a": rng.randn(200, 3), "b": rng.randn(200, 2)}
    X["a"][::50, 0] = 120.0
    y = (X["b"][:, 0] > 0).astype(int)
    clf = RedCoreClassifier(hidden_sizes=(16,), latent_dim=8, lr=3e-2, max_epochs=5,
                            random_state=0).fit(X, y)
    assert np.isfinite(clf.history_[:, "train_loss"]).all()
    module = clf.net_.module_
    from skmm._batching import TensorData
    from skmm._data import check_multimodal

    batch, _ = TensorData.from_arrays(check_multimodal(X), None, "cpu").batch(slice(0, 200))
    with torch.no_grad():
        _, logvar, _ = module.encode(batch)
    assert logvar.abs().max() <= 10.0
