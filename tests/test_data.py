"""The data layer: input forms, the NaN rule, and every bad-input error."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split

from skmm import MultimodalData, as_multimodal, check_multimodal
from skmm._data import validate_multimodal


def test_import_is_cheap():
    code = "import sys, skmm; skmm.MultimodalData; skmm.check_multimodal; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_version_and_every_public_name_resolves():
    import skmm
    from skmm.utils import all_estimators

    assert isinstance(skmm.__version__, str) and skmm.__version__[0].isdigit()
    names = [n for n in skmm.__all__ if n != "__version__"]
    for name in names:  # each name is the object of that name in the module defining it
        obj = getattr(skmm, name)
        assert obj.__name__ == name and obj.__module__.startswith("skmm."), name
    # the estimators are exactly the registry's; the rest is the data layer and transformers
    estimators = dict(all_estimators())
    assert all(getattr(skmm, n) is cls for n, cls in estimators.items())
    assert set(names) - set(estimators) == {
        "MultimodalData", "as_multimodal", "check_multimodal", "make_conflictive",
        "presence_patterns",
    }
    with pytest.raises(AttributeError, match="module 'skmm' has no attribute 'Nope'"):
        getattr(skmm, "Nope")  # noqa: B009


# -- containers ---------------------------------------------------------------


def test_multimodaldata_protocol():
    X = MultimodalData(a=np.arange(10.0).reshape(5, 2), b=np.zeros((5, 3, 4)))
    assert X.shape == (5,) and len(X) == 5
    assert X["a"].shape == (5, 2)
    sub = X[[4, 0]]
    assert isinstance(sub, MultimodalData) and sub.shape == (2,)
    np.testing.assert_array_equal(sub["a"], [[8, 9], [0, 1]])
    assert X[np.array([True, False, True, False, False]), ...]["b"].shape == (2, 3, 4)
    with pytest.raises(TypeError, match="cannot be indexed by a single integer"):
        X[0]
    with pytest.raises(ValueError, match="Modality 'c' has 4 samples, but the other modalities have 5"):
        X["c"] = np.zeros((4, 1))
    assert pickle.loads(pickle.dumps(X))["a"].tolist() == X["a"].tolist()


def test_dict_with_mismatched_lengths():
    with pytest.raises(ValueError, match=r"different numbers of samples \('a': 3, 'b': 4\)"):
        as_multimodal({"a": np.zeros((3, 2)), "b": np.zeros((4, 2))})


def test_flat_array_with_spec_and_dataframe():
    pd = pytest.importorskip("pandas")
    arr = np.arange(20.0).reshape(4, 5)
    with pytest.warns(UserWarning, match=r"leaves columns \[3\] \(1 of 5\) out"):
        X = as_multimodal(arr, {"a": slice(0, 2), "b": [2, 4]})
    np.testing.assert_array_equal(X["b"], arr[:, [2, 4]])
    df = pd.DataFrame(arr, columns=list("pqrst"))
    with pytest.warns(UserWarning, match=r"leaves columns \['s'\] \(1 of 5\) out"):
        Xd = as_multimodal(df, {"a": ["p", "q"], "b": [2, 4]})
    np.testing.assert_array_equal(Xd["a"], arr[:, :2])
    np.testing.assert_array_equal(Xd["b"], arr[:, [2, 4]])
    with pytest.raises(ValueError, match=r"Modality 'a': columns \['zz'\] are not in the DataFrame"):
        as_multimodal(df, {"a": ["zz"]})
    with pytest.raises(ValueError, match="Modality 'a': column index out of range for 5 columns"):
        as_multimodal(arr, {"a": [7]})
    with pytest.raises(ValueError, match="cannot be used with dict input"):
        as_multimodal({"a": arr}, {"a": [0]})
    assert list(as_multimodal(arr)) == ["x"]


# -- the NaN rule -------------------------------------------------------------


def test_missing_rows_and_mask():
    a = np.array([[1.0, 2.0], [np.nan, np.nan], [5.0, 6.0]])
    b = np.array([[1.0], [2.0], [np.nan]])
    data = check_multimodal({"a": a, "b": b})
    assert data.names == ("a", "b")
    assert data.mask.tolist() == [[True, True], [False, True], [True, False]]
    assert data.arrays[0].dtype == np.float32
    np.testing.assert_array_equal(data.arrays[0][1], [0, 0])
    assert data.lengths == (None, None)


def test_sequences_padding_and_lengths():
    s = np.ones((3, 4, 2))
    s[0, 2:] = np.nan  # two valid steps
    s[1] = np.nan  # missing
    data = check_multimodal({"s": s, "v": np.ones((3, 1))})
    assert data.lengths[0].tolist() == [2, 0, 4]
    assert data.mask[:, 0].tolist() == [True, False, True]
    assert not np.isnan(data.arrays[0]).any()
    assert data.feature_shapes == {"s": (None, 2), "v": (1,)}


def test_nan_fill_keeps_marking_and_dtype():
    a = np.array([[1.0, 2.0], [np.nan, np.nan]])
    data = check_multimodal({"a": a, "b": np.ones((2, 1), dtype=np.int64)}, dtype=None, fill=np.nan)
    assert np.isnan(data.arrays[0][1]).all() and data.arrays[0].dtype == np.float64
    assert data.arrays[1].dtype == np.float64


BAD_INPUTS = [
    (
        {"a": np.array([[1.0, np.nan], [1.0, 2.0]])},
        ValueError,
        r"Modality 'a' has partial NaN in rows \[0\]: a present row must be fully finite",
    ),
    (
        {"a": np.array([[1.0, 2.0], [np.inf, 2.0], [3, 4]])},
        ValueError,
        r"Modality 'a' contains inf \(or values too large for float32\) in rows \[1\]",
    ),
    (
        {"a": np.array([[np.nan], [1.0]]), "b": np.array([[np.nan], [2.0]])},
        ValueError,
        r"Rows \[0\] have every modality missing \(all of \['a', 'b'\] is all NaN\)",
    ),
    ({"a": np.array(["x", "y"]).reshape(2, 1)}, TypeError, r"Modality 'a' has non-numeric dtype <U1"),
    (
        {"a": np.array([[{"k": 1}], [2]], dtype=object)},
        TypeError,
        r"Modality 'a' has dtype object with non-numeric values: float\(\) argument must be a string or a (real )?number",
    ),
    ({"a": np.zeros((0, 3))}, ValueError, r"Empty data: modality 'a' has 0 samples"),
    ({"a": np.zeros((3, 0))}, ValueError,
     r"^Modality 'a' has 0 feature\(s\) \(shape=\(3, 0\)\) while a minimum of 1 is required\.$"),
    ({"a": np.zeros(3)}, ValueError, r"Modality 'a' is a 1D array of shape \(3,\); expected 2D"),
    ({"a": np.zeros((2, 2, 2, 2))}, ValueError, r"Modality 'a' is a 4D array"),
    ({"a": np.zeros((2, 2)) + 1j}, ValueError, r"Modality 'a': Complex data not supported"),
    ({}, ValueError, r"^Empty data: X is an empty dict \(no modality\); give at least one "
     r"modality, e.g. MultimodalData\(a=X_a\)\.$"),
    ({1: np.zeros((2, 2))}, TypeError, r"Modality names must be str, got int: 1"),
    (
        {"s": np.stack([np.ones((3, 2)), np.array([[np.nan, np.nan], [1, 1], [1, 1]])])},
        ValueError,
        r"Modality 's' has NaN padding before valid timesteps in rows \[1\]",
    ),
    (
        {"s": np.array([[[1.0, np.nan], [1.0, 1.0]]])},
        ValueError,
        r"Modality 's' has partial NaN inside timesteps of rows \[0\]",
    ),
]


@pytest.mark.parametrize("X, error, message", BAD_INPUTS)
def test_bad_input_messages(X, error, message):
    with pytest.raises(error, match=message):
        check_multimodal(X)


def test_mismatched_lengths_message():
    with pytest.raises(ValueError, match=r"different numbers of samples \('a': 2, 'b': 3\)"):
        check_multimodal({"a": np.zeros((2, 1)), "b": np.zeros((3, 1))})


def test_sparse_is_rejected():
    import scipy.sparse as sp

    with pytest.raises(TypeError, match="Sparse input is not supported"):
        check_multimodal(sp.csr_matrix(np.eye(3)))
    with pytest.raises(TypeError, match="Modality 'a': sparse input is not supported"):
        check_multimodal({"a": sp.csr_matrix(np.eye(3))})


def test_many_offending_rows_are_summarised():
    a = np.ones((20, 2))
    a[::2, 0] = np.nan
    with pytest.raises(ValueError, match=r"rows \[0, 2, 4, 6, 8, ... \(10 rows in all\)\]"):
        check_multimodal({"a": a})


def test_read_only_and_memmap_inputs(tmp_path):
    a = np.ones((4, 3))
    a[1] = np.nan
    a.setflags(write=False)
    path = tmp_path / "b.npy"
    np.save(path, np.arange(8.0).reshape(4, 2))
    b = np.load(path, mmap_mode="r")
    data = check_multimodal({"a": a, "b": b})
    assert data.mask[:, 0].tolist() == [True, False, True, True]
    assert np.isnan(a[1]).all()  # untouched


# -- estimator bookkeeping ----------------------------------------------------


class _Probe(BaseEstimator):
    pass


def test_validate_records_and_checks_layout():
    est = _Probe()
    X = {"a": np.ones((3, 2)), "s": np.ones((3, 5, 4))}
    validate_multimodal(est, X, reset=True)
    assert est.modalities_ == ["a", "s"]
    assert est.feature_shapes_ == {"a": (2,), "s": (None, 4)}
    assert est.modality_n_features_in_ == {"a": 2, "s": 4}
    assert not hasattr(est, "n_features_in_")
    # other key order: reordered silently; longer sequences are fine
    data = validate_multimodal(est, {"s": np.ones((2, 9, 4)), "a": np.ones((2, 2))}, reset=False)
    assert data.names == ("a", "s")
    with pytest.raises(ValueError, match=r"fitted on modalities \['a', 's'\]; got unknown modalities \['b'\] and missing modalities \['s'\]"):
        validate_multimodal(est, {"a": np.ones((2, 2)), "b": np.ones((2, 1))}, reset=False)
    with pytest.raises(ValueError, match=r"Modality 'a' has feature shape \(3 features\), but _Probe was fitted with \(2 features\)"):
        validate_multimodal(est, {"a": np.ones((2, 3)), "s": np.ones((2, 5, 4))}, reset=False)
    with pytest.raises(ValueError, match=r"Modality 's' has feature shape \(5 features\), but _Probe was fitted with \(sequence of 4 features per timestep\)"):
        validate_multimodal(est, {"a": np.ones((2, 2)), "s": np.ones((2, 5))}, reset=False)


def test_validate_records_per_modality_counts_and_names():
    """Issue 24: dict input had neither n_features_in_ nor feature names; the per-modality
    ones exist for every input form, scikit-learn's two keep their flat-X meaning."""
    pd = pytest.importorskip("pandas")
    est = _Probe()
    X = {"a": np.ones((3, 2)), "s": np.ones((3, 5, 4))}
    validate_multimodal(est, X, reset=True)
    assert est.modality_n_features_in_ == {"a": 2, "s": 4}  # per timestep for a sequence
    assert not hasattr(est, "modality_feature_names_in_")  # no DataFrame, no names
    frame = pd.DataFrame(np.ones((3, 2)), columns=["u", "v"])
    validate_multimodal(est, {"a": frame, "s": X["s"]}, reset=True)
    assert list(est.modality_feature_names_in_) == ["a"]
    names = est.modality_feature_names_in_["a"]
    assert isinstance(names, np.ndarray) and names.dtype == object and names.tolist() == ["u", "v"]
    assert not hasattr(est, "n_features_in_") and not hasattr(est, "feature_names_in_")
    # non-string column names are not recorded, as in scikit-learn
    validate_multimodal(est, {"a": pd.DataFrame(np.ones((3, 2))), "s": X["s"]}, reset=True)
    assert not hasattr(est, "modality_feature_names_in_")
    with pytest.raises(TypeError, match=r"^Modality 'a': Feature names are only supported if "
                                        r"all input features have string names"):
        validate_multimodal(est, {"a": frame.set_axis(["u", 1], axis=1)}, reset=True)
    # a flat DataFrame: scikit-learn's attributes, and the per-modality ones of its spec
    flat = pd.DataFrame(np.arange(12.0).reshape(3, 4), columns=list("pqrs"))
    validate_multimodal(est, flat, reset=True, modalities={"m": ["s", "p"], "n": [1, 2]})
    assert est.n_features_in_ == 4 and est.feature_names_in_.tolist() == list("pqrs")
    assert est.modality_n_features_in_ == {"m": 2, "n": 2}
    assert {k: v.tolist() for k, v in est.modality_feature_names_in_.items()} == {
        "m": ["s", "p"], "n": ["q", "r"]}
    validate_multimodal(est, flat.to_numpy(), reset=True)
    assert est.modality_n_features_in_ == {"x": 4}
    assert not hasattr(est, "modality_feature_names_in_") and not hasattr(
        est, "feature_names_in_")


