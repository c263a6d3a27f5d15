"""Tests of fuzzy multi-view learning, FUML (skmm/fuzzy.py)."""

import copy
import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from torch import nn

from skmm import FuzzyFusionClassifier, MultimodalData
from skmm.corruption import make_conflictive
from skmm.fuzzy import (
    FuzzyFusionModule,
    conflict_degree,
    credibility,
    credibility_loss,
    fuse,
    fuzzy_uncertainty,
    memberships,
    training_credibility,
)
from skmm.nn.encoders import MLPEncoder

# a fixed number of epochs (tol=None: no convergence rule, no early stopping)
FAST = dict(hidden_sizes=(32,), max_epochs=40, lr=3e-3, batch_size=100, early_stopping=False,
            tol=None)


def _task(n=300, seed=0, sep=0.9, n_classes=3):
    """Three modalities, each weakly informative about y (fusion helps)."""
    centers = np.random.RandomState(42).randn(3, n_classes, 4) * sep
    rng = np.random.RandomState(seed)
    y = np.tile(np.arange(n_classes), n // n_classes)
    X = MultimodalData({
        name: centers[m][y] + rng.randn(n, 4) for m, name in enumerate(["a", "b", "c"])
    })
    return X, y


@pytest.fixture(scope="module")
def data():
    X, y = _task()
    X_test, y_test = _task(seed=1)
    return X, y, X_test, y_test


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _, _ = data
    return FuzzyFusionClassifier(random_state=0, **FAST).fit(X, y)


def _t(values):
    return torch.tensor(values, dtype=torch.float64)


def _h(t):
    """The entropy of a credibility, H(t) = -t ln t - (1 - t) ln(1 - t)."""
    return -t * math.log(t) - (1 - t) * math.log(1 - t)


# ---------------------------------------------------------------------------
# The equations, by hand
# ---------------------------------------------------------------------------


def test_memberships_eq3_by_hand():
    # ||(1, -2, 2)||_3 = 17 ** (1/3); the negative logit is rectified to 0
    norm = 17 ** (1 / 3)
    assert_allclose(memberships(_t([1.0, -2.0, 2.0])), [1 / norm, 0.0, 2 / norm])
    assert_allclose(memberships(_t([3.0, -4.0]), p=2), [0.6, 0.0])
    assert_allclose(memberships(_t([[2.0, 0.0]]), p=1), [[1.0, 0.0]])
    # no direction: zero memberships, not NaN
    assert_array_equal(memberships(_t([0.0, 0.0, 0.0])), [0.0, 0.0, 0.0])
    assert_array_equal(memberships(_t([-1.0, -3.0])), [0.0, 0.0])
    assert FuzzyFusionClassifier().p == 3  # the paper's and the authors' code's p
    # float32 rounding can put |a_k| / ||a||_p above 1: clamped, so that c stays in [0, 1]
    m = memberships(torch.tensor([[0.43092, -2.6615e-4]]))
    assert m.max() <= 1 and (credibility(m) <= 1).all()
    assert torch.isfinite(fuzzy_uncertainty(credibility(m.double()))).all()


def test_credibility_eq2_by_hand():
    # c_k = (m_k + 1 - max_{l != k} m_l) / 2
    assert_allclose(credibility(_t([0.8, 0.4, 0.0])), [0.7, 0.3, 0.1])
    # a tie at the top: the necessity of each top class is 1 - the other's membership
    assert_allclose(credibility(_t([[0.5, 0.5, 0.1]])), [[0.5, 0.5, 0.3]])
    # two classes: the credibilities sum to one
    assert_allclose(credibility(_t([0.9, 0.2])), [0.85, 0.15])
    # argmax c == argmax m
    m = torch.rand(50, 7, dtype=torch.float64)
    assert_array_equal(credibility(m).argmax(1), m.argmax(1))


def test_training_credibility_eq5_uses_the_label():
    m = _t([[0.8, 0.4, 0.0]])
    # the label is the top class: the same as Eq. 2
    assert_allclose(training_credibility(m, torch.tensor([0])), [[0.7, 0.3, 0.1]])
    # label 1: r_1 = (0.4 + 1 - 0.8) / 2; others against m_1: (0.8 + 1 - 0.4) / 2, (0 + 1 - 0.4) / 2
    assert_allclose(training_credibility(m, torch.tensor([1])), [[0.7, 0.3, 0.3]])
    assert_allclose(credibility(m), [[0.7, 0.3, 0.1]])  # Eq. 2 differs in the third class


def test_fuzzy_uncertainty_eq6_by_hand():
    expected = (_h(0.7) + _h(0.3) + _h(0.1)) / (3 * math.log(2))
    assert fuzzy_uncertainty(_t([0.7, 0.3, 0.1])).item() == pytest.approx(expected, rel=1e-9)
    assert fuzzy_uncertainty(_t([0.5, 0.5, 0.5])).item() == pytest.approx(1.0)
    assert fuzzy_uncertainty(_t([1.0, 0.0, 0.0])).item() == pytest.approx(0.0, abs=1e-9)
    # batched over leading axes
    assert fuzzy_uncertainty(torch.full((2, 3, 4), 0.5, dtype=torch.float64)).shape == (2, 3)


def test_conflict_degree_eq7_by_hand():
    # cos((0.6, 0.8), (1, 0)) = 0.6; cos((0.6, 0.8), (0, 1)) = 0.8; the last two orthogonal
    m = _t([[[0.6, 0.8], [1.0, 0.0], [0.0, 1.0]]])
    d01, d02, d12 = 0.4, 0.2, 1.0
    every = torch.tensor([[True, True, True]])
    assert_allclose(
        conflict_degree(m, every), [[(d01 + d02) / 2, (d01 + d12) / 2, (d02 + d12) / 2]]
    )
    # view 2 missing: not counted in the others' conflict; its own is 0
    assert_allclose(conflict_degree(m, torch.tensor([[True, True, False]])), [[d01, d01, 0.0]])
    # one present view: no other view, conflict 0
    assert_allclose(conflict_degree(m, torch.tensor([[False, True, False]])), [[0.0, 0.0, 0.0]])
    # a missing view's values do not matter
    m2 = m.clone()
    m2[0, 2] = _t([0.3, 0.3])
    mask = torch.tensor([[True, True, False]])
    assert_array_equal(conflict_degree(m2, mask), conflict_degree(m, mask))


def test_conflict_degree_excludes_the_view_itself():
    """Eq. 7 sums over j != v. The authors' code also adds the distance of a view to itself,
    which is 1 (not 0) for an all-zero membership vector."""
    m = _t([[[0.0, 0.0], [1.0, 0.0], [1.0, 0.0]]])
    o = conflict_degree(m, torch.tensor([[True, True, True]]))
    assert_allclose(o, [[1.0, 0.5, 0.5]])  # the code: 1.5 for the zero view


def test_fusion_eq8_by_hand_and_missing_weight_exactly_zero():
    m = _t([[[0.9, 0.1], [0.2, 0.6], [0.0, 1.0]]])
    u = _t([[0.2, 0.5, 0.1]])
    o = _t([[0.1, 0.3, 0.9]])
    s0, s1, s2 = 0.8 * 0.9, 0.5 * 0.7, 0.9 * 0.1
    fused, w = fuse(m, u, o, torch.tensor([[True, True, True]]))
    z = math.exp(s0) + math.exp(s1) + math.exp(s2)
    expected = [math.exp(s0) / z, math.exp(s1) / z, math.exp(s2) / z]
    assert_allclose(w, [expected])
    assert_allclose(fused, (torch.tensor(expected, dtype=torch.float64)[:, None] * m[0]).sum(0)[None])
    # view 2 missing: weight exactly 0, the softmax over the two present views
    fused, w = fuse(m, u, o, torch.tensor([[True, True, False]]))
    assert w[0, 2].item() == 0.0
    w0 = math.exp(s0) / (math.exp(s0) + math.exp(s1))
    assert_allclose(w, [[w0, 1 - w0, 0.0]])
    assert_allclose(fused, [[0.9 * w0 + 0.2 * (1 - w0), 0.1 * w0 + 0.6 * (1 - w0)]])
    # one present view: weight 1, the fusion is that view
    fused, w = fuse(m, u, o, torch.tensor([[False, True, False]]))
    assert_array_equal(w, [[0.0, 1.0, 0.0]])
    assert_array_equal(fused, m[:, 1])


def test_loss_eq4_eq9_by_hand():
    """One sample, two views, two classes, label 0: Eq. 9 of Eq. 4, with the training
    credibility (Eq. 5) in the uncertainties that weigh the fusion (Eq. 8)."""
    assert credibility_loss(_t([[0.7, 0.3, 0.1]]), torch.tensor([0])).item() == pytest.approx(
        -(math.log(0.7) + math.log(0.7) + math.log(0.9))
    )
    m1, m2 = [0.8, 0.2], [0.3, 0.6]
    r1, r2 = [0.8, 0.2], [0.35, 0.65]  # Eq. 5 with y = 0
    u1 = (_h(r1[0]) + _h(r1[1])) / (2 * math.log(2))
    u2 = (_h(r2[0]) + _h(r2[1])) / (2 * math.log(2))
    cos = (0.8 * 0.3 + 0.2 * 0.6) / (math.hypot(0.8, 0.2) * math.hypot(0.3, 0.6))
    o = 1 - cos
    e1, e2 = math.exp((1 - u1) * (1 - o)), math.exp((1 - u2) * (1 - o))
    w1, w2 = e1 / (e1 + e2), e2 / (e1 + e2)
    ma = [w1 * m1[0] + w2 * m2[0], w1 * m1[1] + w2 * m2[1]]
    ra = [(ma[0] + 1 - ma[1]) / 2, (ma[1] + 1 - ma[0]) / 2]  # y = 0

    def bce(r):  # Eq. 4, label 0
        return -(math.log(r[0]) + math.log(1 - r[1]))

    module = FuzzyFusionModule(nn.ModuleList([MLPEncoder(2, (3,)), MLPEncoder(2, (3,))]), 2, 3.0)
    m = _t([[m1, m2]])
    y = torch.tensor([0])
    both = torch.tensor([[True, True]])
    terms = module.losses((m, both), y, None, both)
    assert terms["loss_fused"].item() == pytest.approx(bce(ra), rel=1e-9)
    assert terms["loss_views"].item() == pytest.approx(bce(r1) + bce(r2), rel=1e-9)
    assert terms["loss"].item() == pytest.approx(bce(ra) + bce(r1) + bce(r2), rel=1e-9)
    # view 2 missing: the fusion is view 1, and view 2's own term is left out
    one = torch.tensor([[True, False]])
    terms = module.losses((m, one), y, None, one)
    assert terms["loss"].item() == pytest.approx(2 * bce(r1), rel=1e-9)
    # augmented rows: the fused term averages over (sample, pattern) rows, the views'
    # terms count once per sample
    terms = module.losses((m, both), y, torch.tensor([0, 0]), torch.tensor([[True, True],
                                                                            [True, False]]))
    assert terms["loss_fused"].item() == pytest.approx((bce(ra) + bce(r1)) / 2, rel=1e-9)
    assert terms["loss_views"].item() == pytest.approx(bce(r1) + bce(r2), rel=1e-9)


def test_training_output_is_the_prediction_not_the_training_credibility():
    """The loss uses Eq. 5 (the label); the output of losses (validation accuracy) is the
    prediction, Eq. 2 in the weights and of the fusion, as output() gives it."""
    module = FuzzyFusionModule(nn.ModuleList([MLPEncoder(2, (3,)), MLPEncoder(2, (3,))]), 3, 3.0)
    m = torch.rand(8, 2, 3, dtype=torch.float64)
    mask = torch.ones(8, 2, dtype=torch.bool)
    mask[:3, 1] = False
    for y in (torch.zeros(8, dtype=torch.long), torch.full((8,), 2)):
        terms = module.losses((m, mask), y, None, mask)
        assert_allclose(terms["output"], module.output((m, mask), mask))


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


def test_probabilities_are_the_normalized_fused_credibility(fitted, data):
    _, _, X_test, _ = data
    proba = fitted.predict_proba(X_test)
    assert proba.shape == (len(X_test["a"]), 3)
    assert_allclose(proba.sum(1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert_array_equal(fitted.classes_[proba.argmax(1)], fitted.predict(X_test))


def test_binary_probabilities_and_uncertainty_are_the_credibility():
    """With two classes c_1 + c_2 = 1: predict_proba is the fused credibility itself, and
    predict_uncertainty its fuzzy entropy (Eq. 6)."""
    X, y = _task(n=120, n_classes=2)
    clf = FuzzyFusionClassifier(random_state=0, **FAST).fit(X, y)
    proba = clf.predict_proba(X)
    u = clf.predict_uncertainty(X)
    assert_allclose(u, fuzzy_uncertainty(torch.from_numpy(proba)).numpy(), rtol=1e-9)
    assert ((u >= 0) & (u <= 1)).all()


def test_one_present_view_is_the_prediction(fitted, data):
    """A sample with one present view: conflict 0, weight 1, and its probabilities are that
    view's credibility normalized."""
    _, _, X_test, _ = data
    X1 = MultimodalData({k: v if k == "b" else np.full_like(v, np.nan) for k, v in X_test.items()})
    views = fitted.predict_modalities(X1)
    assert_array_equal(views["b"]["weight"], 1.0)
    assert_array_equal(views["b"]["conflict"], 0.0)
    for name in ("a", "c"):
        assert_array_equal(views[name]["weight"], 0.0)
        assert np.isnan(views[name]["credibility"]).all()
        assert np.isnan(views[name]["uncertainty"]).all()
    c = views["b"]["credibility"]
    assert_allclose(fitted.predict_proba(X1), c / c.sum(1, keepdims=True), rtol=1e-12)


def test_predict_modalities_weights_sum_to_one(fitted, data):
    _, _, X_test, _ = data
    X = MultimodalData({k: v.copy() for k, v in X_test.items()})
    X["c"][:20] = np.nan
    views = fitted.predict_modalities(X)
    weights = np.stack([views[k]["weight"] for k in ("a", "b", "c")], 1)
    assert_allclose(weights.sum(1), 1.0)
    assert_array_equal(weights[:20, 2], 0.0)
    assert (weights[20:] > 0).all()
    conflict = np.stack([views[k]["conflict"] for k in ("a", "b", "c")], 1)
    assert ((conflict[20:] >= 0) & (conflict[20:] <= 1 + 1e-12)).all()


def test_missing_modality_does_not_change_the_prediction(fitted, data):
    """Where "c" is missing, a change of what the "c" network outputs (its head's bias)
    changes nothing; where it is present, it changes the probabilities."""
    _, _, X_test, _ = data
    X = MultimodalData({k: v.copy() for k, v in X_test.items()})
    X["c"][:30] = np.nan
    before = fitted.predict_proba(X)
    other = copy.deepcopy(fitted)
    with torch.no_grad():
        other.net_.module_.heads[2].bias += torch.tensor([3.0, -1.0, 0.5])
    after = other.predict_proba(X)
    assert_array_equal(after[:30], before[:30])
    assert np.abs(after[30:] - before[30:]).max() > 1e-3
    # and the same rows without "c" at all: the model sees only "a" and "b"
    u = fitted.predict_uncertainty(X)
    assert_array_equal(other.predict_uncertainty(X)[:30], u[:30])


def test_accuracy_above_single_modality_baseline(fitted, data):
    X, y, X_test, y_test = data
    best_single = max(
        LogisticRegression().fit(X[m], y).score(X_test[m], y_test) for m in X
    )
    assert fitted.score(X_test, y_test) > best_single + 0.05


def test_uncertainty_higher_on_conflicting_rows():
    X, y = _task(n=150, sep=2.0)
    X_test, y_test = _task(n=150, seed=1, sep=2.0)
    clf = FuzzyFusionClassifier(random_state=0, **FAST).fit(X, y)
    Xc, rows = make_conflictive(X_test, y_test, noise_fraction=0.0, conflict_fraction=0.5,
                                random_state=0)
    conflict = np.zeros(len(y_test), bool)
    conflict[rows["conflict"]] = True
    u = clf.predict_uncertainty(Xc)
    assert u[conflict].mean() > 1.2 * u[~conflict].mean()
    # and the conflict degree of the replaced views is higher too
    views = clf.predict_modalities(Xc)
    o = np.stack([views[k]["conflict"] for k in X_test], 1)
    assert o[conflict].mean() > 1.5 * o[~conflict].mean()


def test_reproducible_with_random_state(data):
    X, y, X_test, _ = data
    params = dict(FAST, max_epochs=5)
    p1 = FuzzyFusionClassifier(random_state=3, **params).fit(X, y).predict_proba(X_test)
    p2 = FuzzyFusionClassifier(random_state=3, **params).fit(X, y).predict_proba(X_test)
    p3 = FuzzyFusionClassifier(random_state=4, **params).fit(X, y).predict_proba(X_test)
    assert_array_equal(p1, p2)
    assert not np.allclose(p1, p3)


def test_p_is_the_norm_of_the_memberships(data):
    X, y, X_test, _ = data
    params = dict(FAST, max_epochs=3)
    p2 = FuzzyFusionClassifier(p=2, random_state=0, **params).fit(X, y)
    p3 = FuzzyFusionClassifier(p=3, random_state=0, **params).fit(X, y)
    assert p2.net_.module_.p == 2.0
    assert not np.allclose(p2.predict_proba(X_test), p3.predict_proba(X_test))


def test_augment_trains_single_modality_predictions(data):
    X, y, X_test, y_test = data
    clf = FuzzyFusionClassifier(augment="all", random_state=0, **FAST).fit(X, y)
    Xa = MultimodalData({k: v if k == "a" else np.full_like(v, np.nan) for k, v in X_test.items()})
    assert clf.score(Xa, y_test) > 0.5  # chance: 1/3
    assert clf.score(X_test, y_test) > 0.8
    clf = FuzzyFusionClassifier(augment="random", train_noise=0.5, random_state=0, **FAST)
    assert clf.fit(X, y).score(X_test, y_test) > 0.8


@pytest.mark.parametrize(
    "params, message",
    [
        ({"p": 0.5}, r"The 'p' parameter of FuzzyFusionClassifier must be a float in the range "
         r"\[1(\.0)?, inf\)\. Got 0\.5 instead\."),
        ({"p": "l3"}, r"The 'p' parameter of FuzzyFusionClassifier .* Got 'l3' instead\."),
        ({"augment": "some"}, r"The 'augment' parameter of FuzzyFusionClassifier .* "
         r"Got 'some' instead\."),
    ],
)
def test_bad_parameters(params, message):
    X, y = _task(n=30)
    with pytest.raises(ValueError, match=message):
        FuzzyFusionClassifier(max_epochs=1, **params).fit(X, y)


def test_sequences_through_encoders():
    rng = np.random.RandomState(0)
    y = np.tile([0, 1], 20)
    seq = rng.randn(40, 5, 3) + y[:, None, None]
    seq[:10, 3:] = np.nan  # padding
    X = {"seq": seq, "v": y[:, None] + rng.randn(40, 2)}
    X["v"][:5] = np.nan
    clf = FuzzyFusionClassifier(encoders={"seq": "textcnn"}, hidden_sizes=(6,), max_epochs=3,
                                random_state=0).fit(X, y)
    assert np.isfinite(clf.predict_uncertainty(X)).all()
    assert_allclose(clf.predict_proba(X).sum(1), 1.0)
    assert_array_equal(clf.predict_modalities(X)["v"]["weight"][:5], 0.0)
