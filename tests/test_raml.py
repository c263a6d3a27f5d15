"""RAMLClassifier: the paper's equations, the sklearn contract, reproducibility."""


import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmm import MultimodalData, RAMLClassifier
from skmm._batching import Batch, TensorData
from skmm._data import check_multimodal
from skmm.nn import expand_patterns, missing_patterns

FAST = dict(max_epochs=10, lr=1e-2, hidden_sizes=(32,), latent_dim=16, random_state=0)


def _task(n=240, seed=0, n_classes=3):
    """Two redundant modalities (each predicts y) and a pure-noise one; some NaN rows."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, n_classes, n)
    centers = rng.randn(n_classes, 4) * 2
    X = MultimodalData(
        a=centers[y] + rng.randn(n, 4),
        b=centers[y][:, :3] + rng.randn(n, 3),
        c=rng.randn(n, 2),
    )
    X["a"][:20] = np.nan
    X["b"][20:40] = np.nan
    return X, y


def _batch(X):
    data = check_multimodal(X)
    ds = TensorData.from_arrays(data, None, "cpu")
    return Batch(ds.xs, ds.lengths, ds.mask)


# -- the method ---------------------------------------------------------------


def test_fusion_weights_are_a_partition_of_unity_over_present_modalities():
    X, y = _task()
    clf = RAMLClassifier(**FAST).fit(X, y)
    w = clf.fusion_weights(X)
    assert list(w) == ["a", "b", "c"]
    stacked = np.stack([w[m] for m in w], 1)  # (n, M, D)
    assert stacked.shape == (240, 3, 16)
    assert (stacked >= 0).all()
    np.testing.assert_allclose(stacked.sum(1), 1.0, rtol=1e-5)
    assert (w["a"][:20] == 0).all() and (w["b"][20:40] == 0).all()
    assert (w["a"][20:] > 0).all()


def test_missing_content_cannot_leak():
    """Zero-filled or garbage: a missing modality's row never changes the output."""
    X, y = _task()
    clf = RAMLClassifier(**FAST).fit(X, y)
    module = clf.net_.module_.eval()
    batch = _batch(X)
    garbage = [x.clone() for x in batch.xs]
    garbage[0][:20] = 1e3 * torch.randn(20, 4)  # rows where "a" is missing
    with torch.no_grad():
        ref = module(batch)
        out = module(Batch(garbage, batch.lengths, batch.mask))
    torch.testing.assert_close(ref, out, rtol=0, atol=0)


def _grads(module, batch, y, **lambdas):
    for name, value in lambdas.items():
        setattr(module, name, value)
    module.zero_grad()
    torch.manual_seed(0)
    terms = module.losses(module.encode(batch), y, None, batch.mask)
    terms["loss"].backward()
    return terms, torch.cat([p.grad.flatten() for p in module.parameters() if p.grad is not None])


def _manual_grads(module, batch, y, combine):
    module.zero_grad()
    torch.manual_seed(0)
    terms = module.losses(module.encode(batch), y, None, batch.mask)
    combine(terms).backward()
    return torch.cat([p.grad.flatten() for p in module.parameters() if p.grad is not None])


def test_each_loss_term_responds_to_its_lambda():
    X, y = _task()
    clf = RAMLClassifier(**FAST).fit(X, y)
    module = clf.net_.module_.train()
    batch, yt = _batch(X), torch.as_tensor(np.searchsorted(clf.classes_, y))
    terms, g = _grads(module, batch, yt, lambda1=0.0, lambda2=0.5)
    assert terms["loss_U"] > 0
    torch.testing.assert_close(
        g, _manual_grads(module, batch, yt, lambda t: t["loss_M"] + 0.5 * t["loss_D"])
    )
    terms, g = _grads(module, batch, yt, lambda1=0.7, lambda2=0.0)
    assert terms["loss_D"] > 0
    torch.testing.assert_close(
        g, _manual_grads(module, batch, yt, lambda t: t["loss_M"] + 0.7 * t["loss_U"])
    )
    # and the total is Eq. 6
    t = _grads(module, batch, yt, lambda1=0.3, lambda2=2.0)[0]
    torch.testing.assert_close(t["loss"], t["loss_M"] + 0.3 * t["loss_U"] + 2.0 * t["loss_D"])