def test_check_multimodal_keeps_non_numeric_modalities_for_an_encoder():
    pd = pytest.importorskip("pandas")
    meta = pd.DataFrame({"city": pd.Categorical(["a", None, "b", "a"]),
                         "n": [1.0, np.nan, np.nan, 2.0]})
    words = np.array([["x", None], [None, None], ["y", "z"], ["x", "x"]], dtype=object)
    X = {"meta": meta, "w": words, "v": np.ones((4, 1))}
    with pytest.raises(TypeError, match=r"^Modality 'meta' has non-numeric columns \['city' "
                                        r"\(category\)\]"):
        check_multimodal(X)
    data = check_multimodal(X, allow_non_numeric=True)
    assert data.arrays[0] is meta and data.arrays[1] is words  # as given, not copied
    assert data.sources[0] is meta
    # missing where every value is missing; row 2's lone NaN is the encoder's to handle
    assert data.mask.tolist() == [[True, True, True], [False, False, True],
                                  [True, True, True], [True, True, True]]
    assert data.has_nan == (True, True, False)
    assert data.feature_shapes == {"meta": (2,), "w": (2,), "v": (1,)}
    assert data.arrays[2].dtype == np.float32  # numeric modalities as before
    with pytest.raises(TypeError, match=r"^Modality 's' has non-numeric dtype <U1"):
        check_multimodal({"s": np.full((2, 3, 1), "a")}, allow_non_numeric=True)  # 2D only


