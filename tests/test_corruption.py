"""Corruption, masking, splitting and per-modality transformers."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import (
    FeatureMasking,
    GaussianNoise,
    KeepModalities,
    ModalityDropout,
    MultimodalData,
    PerModality,
    RAMLClassifier,
    SplitModalities,
)


def _data(n=40, seed=0):
    """Two 2D modalities and a sequence one, with missing rows and padding."""
    rng = np.random.RandomState(seed)
    a = rng.randn(n, 3)
    b = rng.randn(n, 2) + 5
    s = rng.randn(n, 4, 2)
    a[:5] = np.nan  # "a" missing for samples 0-4
    b[5:8] = np.nan  # "b" missing for samples 5-7
    s[8:10] = np.nan  # "s" missing for samples 8, 9
    s[10:20, 2:] = np.nan  # samples 10-19: 2 valid timesteps, then padding
    return {"a": a, "b": b, "s": s}


def _copy(X):
    return {k: v.copy() for k, v in X.items()}


def _readonly(X):
    out = _copy(X)
    for v in out.values():
        v.setflags(write=False)
    return out


def _same(x, y):
    np.testing.assert_array_equal(x, y)  # NaN == NaN here


RANDOM = [
    GaussianNoise(std=0.5, random_state=0),
    FeatureMasking(p=0.5, random_state=0),
    ModalityDropout(rates=0.5, random_state=0),
]
ALL = RANDOM + [KeepModalities(["a", "s"])]


# -- shared behaviour -----------------------------------------------------------


@pytest.mark.parametrize("est", ALL, ids=lambda e: type(e).__name__)
def test_default_is_identity_in_fit_transform_and_corrupts_in_transform(est):
    X = _data()
    clean = clone(est).fit_transform(X)
    assert isinstance(clean, MultimodalData)
    for k in X:
        _same(clean[k], X[k])
        assert clean[k] is not X[k]
    fitted = clone(est).fit(X)
    corrupted = fitted.transform(X)
    assert any(not np.array_equal(corrupted[k], X[k], equal_nan=True) for k in X)
    # corrupt() is the same corruption, whatever apply_on says
    explicit = clone(est).set_params(apply_on="fit_transform").fit(X).corrupt(X)
    for k in X:
        _same(explicit[k], corrupted[k])


@pytest.mark.parametrize("est", ALL, ids=lambda e: type(e).__name__)
def test_apply_on_choices(est):
    X = _data()
    reference = clone(est).corrupt(X)
    train_aug = clone(est).set_params(apply_on="fit_transform")
    out = train_aug.fit_transform(X)
    for k in X:
        _same(out[k], reference[k])
        _same(train_aug.transform(X)[k], X[k])
    both = clone(est).set_params(apply_on="both")
    for out in (both.fit_transform(X), both.transform(X)):
        for k in X:
            _same(out[k], reference[k])
    with pytest.raises(
        ValueError,
        match=rf"^The 'apply_on' parameter of {type(est).__name__} must be a str among "
        r"\{'(transform|fit_transform|both)', .*\}\. Got 'fit' instead\.$",
    ):
        clone(est).set_params(apply_on="fit").fit(X)


@pytest.mark.parametrize("est", ALL, ids=lambda e: type(e).__name__)
def test_inputs_unchanged_and_readonly_inputs_work(est):
    X = _data()
    before = _copy(X)
    ro = _readonly(X)
    for method in ("fit_transform", "transform", "corrupt"):
        fitted = clone(est).set_params(apply_on="both").fit(ro)
        getattr(fitted, method)(ro)
        for k in X:
            _same(ro[k], before[k])
    flat = np.random.RandomState(0).randn(10, 3)
    flat_before = flat.copy()
    flat.setflags(write=False)
    names = ["x"] if isinstance(est, KeepModalities) else est.get_params().get("modalities")
    est = clone(est).set_params(**({"names": names} if isinstance(est, KeepModalities) else {}))
    out = est.corrupt(flat)
    _same(flat, flat_before)
    assert isinstance(out, np.ndarray) and out.shape == flat.shape


@pytest.mark.parametrize("est", RANDOM, ids=lambda e: type(e).__name__)
def test_random_state_repeatable(est):
    X = _data()
    fitted = clone(est).fit(X)
    first, second = fitted.transform(X), fitted.transform(X)
    for k in X:
        _same(first[k], second[k])
    unseeded = clone(est).set_params(random_state=None).fit(X)
    one, two = unseeded.transform(X), unseeded.transform(X)
    assert any(not np.array_equal(one[k], two[k], equal_nan=True) for k in X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("est", RANDOM, ids=lambda e: type(e).__name__)
def test_flat_array_keeps_dtype_and_container(est, dtype):
    flat = np.random.RandomState(0).randn(30, 4).astype(dtype)
    out = clone(est).fit(flat).transform(flat)
    assert type(out) is np.ndarray and out.dtype == dtype and out.shape == flat.shape
    out = clone(est).fit(MultimodalData(x=flat)).transform(MultimodalData(x=flat))
    assert isinstance(out, MultimodalData) and out["x"].dtype == dtype


def test_transform_checks_layout_and_unfitted():
    X = _data()
    noise = GaussianNoise(std=0.1)
    with pytest.raises(ValueError, match="GaussianNoise instance is not fitted yet"):
        noise.transform(X)
    noise.fit(X)
    with pytest.raises(ValueError, match=r"fitted on modalities \['a', 'b', 's'\]; got missing"):
        noise.transform({"a": X["a"], "b": X["b"]})
    with pytest.raises(ValueError, match="Modality 'a' has feature shape"):
        noise.transform(dict(X, a=np.ones((40, 5))))
    # corrupt() on a fitted transformer checks the layout too; unfitted it does not
    with pytest.raises(ValueError, match="got missing modalities"):
        noise.corrupt({"a": X["a"], "b": X["b"]})
    out = GaussianNoise(std=0.1).corrupt({"z": np.ones((3, 2))})
    assert out["z"].shape == (3, 2)


def test_bad_parameters():
    X = _data()
    cases = [
        (GaussianNoise(std=-1.0), r"^The 'std' parameter of GaussianNoise must be a float in the "
         r"range \[0\.0, inf\)\. Got -1\.0 instead\.$"),
        (GaussianNoise(targets=["a", "q"]), r"^GaussianNoise: unknown modalities \['q'\] in `targets`; the data has"),
        (FeatureMasking(p=1.5), r"^The 'p' parameter of FeatureMasking must be a float in the "
         r"range \[0\.0, 1\.0\]\. Got 1\.5 instead\.$"),
        (ModalityDropout(rates=-0.1), r"The 'rates' parameter of ModalityDropout must be a float "
         r"in the range \[0\.0, 1\.0\] or an instance of 'dict'\. Got -0\.1 instead\.$"),
        (ModalityDropout(rates={"q": 0.1}), r"^ModalityDropout: unknown modalities \['q'\] in `rates`; the data has"),
        (ModalityDropout(rates={"a": 2}), r"each rate must be a number in \[0, 1\], got 2"),
        (KeepModalities([]), "names must name at least one modality to keep"),
        (KeepModalities(["a", "q"]), r"^KeepModalities: unknown modalities \['q'\] in `names`; the data has "
         r"modalities \['a', 'b', 's'\]\.$"),
        (PerModality(StandardScaler(), targets="q"), r"unknown modalities \['q'\]"),
    ]
    for est, message in cases:
        with pytest.raises(ValueError, match=message):
            est.fit(X)
    with pytest.raises(TypeError, match="names must hold modality names"):
        KeepModalities([1]).fit(X)


# -- GaussianNoise --------------------------------------------------------------


def test_gaussian_noise_where_asked_only():
    X = _data(n=400)
    out = GaussianNoise(std=0.3, targets=["a", "s"], random_state=0).corrupt(X)
    _same(out["b"], X["b"])  # not chosen: identical
    assert np.isnan(out["a"][:5]).all() and np.isnan(out["s"][8:10]).all()  # missing rows
    assert np.isnan(out["s"][10:20, 2:]).all()  # padding
    diff_a = (out["a"] - X["a"])[5:]
    diff_s = (out["s"] - X["s"])[~np.isnan(X["s"])]
    assert np.isfinite(diff_a).all() and (diff_a != 0).all() and (diff_s != 0).all()
    assert abs(diff_a.std() - 0.3) < 0.02 and abs(diff_a.mean()) < 0.03
    assert abs(diff_s.std() - 0.3) < 0.02
    # a single name works as a list of one; std=0 is the identity
    one = GaussianNoise(std=0.3, targets="b", random_state=0).corrupt(X)
    _same(one["a"], X["a"])
    zero = GaussianNoise(std=0.0, random_state=0).corrupt(X)
    for k in X:
        _same(zero[k], X[k])


# -- FeatureMasking -------------------------------------------------------------


def test_feature_masking_2d_present_rows_only():
    X = _data(n=2000)
    out = FeatureMasking(p=0.25, targets=["a", "b"], random_state=0).corrupt(X)
    _same(out["s"], X["s"])
    for k, missing in (("a", slice(0, 5)), ("b", slice(5, 8))):
        assert np.isnan(out[k][missing]).all()
        present = ~np.isnan(X[k][:, 0])
        zeroed = out[k][present] == 0
        kept = out[k][present] == X[k][present]
        assert (zeroed | kept).all()  # a value is either zeroed or unchanged
        assert abs(zeroed.mean() - 0.25) < 0.02
        assert 0 < zeroed.all(1).sum() < zeroed.any(1).sum()  # per value, not per row


def test_feature_masking_sequences_masks_whole_valid_timesteps():
    X = _data(n=2000)
    out = FeatureMasking(p=0.4, targets="s", random_state=0).corrupt(X)
    s, o = X["s"], out["s"]
    valid = ~np.isnan(s).all(2)
    step_zero = (o == 0).all(2)
    step_same = (o == s).all(2)
    assert (step_zero | step_same)[valid].all()  # whole timesteps only
    assert np.isnan(o[~valid]).all()  # padding and missing rows untouched
    assert abs(step_zero[valid].mean() - 0.4) < 0.02
    every = FeatureMasking(p=1.0).corrupt(X)["s"]
    assert ((every == 0).all(2) == valid).all()


# -- ModalityDropout ------------------------------------------------------------


def test_modality_dropout_rates_and_never_empty():
    rng = np.random.RandomState(1)
    n = 20000
    X = {"a": rng.randn(n, 2), "b": rng.randn(n, 3), "c": rng.randn(n, 2, 2)}
    out = ModalityDropout(rates={"a": 0.3, "b": 0.1}, random_state=0).corrupt(X)
    gone = np.column_stack([np.isnan(out[k].reshape(n, -1)).all(1) for k in X])
    assert abs(gone[:, 0].mean() - 0.3) < 0.01 and abs(gone[:, 1].mean() - 0.1) < 0.01
    assert not gone[:, 2].any()
    for m, k in enumerate(X):  # present rows keep their values
        _same(out[k][~gone[:, m]], X[k][~gone[:, m]])
    # one rate for all: a sample that would lose every modality keeps one at random,
    # so the realized rate is r - r**M / M
    r = 0.6
    out = ModalityDropout(rates=r, random_state=0).corrupt(X)
    gone = np.column_stack([np.isnan(out[k].reshape(n, -1)).all(1) for k in X])
    assert not gone.all(1).any()
    assert np.allclose(gone.mean(0), r - r**3 / 3, atol=0.012)
    everything = ModalityDropout(rates=1.0, random_state=0).corrupt(X)
    kept = np.column_stack([~np.isnan(everything[k].reshape(n, -1)).all(1) for k in X])
    assert (kept.sum(1) == 1).all() and np.allclose(kept.mean(0), 1 / 3, atol=0.015)


def test_modality_dropout_respects_existing_missingness():
    X = _data(n=400)
    out = ModalityDropout(rates=1.0, random_state=0).corrupt(X)
    mask_in = np.column_stack([~np.isnan(X[k].reshape(400, -1)).all(1) for k in X])
    mask_out = np.column_stack([~np.isnan(out[k].reshape(400, -1)).all(1) for k in X])
    assert (mask_out <= mask_in).all() and (mask_out.sum(1) == 1).all()
    assert np.isnan(out["s"][10:20, 2:]).all()
    single = np.random.RandomState(0).randn(20, 3)
    with pytest.warns(UserWarning, match=r"single modality \('x'\).*returned unchanged"):
        _same(ModalityDropout(rates=1.0).corrupt(single), single)


# -- Flat data split by the column spec ``modalities`` (issue 14) ------------------


def _wine_df():
    rng = np.random.RandomState(0)
    cols = ["mean", "sd", "p1", "p2", "p3"]
    return pd.DataFrame(rng.randn(30, 5), columns=cols, index=np.arange(100, 130))


def test_noise_targets_one_modality_of_a_dataframe():
    df = _wine_df()
    spec = {"mean": ["mean", "sd"], "rest": ["p1", "p2", "p3"]}
    # Before: "the data has modalities ['x']"; the error now says how to split.
    with pytest.raises(ValueError, match=r"single modality 'x' unless split: pass modalities="):
        GaussianNoise(targets="mean").corrupt(df)
    out = GaussianNoise(std=1.0, targets="mean", modalities=spec, random_state=0).corrupt(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(df.columns) and (out.index == df.index).all()
    assert (out[["p1", "p2", "p3"]].to_numpy() == df[["p1", "p2", "p3"]].to_numpy()).all()
    assert (out[["mean", "sd"]].to_numpy() != df[["mean", "sd"]].to_numpy()).all()
    assert (df.to_numpy() == _wine_df().to_numpy()).all()  # input untouched


def test_transformers_take_positional_spec_on_arrays():
    X = _wine_df().to_numpy()
    spec = {"a": [0, 1], "b": slice(2, 5)}
    masked = FeatureMasking(p=1.0, targets="b", modalities=spec).corrupt(X)
    assert masked.shape == X.shape and (masked[:, 2:] == 0).all()
    assert (masked[:, :2] == X[:, :2]).all()
    dropped = ModalityDropout(rates={"a": 1.0}, modalities=spec, random_state=0).corrupt(X)
    assert np.isnan(dropped[:, :2]).all() and (dropped[:, 2:] == X[:, 2:]).all()
    kept = KeepModalities("b", modalities=spec).corrupt(X)
    assert np.isnan(kept[:, :2]).all() and (kept[:, 2:] == X[:, 2:]).all()
    scaled = PerModality(StandardScaler(), targets="a", modalities=spec).fit_transform(X)
    assert np.allclose(scaled[:, :2].mean(0), 0) and (scaled[:, 2:] == X[:, 2:]).all()
    with pytest.raises(ValueError, match=r"changes the width of modality 'a' \(2 -> 1"):
        PerModality(PCA(n_components=1), modalities=spec).fit_transform(X)


def test_spec_in_a_pipeline_step_fit_then_transform():
    X = _wine_df().to_numpy()
    noise = GaussianNoise(std=1.0, targets="a", modalities={"a": [0], "b": [1, 2, 3, 4]},
                          random_state=0).fit(X)
    assert noise.modalities_ == ["a", "b"] and noise.n_features_in_ == 5
    out = noise.transform(X)
    assert (out[:, 0] != X[:, 0]).all() and (out[:, 1:] == X[:, 1:]).all()


def test_modality_dropout_on_flat_data_warns():
    # The example: ModalityDropout(rates=0.5).corrupt(df.values) did nothing, silently.
    values = _wine_df().to_numpy()
    with pytest.warns(UserWarning, match="ModalityDropout: the data has a single modality"):
        out = ModalityDropout(rates=0.5).corrupt(values)
    _same(out, values)


def test_old_meaning_of_modalities_gets_a_pointer_to_targets():
    with pytest.raises(TypeError, match=r"modalities is the column spec.*use targets='a'"):
        GaussianNoise(modalities="a").corrupt({"a": np.ones((3, 2))})


# -- KeepModalities -------------------------------------------------------------


def test_keep_modalities_is_exact_and_deterministic():
    X = _data()
    X["a"][:5] = 1.0  # make every row keepable under ("a", "s")
    out = KeepModalities(["a", "s"]).corrupt(X)
    _same(out["a"], X["a"])
    _same(out["s"], X["s"])
    assert np.isnan(out["b"]).all() and out["b"].shape == X["b"].shape
    again = KeepModalities(["a", "s"]).corrupt(X)
    _same(again["b"], out["b"])
    with pytest.raises(ValueError, match=r"KeepModalities\(\['b'\]\) leaves rows \[5, 6, 7\] "):
        KeepModalities("b").corrupt(X)


# -- PerModality ----------------------------------------------------------------


def test_per_modality_fits_on_present_rows_and_valid_timesteps():
    X = _data(n=60)
    pm = PerModality(StandardScaler()).fit(X)
    assert set(pm.transformers_) == {"a", "b", "s"}
    assert pm.transformers_["a"] is not pm.transformers_["b"]
    np.testing.assert_allclose(pm.transformers_["a"].mean_, X["a"][5:].mean(0))
    valid = ~np.isnan(X["s"]).all(2)
    np.testing.assert_allclose(pm.transformers_["s"].mean_, X["s"][valid].mean(0))
    out = pm.transform(X)
    assert np.isnan(out["a"][:5]).all() and np.isnan(out["b"][5:8]).all()
    assert np.isnan(out["s"][~valid]).all() and np.isfinite(out["s"][valid]).all()
    np.testing.assert_allclose(out["a"][5:].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(out["a"][5:].std(0), 1)
    ft = PerModality(StandardScaler()).fit_transform(X)
    for k in X:
        np.testing.assert_allclose(ft[k], out[k])


def test_per_modality_changes_dimension_and_passes_through():
    X = _data(n=60)
    pm = PerModality(PCA(n_components=1), targets=["a", "s"])
    out = pm.fit_transform(X)
    assert out["a"].shape == (60, 1) and out["s"].shape == (60, 4, 1)
    _same(out["b"], X["b"])
    assert set(pm.transformers_) == {"a", "s"}
    # a modality missing everywhere at transform: all-NaN rows of the fitted width
    Xt = dict(X, a=np.full((60, 3), np.nan))
    out = pm.transform(Xt)
    assert out["a"].shape == (60, 1) and np.isnan(out["a"]).all()
    with pytest.raises(ValueError, match="modality 'a' has no present sample to fit on"):
        PerModality(StandardScaler()).fit(Xt)


def test_per_modality_passes_y_and_handles_float32():
    rng = np.random.RandomState(0)
    y = np.tile([0, 1], 30)
    X = {"a": np.column_stack([rng.randn(60), y + 0.01 * rng.randn(60)]).astype(np.float32),
         "b": rng.randn(60, 2)}
    X["a"][:4] = np.nan
    out = PerModality(SelectKBest(k=1)).fit_transform(X, y)
    np.testing.assert_array_equal(out["a"][4:, 0], X["a"][4:, 1])  # the informative column
    assert out["a"].dtype == np.float32
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        PerModality(SelectKBest(k=1)).fit(X, y[:10])


def test_per_modality_grid_search_in_pipeline():
    rng = np.random.RandomState(0)
    y = np.tile([0, 1, 2], 30)
    X = MultimodalData(
        a=100 + 50 * (y[:, None] + 0.3 * rng.randn(90, 3)), b=rng.randn(90, 2, 3)
    )
    X["a"][:6] = np.nan
    pipe = Pipeline(
        [
            ("scale", PerModality(StandardScaler())),
            ("clf", RAMLClassifier(max_epochs=3, lr=1e-2, hidden_sizes=(16,), latent_dim=8,
                                   batch_size=32, random_state=0)),
        ]
    )
    search = GridSearchCV(pipe, {"clf__lambda1": [0.0, 1.0]}, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_estimator_["scale"].transformers_["a"].mean_.shape == (3,)
    assert search.score(X, y) > 0.6


# -- corruption in a Pipeline ---------------------------------------------------


def test_pipeline_trains_clean_and_predicts_on_corrupted_data():
    rng = np.random.RandomState(0)
    y = np.tile([0, 1], 40)
    X = {"a": y[:, None] + 0.3 * rng.randn(80, 3), "b": rng.randn(80, 2)}
    params = dict(max_epochs=2, hidden_sizes=(8,), latent_dim=4, random_state=0)
    noise = GaussianNoise(std=2.0, targets="a", random_state=1)
    pipe = Pipeline([("noise", noise), ("clf", RAMLClassifier(**params))]).fit(X, y)
    clean = RAMLClassifier(**params).fit(X, y)
    # trained on clean data: the same network as a fit without the noise step
    for p, q in zip(pipe["clf"].net_.module_.parameters(), clean.net_.module_.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    # predicts on corrupted data: exactly the explicit corruption of X
    np.testing.assert_array_equal(
        pipe.predict_proba(X), clean.predict_proba(noise.corrupt(X))
    )
    assert not np.allclose(pipe.predict_proba(X), clean.predict_proba(X))


# -- SplitModalities ------------------------------------------------------------


def test_split_modalities_contract():
    rng = np.random.RandomState(0)
    flat = rng.randn(12, 5).astype(np.float32)
    spec = {"a": [0, 1], "b": slice(2, 5)}
    split = SplitModalities(spec)
    out = split.transform(flat)  # stateless: no fit needed
    assert isinstance(out, MultimodalData) and list(out) == ["a", "b"]
    _same(out["a"], flat[:, :2])
    _same(out["b"], flat[:, 2:])
    assert out["b"].dtype == np.float32
    fitted = clone(split).fit(flat)
    assert fitted.n_features_in_ == 5 and fitted.modalities_ == ["a", "b"]
    # what the xfailed sklearn checks test, on the dict: pickling, subset and order
    # invariance, idempotent fit
    restored = pickle.loads(pickle.dumps(fitted))
    order = rng.permutation(12)
    for k in spec:
        _same(restored.transform(flat)[k], out[k])
        _same(fitted.transform(flat[order])[k], out[k][order])
        _same(fitted.transform(flat[:5])[k], out[k][:5])
        _same(clone(split).fit(flat).fit(flat).transform(flat)[k], out[k])
    with pytest.raises(ValueError, match="X has 4 features, but SplitModalities is expecting 5"):
        fitted.transform(flat[:, :4])
    df = pd.DataFrame(flat, columns=list("pqrst"))
    out = SplitModalities({"a": ["p", "t"], "b": ["q", "r", "s"]}).fit(df).transform(df)
    _same(out["a"], flat[:, [0, 4]])


def test_split_modalities_starts_a_pipeline():
    rng = np.random.RandomState(0)
    y = np.tile([0, 1], 30)
    flat = np.column_stack([y + 0.2 * rng.randn(60), rng.randn(60, 2)]) * 10
    pipe = make_pipeline(
        SplitModalities({"a": [0], "b": [1, 2]}),
        PerModality(StandardScaler()),
        RAMLClassifier(max_epochs=5, lr=1e-2, hidden_sizes=(8,), latent_dim=4, batch_size=16,
                       random_state=0),
    ).fit(flat, y)
    assert pipe[-1].modalities_ == ["a", "b"]
    assert pipe.score(flat, y) > 0.8