def test_unimodal_loss_shrinks_sigma_most_on_uncertain_inputs():
    """Why paper-exact RAML's weights can favour a noisy modality (docs, "What to expect"):
    ``L^U`` (Eq. 2) is the expectation of a convex function of ``mu + rho * sigma``, so it
    grows with ``sigma`` along the predictor's directions, fastest where the prediction is
    unsure (the softmax Hessian ``diag(p) - p p^T`` is largest there). Gradient descent on
    ``L^U`` therefore shrinks ``sigma`` most on ambiguous inputs, which Eq. 4 then weighs
    most."""
    X = {"a": np.random.RandomState(0).randn(20, 3)}
    clf = RAMLClassifier(latent_dim=2, hidden_sizes=(4,), max_epochs=1, random_state=0)
    module = clf.fit(X, np.arange(20) % 2).net_.module_
    with torch.no_grad():  # f(h) = logits (h0, -h0): class 0 iff h0 > 0
        module.predictor.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
        module.predictor.bias.zero_()
    reps = 20000  # average over the draws of rho
    mu = torch.tensor([[[3.0, 0.0]], [[0.0, 0.0]]]).repeat_interleave(reps, 0)  # sure, unsure
    sigma = torch.ones_like(mu, requires_grad=True)
    mask = torch.ones(2 * reps, 1, dtype=torch.bool)
    y = torch.zeros(2 * reps, dtype=torch.long)
    torch.manual_seed(0)
    module.losses((mu, sigma, mask), y, None, mask)["loss_U"].backward()
    grad = sigma.grad.view(2, reps, 2).sum(1) * 2  # d E[L^U] / d sigma, per sample
    sure, unsure = grad[0], grad[1]
    assert sure[0] > 0 and unsure[0] > 5 * sure[0], grad
    # Stein's lemma: d/dsigma E[softplus(-2 h0)] = 4 sigma E[s (1 - s)], s = sigmoid(-2 h0),
    # h0 ~ N(mu0, sigma^2): 0.048 (mu0 = 3) and 0.606 (mu0 = 0) at sigma = 1
    np.testing.assert_allclose(grad[:, 0].numpy(), [0.048, 0.606], rtol=0.1)
    assert float(grad[:, 1].abs().max()) == 0  # a direction the predictor ignores


def test_unimodal_and_sparsity_terms_count_present_modalities_only():
    """L^U and L^D by hand on a tiny module: missing modalities contribute nothing,
    L^D is a mean over the D elements and the samples."""
    torch.manual_seed(0)
    X = {"a": np.random.RandomState(0).randn(5, 3), "b": np.random.RandomState(1).randn(5, 2)}
    X["b"][[1, 3]] = np.nan
    clf = RAMLClassifier(latent_dim=4, hidden_sizes=(8,), max_epochs=1, random_state=0)
    clf.fit(X, [0, 1, 0, 1, 1])
    module = clf.net_.module_.train()
    batch, y = _batch(X), torch.tensor([0, 1, 0, 1, 1])
    mu, sigma, mask = module.encode(batch)
    torch.manual_seed(1)
    terms = module.losses((mu, sigma, mask), y, None, mask)
    # the same draws of rho, by hand
    torch.manual_seed(1)
    h = mu + torch.randn_like(mu) * sigma
    ce = torch.nn.functional.cross_entropy
    loss_u = sum(
        sum(ce(module.predictor(h[i, m])[None], y[i : i + 1]) for m in range(2) if mask[i, m])
        for i in range(5)
    ) / 5
    torch.testing.assert_close(terms["loss_U"], loss_u)
    loss_d = 0.0
    for i in range(5):
        present = [m for m in range(2) if mask[i, m]]
        precision = sum(sigma[i, m] ** -2 for m in present)
        loss_d = loss_d + sum(
            ((sigma[i, m] ** -2 / precision) * mu[i, m]).abs().mean() for m in present
        )
    torch.testing.assert_close(terms["loss_D"], loss_d / 5)


def test_sigma_is_bounded_away_from_zero():
    X, y = _task()
    clf = RAMLClassifier(**FAST).fit(X, y)
    module = clf.net_.module_
    with torch.no_grad():
        for head in module.sigma_heads:
            head.bias.fill_(-1e4)  # softplus -> 0
        _, sigma, _ = module.encode(_batch(X))
    assert sigma.min() >= module.sigma_min == 1e-3
    assert np.isfinite(clf.predict_proba(X)).all()


