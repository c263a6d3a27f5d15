"""MissingPatternAugmenter: the sampler protocol, the patterns, imbalanced-learn."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from skmm import MissingPatternAugmenter, MultimodalData, RAMLClassifier
from skmm._data import check_multimodal
from skmm.augmentation import presence_patterns


def _data(n=6, seed=0):
    rng = np.random.RandomState(seed)
    return (
        MultimodalData(a=rng.randn(n, 2), b=rng.randn(n, 3), s=rng.randn(n, 4, 2)),
        np.arange(n) % 2,
    )


def _mask(X):
    return check_multimodal(X).mask


class _Recorder(ClassifierMixin, BaseEstimator):
    """Records what it was fitted on."""

    def fit(self, X, y):
        self.n_fit_ = X.shape[0]
        self.mask_ = _mask(X)
        self.y_ = np.asarray(y)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.classes_[0])


def test_presence_patterns_order():
    assert presence_patterns(["a", "b"]) == [("a",), ("b",), ("a", "b")]
    assert len(presence_patterns("abcd")) == 15


def test_all_patterns_on_complete_data():
    X, y = _data()
    aug = MissingPatternAugmenter()
    X_res, y_res = aug.fit_resample(X, y)
    n, P = 6, 7
    assert isinstance(X_res, MultimodalData) and X_res.shape == (n * P,)
    np.testing.assert_array_equal(aug.sample_indices_, np.tile(np.arange(n), P))
    np.testing.assert_array_equal(y_res, np.tile(y, P))
    expected = np.repeat([[n in p for n in "abs"] for p in presence_patterns("abs")], n, axis=0)
    np.testing.assert_array_equal(_mask(X_res), expected)
    np.testing.assert_array_equal(aug.patterns_, expected)
    for m, k in enumerate("abs"):  # kept modalities are exact copies
        keep = expected[:, m]
        np.testing.assert_array_equal(X_res[k][keep], X[k][aug.sample_indices_[keep]])
        assert np.isnan(X_res[k][~keep]).all()
    assert aug.modalities_ == ["a", "b", "s"]


def test_all_patterns_on_incomplete_data_drop_empty_intersections():
    X, y = _data()
    X["a"][0] = np.nan  # sample 0 has b, s
    X["b"][0] = np.nan  # ... now only s
    X["s"][1] = np.nan  # sample 1 has a, b
    X["s"][2, 2:] = np.nan  # padding stays padding
    aug = MissingPatternAugmenter()
    X_res, y_res = aug.fit_resample(X, y)
    counts = np.bincount(aug.sample_indices_, minlength=6)
    # patterns intersecting {s}: 4 of 7; intersecting {a, b}: 6 of 7
    np.testing.assert_array_equal(counts, [4, 6, 7, 7, 7, 7])
    mask_in, mask_out = _mask(X), _mask(X_res)
    assert mask_out.any(1).all()
    assert (mask_out <= mask_in[aug.sample_indices_]).all()
    rows2 = np.flatnonzero((aug.sample_indices_ == 2) & mask_out[:, 2])
    assert np.isnan(X_res["s"][rows2, 2:]).all() and np.isfinite(X_res["s"][rows2, :2]).all()


def test_int_and_explicit_patterns():
    X, y = _data(n=300)
    X["b"][:100] = np.nan
    aug = MissingPatternAugmenter(patterns=3, random_state=0)
    X_res, y_res = aug.fit_resample(X, y)
    assert X_res.shape == (900,) and y_res.shape == (900,)
    np.testing.assert_array_equal(np.bincount(aug.sample_indices_), np.full(300, 3))
    mask_in, mask_out = _mask(X), _mask(X_res)
    assert mask_out.any(1).all() and (mask_out <= mask_in[aug.sample_indices_]).all()
    # uniform over the 7 patterns that leave a present modality: full pattern ~1/7
    full = mask_out[np.isin(aug.sample_indices_, np.arange(100, 300))].all(1).mean()
    assert abs(full - 1 / 7) < 0.04
    again = clone(aug).fit_resample(X, y)[0]
    np.testing.assert_array_equal(again["a"], X_res["a"])
    aug = MissingPatternAugmenter(patterns=[("a",), ("b", "s")])
    X_res, _ = aug.fit_resample(X, y)
    assert X_res.shape == (600,)  # ("a",) and ("b", "s") intersect every sample's presence
    np.testing.assert_array_equal(
        _mask(X_res)[:300], np.tile([True, False, False], (300, 1))
    )


def test_flat_array_input_and_pandas_y():
    flat = np.random.RandomState(0).randn(5, 3).astype(np.float32)
    y = pd.Series(list("ababa"), index=range(10, 15))
    X_res, y_res = MissingPatternAugmenter().fit_resample(flat, y)
    assert type(X_res) is np.ndarray and X_res.dtype == np.float32
    np.testing.assert_array_equal(X_res, flat)  # one modality: one pattern
    assert isinstance(y_res, pd.Series) and list(y_res.index) == list(range(10, 15))
    X_res, y_res = MissingPatternAugmenter().fit_resample(flat, list("ababa"))
    assert y_res.tolist() == list("ababa")


def test_inputs_unchanged_and_readonly():
    X, y = _data()
    before = {k: v.copy() for k, v in X.items()}
    for v in X.values():
        v.setflags(write=False)
    y.setflags(write=False)
    MissingPatternAugmenter().fit_resample(X, y)
    for k in X:
        np.testing.assert_array_equal(X[k], before[k])


def test_bad_parameters_and_input():
    X, y = _data()
    with pytest.raises(
        ValueError,
        match=r"^The 'patterns' parameter of MissingPatternAugmenter must be a str among "
        r"\{'all'\}, an int in the range \[1, inf\), an instance of 'list' or an instance of "
        r"'tuple'\. Got 0 instead\.$",
    ):
        MissingPatternAugmenter(patterns=0).fit_resample(X, y)
    with pytest.raises(ValueError, match="The 'patterns' parameter of MissingPatternAugmenter"):
        MissingPatternAugmenter(patterns="some").fit_resample(X, y)
    with pytest.raises(ValueError, match=r"non-empty tuple of the data's modalities .*'q'"):
        MissingPatternAugmenter(patterns=[("a", "q")]).fit_resample(X, y)
    with pytest.raises(ValueError, match="patterns is an empty list"):
        MissingPatternAugmenter(patterns=[]).fit_resample(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MissingPatternAugmenter().fit_resample(X, y[:3])
    assert MissingPatternAugmenter().fit_resample(X, None)[1] is None
    assert MissingPatternAugmenter().fit(X).modalities_ == ["a", "b", "s"]


def test_sampler_protocol_in_imblearn_pipeline():
    imblearn_pipeline = pytest.importorskip("imblearn.pipeline")
    aug = MissingPatternAugmenter()
    assert hasattr(aug, "fit_resample") and not hasattr(aug, "transform")
    X, y = _data(n=10)
    pipe = imblearn_pipeline.Pipeline([("aug", aug), ("clf", _Recorder())]).fit(X, y)
    assert pipe["clf"].n_fit_ == 10 * (2**3 - 1)
    np.testing.assert_array_equal(pipe["clf"].y_, np.tile(y, 7))
    assert pipe.predict(X).shape == (10,)  # the sampler is skipped at predict


def test_raml_in_imblearn_pipeline():
    imblearn_pipeline = pytest.importorskip("imblearn.pipeline")
    rng = np.random.RandomState(0)
    y = np.tile([0, 1], 40)
    X = MultimodalData(a=2 * y[:, None] + 0.3 * rng.randn(80, 2), b=y[:, None] + rng.randn(80, 2))
    pipe = imblearn_pipeline.Pipeline(
        [
            ("aug", MissingPatternAugmenter()),
            # no early stopping: the augmenter's copies would be on both sides of its split
            ("clf", RAMLClassifier(augment=None, max_epochs=5, lr=1e-2, hidden_sizes=(8,),
                                   latent_dim=4, batch_size=32, early_stopping=False,
                                   random_state=0)),
        ]
    ).fit(X, y)
    assert pipe.predict(X).shape == (80,)
    assert pipe.score(X, y) > 0.8


def test_imblearn_sampler_tags():
    imblearn_base = pytest.importorskip("imblearn.base")
    from imblearn.utils._tags import get_tags

    aug = MissingPatternAugmenter()
    assert imblearn_base.is_sampler(aug)
    tags = get_tags(aug)
    assert tags.estimator_type == "sampler"
    assert tags.sampler_tags.sample_indices  # it sets sample_indices_
    assert tags.input_tags.dict and tags.input_tags.three_d_array
    assert not tags.target_tags.required  # y=None is accepted
    # scikit-learn reads the same tags object
    from sklearn.utils import get_tags as sklearn_get_tags

    assert sklearn_get_tags(aug).estimator_type == "sampler"


def test_output_records_the_sample_each_row_copies():
    X, y = _data(n=4)
    aug = MissingPatternAugmenter(random_state=0)
    X_res, _ = aug.fit_resample(X, y)
    np.testing.assert_array_equal(X_res._sample_ids, aug.sample_indices_)
    assert X_res._copies_samples
    # augmenting an augmented set still names the original samples
    X_twice, _ = MissingPatternAugmenter(patterns=1, random_state=0).fit_resample(X_res[[0, 5]])
    np.testing.assert_array_equal(X_twice._sample_ids, aug.sample_indices_[[0, 5]])
    # one copy of each sample (patterns=1) copies no sample twice
    X_one, _ = MissingPatternAugmenter(patterns=1, random_state=0).fit_resample(X, y)
    assert X_one._sample_ids.tolist() == [0, 1, 2, 3] and not X_one._copies_samples