def test_restore_like_gives_dict_input_its_dataframes_back():
    """Issue 24: a corrupted copy of a dict of DataFrames keeps each modality's columns
    (which the fitted model checks) and index."""
    pd = pytest.importorskip("pandas")
    from skmm import GaussianNoise
    from skmm._data import restore_like

    frame = pd.DataFrame(np.arange(8.0).reshape(4, 2), columns=["u", "v"], index=[7, 5, 3, 1])
    X = {"a": frame, "b": np.ones((4, 3))}
    out = restore_like(X, ["a", "b"], [np.zeros((2, 2)), np.zeros((2, 3))], rows=[3, 0])
    assert isinstance(out["a"], pd.DataFrame) and out["a"].index.tolist() == [1, 7]
    assert out["a"].columns.tolist() == ["u", "v"] and isinstance(out["b"], np.ndarray)
    wider = restore_like(X, ["a", "b"], [np.zeros((4, 5)), np.zeros((4, 3))])
    assert isinstance(wider["a"], np.ndarray)  # other features: no columns to give them
    noisy = GaussianNoise(std=1.0, random_state=0).corrupt(X)
    assert noisy["a"].columns.tolist() == ["u", "v"] and noisy["a"].index.tolist() == [7, 5, 3, 1]
    assert (noisy["a"].to_numpy() != frame.to_numpy()).all()
    assert (frame.to_numpy() == np.arange(8.0).reshape(4, 2)).all()  # input untouched