def test_pattern_expansion():
    patterns = missing_patterns(3)
    assert patterns.shape == (7, 3) and patterns.any(1).all()
    assert len({tuple(p.tolist()) for p in patterns}) == 7
    mask = torch.tensor([[True, True, True], [True, False, True], [False, True, False]])
    rows, new = expand_patterns(mask, "all")
    counts = torch.bincount(rows, minlength=3).tolist()
    assert counts == [7, 6, 4]  # patterns whose intersection with the sample is non-empty
    assert new.any(1).all()
    assert not (new & ~mask[rows]).any()  # a missing modality stays missing
    torch.manual_seed(0)
    rows, new = expand_patterns(mask.repeat(500, 1), "random")
    assert new.any(1).all() and not (new & ~mask.repeat(500, 1)).any()
    first = new[0::3]  # the full sample: 7 patterns, each about 1/7 of the time
    freq = torch.unique(first, dim=0, return_counts=True)[1].float() / 500
    assert len(freq) == 7 and freq.min() > 0.08 and freq.max() < 0.22
    assert expand_patterns(mask, None)[0] is None


@pytest.mark.parametrize("lambda2", [0.2, 1.6])
def test_lambda2_range_of_the_paper_trains_without_collapse(lambda2):
    X, y = _task(n=300)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0, stratify=y)
    clf = RAMLClassifier(lambda2=lambda2, max_epochs=30, hidden_sizes=(64,), latent_dim=32,
                         random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) > 0.85  # chance is 1/3


def test_augmentation_helps_single_modality_patterns():
    X, y = _task(n=400)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=1, stratify=y)
    single = MultimodalData(a=Xte["a"], b=np.full_like(Xte["b"], np.nan), c=np.full_like(Xte["c"], np.nan))
    keep = ~np.isnan(single["a"][:, 0])
    single, yte = single[keep], yte[keep]
    params = dict(max_epochs=25, hidden_sizes=(64,), latent_dim=32, random_state=0)
    acc = {
        mode: RAMLClassifier(augment=mode, **params).fit(Xtr, ytr).score(single, yte)
        for mode in ("all", None)
    }
    assert acc["all"] > 0.85
    assert acc["all"] >= acc[None]


# -- the sklearn contract -------------------------------------------------------


