"""RCML's conflictive-view protocol (skmm.corruption.make_conflictive)."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skmm import MultimodalData, make_conflictive


def _data(n=100, seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat(np.array(["cat", "dog", "emu", "fox"]), n // 4)
    X = MultimodalData(a=rng.rand(n, 3), b=rng.rand(n, 5), c=rng.rand(n, 2))
    return X, y


def _changed(X, Xc, name):
    return ~np.all(np.asarray(X[name]) == np.asarray(Xc[name]), axis=1)


def test_input_unchanged_and_container_kept():
    X, y = _data()
    before = {k: v.copy() for k, v in X.items()}
    Xc, rows = make_conflictive(X, y, random_state=0)
    assert isinstance(Xc, MultimodalData) and list(Xc) == ["a", "b", "c"]
    for k in X:
        assert_array_equal(X[k], before[k])
        assert Xc[k] is not X[k] and Xc[k].dtype == X[k].dtype
    flat = np.random.RandomState(0).rand(20, 4)
    out, _ = make_conflictive(flat, np.tile([0, 1], 10), random_state=0)
    assert isinstance(out, np.ndarray) and out.shape == (20, 4)


def test_conflict_replaces_one_modality_by_the_next_class_first_sample():
    X, y = _data()
    Xc, rows = make_conflictive(X, y, noise_fraction=0.0, random_state=0)
    assert rows["noise"].size == 0
    assert rows["conflict"].size == 40  # int(0.4 * 100)
    changed = np.stack([_changed(X, Xc, k) for k in X], 1)
    assert_array_equal(np.flatnonzero(changed.any(1)), rows["conflict"])
    assert (changed.sum(1)[rows["conflict"]] == 1).all()  # exactly one modality
    classes = ["cat", "dog", "emu", "fox"]
    first = {c: int(np.flatnonzero(y == c)[0]) for c in classes}  # rows 0, 25, 50, 75
    for i in rows["conflict"]:
        donor = first[classes[(classes.index(y[i]) + 1) % 4]]  # "fox" wraps to "cat"
        m = list(X)[int(np.flatnonzero(changed[i])[0])]
        assert_array_equal(Xc[m][i], X[m][donor])


def test_noise_on_zero_to_m_minus_one_modalities():
    X, y = _data(n=400)
    Xc, rows = make_conflictive(X, y, noise_fraction=0.5, noise_std=0.5, conflict_fraction=0.0,
                                random_state=0)
    assert rows["conflict"].size == 0 and rows["noise"].size == 200
    changed = np.stack([_changed(X, Xc, k) for k in X], 1)
    counts = changed.sum(1)
    assert (counts[np.setdiff1d(np.arange(400), rows["noise"])] == 0).all()
    # k is drawn from 0 .. M - 1 = 0, 1, 2: never all three, each count seen
    assert set(counts[rows["noise"]]) == {0, 1, 2}
    diff = np.concatenate([(Xc[k] - X[k])[changed[:, m]].ravel() for m, k in enumerate(X)])
    assert abs(diff.std() - 0.5) < 0.05 and abs(diff.mean()) < 0.05


def test_missing_modalities_stay_missing_and_are_never_donated():
    X, y = _data()
    X = MultimodalData({k: v.copy() for k, v in X.items()})
    X["a"][25] = np.nan  # the first "dog": it cannot donate "a"
    X["b"][1::2] = np.nan
    Xc, rows = make_conflictive(X, y, noise_fraction=1.0, conflict_fraction=1.0, random_state=0)
    for k in X:
        assert_array_equal(np.isnan(Xc[k]), np.isnan(X[k]))  # same presence pattern
    cats = np.flatnonzero(y == "cat")
    assert not np.isnan(Xc["a"][cats]).any()


def test_repeatable_and_seed_dependent():
    X, y = _data()
    a, ra = make_conflictive(X, y, random_state=3)
    b, rb = make_conflictive(X, y, random_state=3)
    c, _ = make_conflictive(X, y, random_state=4)
    for k in X:
        assert_array_equal(a[k], b[k])
    assert_array_equal(ra["conflict"], rb["conflict"])
    assert any(not np.array_equal(a[k], c[k]) for k in X)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"noise_fraction": 1.5}, "noise_fraction must be a number in \\[0, 1\\]"),
        ({"conflict_fraction": -0.1}, "conflict_fraction must be a number in \\[0, 1\\]"),
        ({"noise_std": -1}, "noise_std must be a non-negative number"),
    ],
)
def test_bad_parameters(kwargs, message):
    X, y = _data(n=8)
    with pytest.raises(ValueError, match=message):
        make_conflictive(X, y, **kwargs)


def test_bad_labels():
    X, y = _data(n=8)
    with pytest.raises(ValueError, match="needs the labels y"):
        make_conflictive(X, None)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make_conflictive(X, y[:5])