def test_validate_flat_array_sets_n_features():
    est = _Probe()
    validate_multimodal(est, np.ones((3, 4)), reset=True)
    assert est.n_features_in_ == 4 and est.modalities_ == ["x"]
    with pytest.raises(ValueError, match="X has 3 features, but _Probe is expecting 4 features as input"):
        validate_multimodal(est, np.ones((3, 3)), reset=False)
    validate_multimodal(est, {"a": np.ones((3, 1))}, reset=True)
    assert not hasattr(est, "n_features_in_")


# -- property tests -------------------------------------------------------------


@st.composite
def multimodal_dicts(draw):
    n = draw(st.integers(1, 12))
    n_mod = draw(st.integers(1, 4))
    X, missing = {}, np.zeros((n, n_mod), dtype=bool)
    for m in range(n_mod):
        d = draw(st.integers(1, 4))
        arr = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-1e6, 1e6)))
        rows = draw(hnp.arrays(np.bool_, n))
        missing[:, m] = rows
        arr[rows] = np.nan
        X[f"m{m}"] = arr
    # keep at least one modality per sample
    none = missing.all(1)
    X["m0"][none] = 1.0
    missing[none, 0] = False
    return X, ~missing


@settings(max_examples=60, deadline=None)
@given(multimodal_dicts())
def test_nan_rows_roundtrip_into_mask(case):
    X, expected_mask = case
    before = {k: v.copy() for k, v in X.items()}
    data = check_multimodal(X)
    np.testing.assert_array_equal(data.mask, expected_mask)
    for m, name in enumerate(X):
        np.testing.assert_array_equal(data.arrays[m][~expected_mask[:, m]], 0)
        np.testing.assert_allclose(
            data.arrays[m][expected_mask[:, m]], X[name][expected_mask[:, m]].astype(np.float32)
        )
        np.testing.assert_array_equal(X[name], before[name])  # never mutated