def test_string_labels_and_probabilities():
    X, y = _task()
    labels = np.array(["cat", "dog", "eel"])[y]
    clf = RAMLClassifier(**FAST).fit(X, labels)
    assert clf.classes_.tolist() == ["cat", "dog", "eel"]
    proba = clf.predict_proba(X)
    assert proba.shape == (240, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert set(clf.predict(X)) <= {"cat", "dog", "eel"}
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    assert clf.transform(X).shape == (240, 16)
    assert clf.modalities_ == ["a", "b", "c"]
    assert len(clf.history_) == 10 and "loss_U" in clf.history_[-1]


def test_grid_search_and_cross_val_score_on_multimodal_data():
    X, y = _task(n=150)
    params = dict(FAST, max_epochs=5)
    search = GridSearchCV(
        RAMLClassifier(**params), {"lambda1": [0.0, 1.0], "lambda2": [0.2, 1.6]}, cv=2
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.lambda1 in (0.0, 1.0)
    scores = cross_val_score(RAMLClassifier(**params), X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.5


def test_pipeline_on_flat_array_with_modality_spec():
    X, y = _task()
    flat = np.hstack([np.nan_to_num(X["a"], nan=1.0), np.nan_to_num(X["b"], nan=1.0), X["c"]])
    spec = {"a": slice(0, 4), "b": [4, 5, 6], "c": [7, 8]}
    pipe = Pipeline([("scale", StandardScaler()), ("clf", RAMLClassifier(modalities=spec, **FAST))])
    pipe.fit(flat, y)
    assert pipe.named_steps["clf"].n_features_in_ == 9
    assert pipe.named_steps["clf"].modalities_ == ["a", "b", "c"]
    assert pipe.score(flat, y) > 0.8


def test_clone_params_and_reproducibility():
    X, y = _task()
    clf = RAMLClassifier(**FAST)
    assert clone(clf).get_params() == clf.get_params()
    clf.set_params(lambda1=0.5)
    assert clf.lambda1 == 0.5
    p1 = clone(clf).fit(X, y).predict_proba(X)
    p2 = clone(clf).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    p3 = clone(clf).set_params(random_state=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(p1, p3)
    # the global torch RNG is left untouched
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    clone(clf).fit(X, y)
    assert torch.rand(1) == expected


def test_inputs_are_not_modified():
    X, y = _task()
    before = {k: v.copy() for k, v in X.items()}
    clf = RAMLClassifier(**FAST).fit(X, y)
    clf.predict(X)
    for k in X:
        np.testing.assert_array_equal(X[k], before[k])


def test_predict_checks_layout():
    X, y = _task()
    clf = RAMLClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"got missing modalities \['c'\]"):
        clf.predict({"a": X["a"], "b": X["b"]})
    with pytest.raises(ValueError, match=r"Modality 'b' has feature shape \(2 features\)"):
        clf.predict({"a": X["a"], "b": X["b"][:, :2], "c": X["c"]})


def test_bad_parameters():
    X, y = _task(n=60)
    with pytest.raises(ValueError, match=r"^The 'lambda1' parameter of RAMLClassifier must be a "
                       r"float in the range \[0\.0, inf\)\. Got -1 instead\.$"):
        RAMLClassifier(lambda1=-1, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"^The 'augment' parameter of RAMLClassifier must be a "
                       r"str among \{'(all|random)', '(all|random)'\} or None\. Got 'some'"):
        RAMLClassifier(augment="some", max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"^The 'max_epochs' parameter of RAMLClassifier must be "
                       r"an int in the range \[1, inf\)\. Got 0 instead\.$"):
        RAMLClassifier(max_epochs=0).fit(X, y)
    with pytest.raises(ValueError, match=r"only one class is present \(got only 0\.0\)\.$"):
        RAMLClassifier(max_epochs=1).fit(X, np.zeros(60))
    with pytest.raises(ValueError, match=r"`encoders` names modalities \['zz'\]"):
        RAMLClassifier(encoders={"zz": "mlp"}, max_epochs=1).fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_cuda_requested_without_cuda():
    X, y = _task(n=60)
    with pytest.raises(ValueError, match="device='cuda' was requested but CUDA is not available"):
        RAMLClassifier(device="cuda", max_epochs=1).fit(X, y)
    clf = RAMLClassifier(device="auto", max_epochs=1).fit(X, y)
    assert clf.net_.device == "cpu"


def test_early_stopping_restores_best_and_stops():
    X, y = _task(n=300)
    clf = RAMLClassifier(early_stopping=True, n_iter_no_change=3, max_epochs=200,
                         hidden_sizes=(32,), latent_dim=16, lr=3e-2, random_state=0).fit(X, y)
    valid = clf.history_[:, "valid_loss"]
    assert len(valid) < 200
    assert np.argmin(valid) == len(valid) - 4  # stopped 3 epochs after the best


def test_user_callbacks_reach_the_skorch_loop(tmp_path):
    """``callbacks``: skorch's own checkpointing and LR scheduling work unchanged."""
    from skorch.callbacks import Checkpoint, LRScheduler

    X, y = _task(n=120)
    checkpoint = Checkpoint(dirname=str(tmp_path / "ckpt"), monitor=None)  # every epoch
    schedule = LRScheduler(policy="StepLR", step_size=2, gamma=0.5)
    clf = RAMLClassifier(**dict(FAST, max_epochs=5), callbacks=[checkpoint, schedule]).fit(X, y)
    # StepLR halved lr 1e-2 after epochs 2 and 4
    assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(2.5e-3)
    assert clf.history_[:, "event_cp"] == [True] * 5
    saved = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert saved == ["criterion.pt", "history.json", "optimizer.pt", "params.pt"]
    # loading the checkpoint into another fitted model reproduces the last epoch
    other = RAMLClassifier(**dict(FAST, max_epochs=1, random_state=1)).fit(X, y)
    assert not np.allclose(other.predict_proba(X), clf.predict_proba(X))
    other.net_.load_params(checkpoint=checkpoint)
    np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))


def test_verbose_progress(capsys):
    X, y = _task(n=60)
    RAMLClassifier(max_epochs=2, verbose=1, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "loss_U" in out


def test_fused_patterns_equal_the_weights_of_eq4():
    """The sparse fusion of every augmented pattern equals sum_m w_m mu_m with the
    softmax weights of Eq. 4 computed row by row."""
    X, y = _task(n=40)
    clf = RAMLClassifier(**FAST).fit(X, y)
    module = clf.net_.module_.eval()
    batch = _batch(X)
    with torch.no_grad():
        mu, sigma, bmask = module.encode(batch)
        rows, mask = expand_patterns(bmask, "all")
        fused = module.fuse(mu, sigma, bmask, rows, mask)
        w = module.weights(sigma[rows], mask)
        naive = (torch.where(w > 0, w * mu[rows], torch.zeros_like(w))).sum(1)
    assert rows.shape[0] > 40
    torch.testing.assert_close(fused, naive, rtol=1e-5, atol=1e-6)