@settings(max_examples=60, deadline=None)
@given(multimodal_dicts(), st.data())
def test_indexing_wrapper_equals_indexing_each_modality(case, data):
    X, _ = case
    n = len(next(iter(X.values())))
    idx = data.draw(hnp.arrays(np.int64, data.draw(st.integers(0, 2 * n)), elements=st.integers(0, n - 1)))
    mm = MultimodalData(X)
    sub = mm[idx]
    assert sub.shape == (len(idx),)
    for name, arr in X.items():
        np.testing.assert_array_equal(sub[name], arr[idx])


# -- sklearn model selection over the wrapper -----------------------------------


class _MeanOfPresent(ClassifierMixin, BaseEstimator):
    """Trivial classifier on the data layer: thresholds the mean of present features."""

    def __init__(self, threshold=0.0):
        self.threshold = threshold

    def fit(self, X, y):
        validate_multimodal(self, X, reset=True)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        data = validate_multimodal(self, X, reset=False)
        total = sum(a.reshape(len(a), -1).mean(1) for a in data.arrays)
        score = total / data.mask.sum(1)
        return self.classes_[(score > self.threshold).astype(int)]


def test_cross_val_score_and_grid_search_over_wrapper():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 80)
    X = MultimodalData(a=(2 * y - 1)[:, None] + 0.1 * rng.randn(80, 3), b=rng.randn(80, 2))
    X["b"][:10] = np.nan
    scores = cross_val_score(_MeanOfPresent(), X, y, cv=4)
    assert scores.shape == (4,) and scores.mean() > 0.8
    search = GridSearchCV(_MeanOfPresent(), {"threshold": [-10.0, 0.0]}, cv=3).fit(X, y)
    assert search.best_params_ == {"threshold": 0.0}
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    assert isinstance(Xtr, MultimodalData) and Xte.shape == (20,)


def test_plain_dict_fails_inside_sklearn_model_selection():
    """Documented limitation: sklearn counts a plain dict's keys (use MultimodalData)."""
    X = {"a": np.zeros((10, 2)), "b": np.zeros((10, 2))}
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cross_val_score(_MeanOfPresent(), X, np.arange(10) % 2, cv=2)


def test_record_of_copied_rows_survives_indexing_copy_and_pickle():
    """MissingPatternAugmenter's output records which sample each row copies
    (``_sample_ids``); sample indexing, copy() and pickling keep the record, so
    that an estimator splitting the data for early stopping can still see the copies."""
    import copy

    from sklearn.utils import _safe_indexing

    X = MultimodalData(a=np.arange(12.0).reshape(6, 2), b=np.ones((6, 1)))
    assert X._sample_ids is None and not X._copies_samples
    X._sample_ids = np.array([0, 1, 2, 0, 1, 2])
    assert X._copies_samples
    for rows, expected in [
        (X[[0, 3, 4]], [0, 0, 1]),
        (X[1:5], [1, 2, 0, 1]),
        (X[np.array([True, False, False, True, False, False])], [0, 0]),
        (X[np.array([5, 0]), ...], [2, 0]),
        (_safe_indexing(X, [4, 1]), [1, 1]),
        (X.copy(), [0, 1, 2, 0, 1, 2]),
        (pickle.loads(pickle.dumps(X)), [0, 1, 2, 0, 1, 2]),
        (copy.deepcopy(X), [0, 1, 2, 0, 1, 2]),
    ]:
        assert isinstance(rows, MultimodalData)
        assert rows._sample_ids.tolist() == expected
        assert rows._copies_samples == (len(set(expected)) < len(expected))
    train, test = train_test_split(X, test_size=2, random_state=0)
    assert train._sample_ids is not None and test._sample_ids is not None
    # arrays put together anew are distinct samples; a plain pickle has no record either
    assert MultimodalData(dict(X))._sample_ids is None
    assert pickle.loads(pickle.dumps(X[:3].copy()))._sample_ids.tolist() == [0, 1, 2]
    assert pickle.loads(pickle.dumps(MultimodalData(a=np.ones((2, 1)))))._sample_ids is None
