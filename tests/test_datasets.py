"""Tests of skmm.datasets: the synthetic generators, the digit loaders and the regression
loaders."""

import csv
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import sklearn.datasets
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from skmm import MultimodalData, check_multimodal
from skmm.datasets import (
    _loaders,
    fetch_california_housing_multimodal,
    fetch_multiple_features,
    load_diabetes_multimodal,
    load_digits_multimodal,
    make_multimodal_classification,
    make_multimodal_regression,
)

MFEAT_SHAPES = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}


# ---------------------------------------------------------------------------
# make_multimodal_classification
# ---------------------------------------------------------------------------


def _accuracies(X, y):
    """Held-out LogisticRegression accuracy of each single modality and of all together.

    Missing rows are zero-filled (the data layer's fill)."""
    data = check_multimodal(X, dtype=np.float64)
    train, test = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0, stratify=y)

    def score(cols):
        Z = np.hstack([data.arrays[i] for i in cols])
        clf = LogisticRegression(max_iter=500).fit(Z[train], y[train])
        return clf.score(Z[test], y[test])

    singles = [score([i]) for i in range(len(data.names))]
    return singles, score(range(len(data.names)))


def test_redundancy_one_makes_each_modality_nearly_as_good_as_all():
    X, y = make_multimodal_classification(400, 4, 3, redundancy=1.0, random_state=0)
    singles, together = _accuracies(X, y)
    assert together >= 0.95
    assert min(singles) >= together - 0.12
    assert min(singles) >= 0.8  # chance is 0.25


def test_redundancy_zero_makes_single_modalities_much_weaker():
    X, y = make_multimodal_classification(400, 4, 3, redundancy=0.0, random_state=0)
    singles, together = _accuracies(X, y)
    assert together >= 0.95
    # A single modality only tells a pair of classes apart: about 50% at best.
    assert max(singles) <= 0.62
    assert max(singles) <= together - 0.35


def test_info_codes_make_classes_identifiable_only_together():
    _, y, info = make_multimodal_classification(
        200, 10, 3, redundancy=0.0, random_state=0, return_info=True
    )
    codes = info.codes
    assert codes.shape == (10, 3)
    assert info.n_symbols == 3  # the smallest q with q**3 >= 10
    assert len({tuple(c) for c in codes}) == 10  # all modalities together: injective
    for m in range(3):  # each single modality: every symbol shared by 3 or 4 classes
        assert sorted(np.bincount(codes[:, m]).tolist()) == [3, 3, 4]
    # latent = class_sep * [sqrt(r) one_hot(y), sqrt(1 - r) one_hot(code)], r = 0
    latent = info.latent["m1"]
    assert latent.shape == (200, 13)
    np.testing.assert_array_equal(latent[:, :10], 0.0)
    np.testing.assert_array_equal(latent[:, 10:].argmax(1), codes[y, 1])
    np.testing.assert_allclose(latent.sum(1), 3.0)


def test_noise_per_modality_makes_a_weak_and_a_strong_modality():
    X, y, info = make_multimodal_classification(
        400, 4, {"strong": 16, "weak": 16}, redundancy=1.0,
        noise={"strong": 0.3, "weak": 4.0}, random_state=0, return_info=True,
    )
    assert info.noise == {"strong": 0.3, "weak": 4.0}
    (strong, weak), _ = _accuracies(X, y)
    assert strong >= 0.97
    assert weak <= strong - 0.3
    # Residual noise matches the requested std.
    resid = X["weak"] - info.latent["weak"] @ info.projections["weak"].T
    assert resid.std() == pytest.approx(4.0, rel=0.05)


def test_shapes_dtypes_names_and_balance():
    X, y = make_multimodal_classification(
        103, 3, {"img": 12, "txt": 5, "aud": 2}, sequence={"txt": 7, "aud": (2, 4)},
        random_state=1,
    )
    assert isinstance(X, MultimodalData)
    assert list(X) == ["img", "txt", "aud"]
    assert X["img"].shape == (103, 12)
    assert X["txt"].shape == (103, 7, 5)
    assert X["aud"].shape == (103, 4, 2)
    assert all(v.dtype == np.float64 for v in X.values())
    assert y.dtype.kind == "i" and sorted(np.bincount(y).tolist()) == [34, 34, 35]
    data = check_multimodal(X)  # passes the NaN rule: padding only at the end
    assert data.mask.all()
    assert (data.lengths[1] == 7).all()
    assert set(np.unique(data.lengths[2])) == {2, 3, 4}
    assert not np.isnan(X["img"]).any()

    X2, _ = make_multimodal_classification(10, 2, 4, n_features=3, random_state=0)
    assert list(X2) == ["m0", "m1", "m2", "m3"]
    assert all(v.shape == (10, 3) for v in X2.values())


def test_missing_rates_are_met_exactly_and_no_sample_is_empty():
    rates = {"a": 0.5, "b": 0.3, "c": 0.6}
    X, y, info = make_multimodal_classification(
        500, 4, {"a": 4, "b": 4, "c": 3}, sequence={"c": (2, 5)}, missing_rates=rates,
        random_state=0, return_info=True,
    )
    data = check_multimodal(X)  # raises if a sample had every modality missing
    missing = (~data.mask).mean(0)
    np.testing.assert_allclose(missing, [0.5, 0.3, 0.6])
    np.testing.assert_array_equal(data.mask, info.mask)
    assert data.mask.any(1).all()
    np.testing.assert_array_equal(data.lengths[2], info.lengths["c"])
    assert (info.lengths["c"][~info.mask[:, 2]] == 0).all()
    # Independence across modalities, apart from the no-empty-row rule: the
    # share of rows missing both "a" and "c" is near 0.5 * 0.6.
    both = (~data.mask[:, 0] & ~data.mask[:, 2]).mean()
    assert 0.2 <= both <= 0.4


def test_missing_rates_as_one_float_and_as_a_list():
    X, _ = make_multimodal_classification(200, 2, 2, missing_rates=0.4, random_state=0)
    mask = check_multimodal(X).mask
    np.testing.assert_allclose((~mask).mean(0), [0.4, 0.4])
    X, _ = make_multimodal_classification(200, 2, 2, missing_rates=[0.0, 0.9], random_state=0)
    mask = check_multimodal(X).mask
    np.testing.assert_allclose((~mask).mean(0), [0.0, 0.9])


def test_random_state_makes_it_deterministic():
    kwargs = dict(sequence={"m1": (2, 4)}, missing_rates=0.2, return_info=True)
    X1, y1, i1 = make_multimodal_classification(50, 3, 3, random_state=7, **kwargs)
    X2, y2, i2 = make_multimodal_classification(
        50, 3, 3, random_state=np.random.RandomState(7), **kwargs
    )
    np.testing.assert_array_equal(y1, y2)
    for name in X1:
        np.testing.assert_array_equal(X1[name], X2[name])  # NaN in the same places too
    np.testing.assert_array_equal(i1.mask, i2.mask)
    X3, _ = make_multimodal_classification(50, 3, 3, random_state=8)
    assert not np.allclose(X1["m0"], X3["m0"])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_classes=1), ValueError, r"n_classes must be an int >= 2, got 1"),
        (dict(n_samples=0), ValueError, r"n_samples must be a positive int, got 0"),
        (dict(redundancy=1.5), ValueError, r"redundancy must be in \[0, 1\], got 1.5"),
        (dict(modalities=0), ValueError, r"`modalities` must be at least 1, got 0"),
        (dict(modalities="ab"), TypeError, r"`modalities` must be an int, a list of names"),
        (dict(modalities={"a": 0}), ValueError, r"Modality 'a': n_features must be a positive"),
        (dict(noise={"z": 1.0}), ValueError, r"`noise` names unknown modalities \['z'\]"),
        (dict(noise=-1.0), ValueError, r"Noise std of modality 'm0' must be >= 0"),
        (dict(noise=[1.0, 2.0]), ValueError, r"`noise` has 2 values but there are 3 modalities"),
        (dict(missing_rates=1.0), ValueError, r"Missing rate of modality 'm0' must be in \[0, 1\)"),
        (
            dict(missing_rates=0.9),
            ValueError,
            r"sum to more than n_modalities - 1 = 2: some sample would have every modality",
        ),
        (
            dict(modalities=1, missing_rates=0.1),
            ValueError,
            r"A single modality cannot be missing",
        ),
        (dict(sequence={"m0": (4, 2)}), ValueError, r"sequence\['m0'\] must be a positive int T"),
        (dict(sequence={"m0": 0}), ValueError, r"sequence\['m0'\] must be a positive int T"),
    ],
)
def test_generator_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_multimodal_classification(**{"n_samples": 20, **kwargs})


def test_generator_does_not_import_torch():
    code = (
        "import sys; import skmm.datasets as d; "
        "d.make_multimodal_classification(20, random_state=0); d.load_digits_multimodal(); "
        "d.make_multimodal_regression(20, nonlinear=True, random_state=0); "
        "d.load_diabetes_multimodal(); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    import subprocess

    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# make_multimodal_regression
# ---------------------------------------------------------------------------


def _r2(model, X, y):
    """Held-out R² of ``model`` on the concatenated modalities (complete data)."""
    Z = np.hstack(list(X.values()))
    train, test = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0)
    return model.fit(Z[train], y[train]).score(Z[test], y[test])


def test_regression_shapes_dtypes_and_ground_truth():
    X, y, info = make_multimodal_regression(
        150, {"a": 6, "b": 3}, n_informative={"a": 4}, noise=0.5, random_state=0,
        return_info=True,
    )
    assert isinstance(X, MultimodalData)
    assert list(X) == ["a", "b"] == info.modalities
    assert {k: v.shape for k, v in X.items()} == {"a": (150, 6), "b": (150, 3)}
    assert all(v.dtype == np.float64 for v in X.values())
    assert y.shape == (150,) and y.dtype == np.float64
    # "b" not named: half of its 3 features, rounded up, are informative.
    assert {k: v.tolist() for k, v in info.informative.items()} == {
        "a": [0, 1, 2, 3], "b": [0, 1]
    }
    assert info.coef["a"].shape == (6,)
    np.testing.assert_array_equal(info.coef["a"][4:], 0.0)
    np.testing.assert_array_equal(info.coef["b"][2:], 0.0)
    assert ((info.coef["a"][:4] > 0) & (info.coef["a"][:4] < 100)).all()
    assert info.orders is None and info.pairs == []
    np.testing.assert_array_equal(info.interactions, 0.0)
    # y = X_a @ w_a + X_b @ w_b + noise of std 0.5
    np.testing.assert_allclose(info.contributions["a"], X["a"] @ info.coef["a"])
    resid = y - X["a"] @ info.coef["a"] - X["b"] @ info.coef["b"]
    assert resid.std() == pytest.approx(0.5, rel=0.15)
    assert abs(resid.mean()) < 0.15
    assert X["a"].std() == pytest.approx(1.0, rel=0.1)  # standard normal features


def test_regression_nonlinear_formula():
    X, y, info = make_multimodal_regression(
        300, 2, n_features=6, n_informative=5, noise=0.0, nonlinear=True, random_state=0,
        return_info=True,
    )
    a, b = X["m0"], X["m1"]
    assert a.min() >= 0 and a.max() <= 1  # uniform features
    assert info.coef is None and info.pairs == [("m0", "m1")]
    np.testing.assert_array_equal(info.orders["m0"], [[0, 1, 2, 3, 4]])

    def friedman(u):
        return (10 * np.sin(np.pi * u[:, 0] * u[:, 1]) + 20 * (u[:, 2] - 0.5) ** 2
                + 10 * u[:, 3] + 5 * u[:, 4])

    cross = 40 * (a[:, 0] - 0.5) * (b[:, 0] - 0.5)
    np.testing.assert_allclose(info.contributions["m0"], friedman(a))
    np.testing.assert_allclose(info.interactions, cross)
    np.testing.assert_allclose(y, friedman(a) + friedman(b) + cross)


def test_regression_nonlinear_partial_blocks_and_noise_modalities():
    X, y, info = make_multimodal_regression(
        50, 3, n_features=8, n_informative=[7, 0, 1], noise=0.0, nonlinear=True,
        random_state=0, return_info=True,
    )
    u, w = X["m0"], X["m2"]
    # Second block of m0 has two features: only its sin term; m2's lone feature: sin(pi u).
    expected = (10 * np.sin(np.pi * u[:, 0] * u[:, 1]) + 20 * (u[:, 2] - 0.5) ** 2
                + 10 * u[:, 3] + 5 * u[:, 4] + 10 * np.sin(np.pi * u[:, 5] * u[:, 6]))
    np.testing.assert_allclose(info.contributions["m0"], expected)
    np.testing.assert_array_equal(info.contributions["m1"], 0.0)  # a modality of pure noise
    np.testing.assert_allclose(info.contributions["m2"], 10 * np.sin(np.pi * w[:, 0]))
    assert info.pairs == [("m0", "m2")]  # m1 has nothing to interact with
    np.testing.assert_allclose(info.interactions, 40 * (u[:, 0] - 0.5) * (w[:, 0] - 0.5))


def test_regression_nonlinear_needs_a_nonlinear_model_and_fusion():
    kwargs = dict(n_samples=2000, modalities=2, n_features=5, n_informative=5, random_state=0)
    X_lin, y_lin = make_multimodal_regression(**kwargs)
    X, y, info = make_multimodal_regression(nonlinear=True, return_info=True, **kwargs)
    ridge_lin = _r2(RidgeCV(), X_lin, y_lin)
    ridge = _r2(RidgeCV(), X, y)
    boost = _r2(HistGradientBoostingRegressor(max_iter=200, random_state=0), X, y)
    assert ridge_lin >= 0.999
    assert ridge <= 0.7
    assert boost >= 0.85
    # The cross-modal term is unpredictable from either modality alone.
    for name in X:
        single = _r2(HistGradientBoostingRegressor(max_iter=50, random_state=0),
                     {name: X[name]}, info.interactions)
        assert single <= 0.05
    assert info.interactions.std() >= 0.3 * y.std()


def test_regression_n_targets():
    X, Y, info = make_multimodal_regression(80, 2, n_targets=3, noise=0.0, random_state=0,
                                            return_info=True)
    assert Y.shape == (80, 3) and Y.dtype == np.float64
    assert info.coef["m0"].shape == (10, 3)
    np.testing.assert_allclose(Y, X["m0"] @ info.coef["m0"] + X["m1"] @ info.coef["m1"])
    assert np.corrcoef(Y.T)[0, 1] < 0.99  # different weights per target

    X, Y, info = make_multimodal_regression(80, 2, n_targets=3, nonlinear=True, noise=0.0,
                                            random_state=0, return_info=True)
    assert Y.shape == (80, 3) and info.interactions.shape == (80, 3)
    orders = info.orders["m1"]
    assert orders.shape == (3, 5)
    np.testing.assert_array_equal(orders[0], np.arange(5))
    assert all(sorted(o) == list(range(5)) for o in orders.tolist())
    np.testing.assert_allclose(
        Y[:, 2], info.contributions["m0"][:, 2] + info.contributions["m1"][:, 2]
        + 40 * (X["m0"][:, info.orders["m0"][2, 0]] - 0.5) * (X["m1"][:, orders[2, 0]] - 0.5)
    )
    assert not np.allclose(Y[:, 0], Y[:, 1])


def test_regression_missing_rates():
    rates = {"a": 0.5, "b": 0.3, "c": 0.6}
    X, y, info = make_multimodal_regression(
        500, {"a": 4, "b": 4, "c": 3}, missing_rates=rates, random_state=0, return_info=True,
    )
    data = check_multimodal(X)  # raises if a sample had every modality missing
    np.testing.assert_allclose((~data.mask).mean(0), [0.5, 0.3, 0.6])
    np.testing.assert_array_equal(data.mask, info.mask)
    assert data.mask.any(1).all()
    for m, name in enumerate(X):
        rows = X[name][~info.mask[:, m]]
        assert np.isnan(rows).all()  # whole rows
        assert not np.isnan(X[name][info.mask[:, m]]).any()
    assert not np.isnan(y).any()  # the target comes from the complete features
    both = (~data.mask[:, 0] & ~data.mask[:, 2]).mean()
    assert 0.2 <= both <= 0.4

    X, _ = make_multimodal_regression(200, 2, missing_rates=[0.0, 0.9], random_state=0)
    np.testing.assert_allclose((~check_multimodal(X).mask).mean(0), [0.0, 0.9])


def test_regression_random_state_makes_it_deterministic():
    kwargs = dict(nonlinear=True, n_targets=2, missing_rates=0.2)
    X1, y1 = make_multimodal_regression(60, 3, random_state=7, **kwargs)
    X2, y2 = make_multimodal_regression(60, 3, random_state=np.random.RandomState(7), **kwargs)
    np.testing.assert_array_equal(y1, y2)
    for name in X1:
        np.testing.assert_array_equal(X1[name], X2[name])  # NaN in the same places too
    _, y3 = make_multimodal_regression(60, 3, random_state=8, **kwargs)
    assert not np.allclose(y1, y3)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_samples=0), ValueError, r"n_samples must be a positive int, got 0"),
        (dict(n_targets=0), ValueError, r"n_targets must be a positive int, got 0"),
        (dict(noise=-0.1), ValueError, r"noise must be a non-negative number, got -0.1"),
        (
            dict(n_informative=11),
            ValueError,
            r"n_informative of modality 'm0' \(11\) exceeds its n_features \(10\)",
        ),
        (
            dict(modalities={"a": 3, "b": 8}, n_informative={"a": 4}),
            ValueError,
            r"n_informative of modality 'a' \(4\) exceeds its n_features \(3\)",
        ),
        (
            dict(n_informative=-1),
            ValueError,
            r"n_informative of modality 'm0' must be a non-negative int, got -1",
        ),
        (dict(n_informative=2.5), ValueError, r"must be a non-negative int, got 2.5"),
        (dict(n_informative={"z": 1}), ValueError, r"`n_informative` names unknown modalities"),
        (dict(n_informative=[1, 2]), ValueError, r"`n_informative` has 2 values but there are 3"),
        (dict(modalities=0), ValueError, r"`modalities` must be at least 1, got 0"),
        (dict(missing_rates=1.0), ValueError, r"Missing rate of modality 'm0' must be in \[0, 1\)"),
        (dict(missing_rates=0.9), ValueError, r"sum to more than n_modalities - 1 = 2"),
        (dict(modalities=1, missing_rates=0.1), ValueError, r"A single modality cannot be"),
    ],
)
def test_regression_generator_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_multimodal_regression(**{"n_samples": 20, **kwargs})


# ---------------------------------------------------------------------------
# load_digits_multimodal
# ---------------------------------------------------------------------------


def test_load_digits_multimodal():
    bunch = load_digits_multimodal()
    X = bunch.data
    assert bunch.modalities == ["top", "bottom", "profile"]
    assert {k: v.shape for k, v in X.items()} == {
        "top": (1797, 32), "bottom": (1797, 32), "profile": (1797, 16)
    }
    assert all(v.dtype == np.float64 for v in X.values())
    assert bunch.target.shape == (1797,) and set(bunch.target) == set(range(10))
    assert {k: len(v) for k, v in bunch.feature_names.items()} == {
        "top": 32, "bottom": 32, "profile": 16
    }
    assert "top" in bunch.DESCR and "profile" in bunch.DESCR
    # The views are the halves and the projection profiles of the image.
    img = bunch.images[5]
    np.testing.assert_array_equal(X["top"][5], img[:4].ravel())
    np.testing.assert_array_equal(X["bottom"][5], img[4:].ravel())
    np.testing.assert_array_equal(X["profile"][5], np.r_[img.sum(1), img.sum(0)])
    X2, y2 = load_digits_multimodal(return_X_y=True)
    np.testing.assert_array_equal(X2["profile"], X["profile"])
    np.testing.assert_array_equal(y2, bunch.target)


# ---------------------------------------------------------------------------
# fetch_multiple_features
# ---------------------------------------------------------------------------


def _check_mfeat(bunch):
    X = bunch.data
    assert isinstance(X, MultimodalData)
    assert list(X) == list(MFEAT_SHAPES) == bunch.modalities
    assert {k: v.shape[1] for k, v in X.items()} == MFEAT_SHAPES
    assert all(v.shape[0] == 2000 and v.dtype == np.float64 for v in X.values())
    np.testing.assert_array_equal(bunch.target, np.repeat(np.arange(10), 200))
    assert {k: len(v) for k, v in bunch.feature_names.items()} == MFEAT_SHAPES
    assert "Zernike" in bunch.view_descriptions["zer"]


def test_fetch_multiple_features_from_a_prepopulated_home(uci_home):
    bunch = fetch_multiple_features(data_home=uci_home, download_if_missing=False)
    _check_mfeat(bunch)
    first = np.loadtxt(Path(uci_home) / "mfeat-mor", max_rows=1)
    np.testing.assert_allclose(bunch.data["mor"][0], first)
    X, y = fetch_multiple_features(
        data_home=uci_home, download_if_missing=False, return_X_y=True
    )
    np.testing.assert_array_equal(X["fou"], bunch.data["fou"])


def test_fetch_multiple_features_missing_without_download(tmp_path):
    with pytest.raises(OSError, match=r"UCI Multiple Features not found in .* and "
                       r"download_if_missing is False"):
        fetch_multiple_features(data_home=tmp_path, download_if_missing=False)


def test_local_checksums_match_the_pinned_ones(uci_home):
    for view, (_, _, checksum) in _loaders._MFEAT_VIEWS.items():
        digest = hashlib.sha256((Path(uci_home) / f"mfeat-{view}").read_bytes()).hexdigest()
        assert digest == checksum, view


def _serve_zip(monkeypatch, uci_home, corrupt=None):
    """Make ``_download`` write a zip like UCI's (folder ``mfeat/``) built from local files."""
    calls = []

    def fake_download(url, path):
        calls.append(url)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("mfeat/mfeat.info", "Multiple Features\n")
            for view in MFEAT_SHAPES:
                content = (Path(uci_home) / f"mfeat-{view}").read_bytes()
                if view == corrupt:
                    content = content.replace(b"1", b"2", 1)
                archive.writestr(f"mfeat/mfeat-{view}", content)
        Path(path).write_bytes(buffer.getvalue())

    monkeypatch.setattr(_loaders, "_download", fake_download)
    return calls


def test_fetch_multiple_features_downloads_extracts_and_caches(monkeypatch, tmp_path, uci_home):
    calls = _serve_zip(monkeypatch, uci_home)
    bunch = fetch_multiple_features(data_home=tmp_path)
    _check_mfeat(bunch)
    assert calls == [_loaders._MFEAT_URL]
    cached = sorted(p.name for p in (tmp_path / "uci_mfeat").iterdir())
    assert cached == sorted(f"mfeat-{v}" for v in MFEAT_SHAPES)  # no zip, no temp folder left
    reference = fetch_multiple_features(data_home=uci_home, download_if_missing=False)
    for view in MFEAT_SHAPES:
        np.testing.assert_array_equal(bunch.data[view], reference.data[view])
    # Second call: read from the cache, no download.
    again = fetch_multiple_features(data_home=tmp_path, download_if_missing=False)
    np.testing.assert_array_equal(again.data["pix"], bunch.data["pix"])
    assert len(calls) == 1


def test_fetch_multiple_features_rejects_a_corrupted_download(monkeypatch, tmp_path, uci_home):
    _serve_zip(monkeypatch, uci_home, corrupt="kar")
    with pytest.raises(OSError, match=r"mfeat-kar downloaded from .* has an SHA256 checksum "
                       r"\([0-9a-f]{64}\) differing from expected \(386d42f4"):
        fetch_multiple_features(data_home=tmp_path)
    folder = tmp_path / "uci_mfeat"
    assert list(folder.iterdir()) == []  # nothing unverified was cached
    with pytest.raises(OSError, match="download_if_missing is False"):
        fetch_multiple_features(data_home=tmp_path, download_if_missing=False)


def test_fetch_multiple_features_rejects_a_bad_archive(monkeypatch, tmp_path):
    monkeypatch.setattr(_loaders, "_download", lambda url, path: Path(path).write_bytes(b"<html>"))
    with pytest.raises(OSError, match="is not a valid zip file"):
        fetch_multiple_features(data_home=tmp_path)

    def incomplete(url, path):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("mfeat/mfeat-fou", "1 2\n")

    monkeypatch.setattr(_loaders, "_download", incomplete)
    with pytest.raises(OSError, match=r"lacks the files \['mfeat-fac', 'mfeat-kar'"):
        fetch_multiple_features(data_home=tmp_path)


def test_fetch_multiple_features_reports_a_truncated_cache(tmp_path, uci_home):
    for view in MFEAT_SHAPES:
        lines = (Path(uci_home) / f"mfeat-{view}").read_text().splitlines()
        keep = lines[:10] if view == "zer" else lines
        (tmp_path / f"mfeat-{view}").write_text("\n".join(keep) + "\n")
    with pytest.raises(OSError, match=r"mfeat-zer holds an array of shape \(10, 47\); "
                       r"expected \(2000, 47\)"):
        fetch_multiple_features(data_home=tmp_path, download_if_missing=False)


# ---------------------------------------------------------------------------
# load_diabetes_multimodal
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("scaled", [True, False])
def test_load_diabetes_multimodal_splits_the_columns(scaled):
    reference = load_diabetes(scaled=scaled)
    bunch = load_diabetes_multimodal(scaled=scaled)
    X = bunch.data
    assert isinstance(X, MultimodalData)
    assert bunch.modalities == list(X) == ["demographics", "serum"]
    assert bunch.feature_names == {
        "demographics": ["age", "sex", "bmi", "bp"],
        "serum": ["s1", "s2", "s3", "s4", "s5", "s6"],
    }
    assert {k: v.shape for k, v in X.items()} == {"demographics": (442, 4), "serum": (442, 6)}
    assert all(v.dtype == np.float64 for v in X.values())
    np.testing.assert_array_equal(X["demographics"], reference.data[:, :4])
    np.testing.assert_array_equal(X["serum"], reference.data[:, 4:])
    assert bunch.target.dtype == np.float64
    np.testing.assert_array_equal(bunch.target, reference.target)
    assert "serum" in bunch.DESCR and "disease progression" in bunch.DESCR
    X2, y2 = load_diabetes_multimodal(scaled=scaled, return_X_y=True)
    np.testing.assert_array_equal(X2["serum"], X["serum"])
    np.testing.assert_array_equal(y2, bunch.target)


def test_load_diabetes_multimodal_raw_units():
    X, _ = load_diabetes_multimodal(scaled=False, return_X_y=True)
    assert set(np.unique(X["demographics"][:, 1])) == {1.0, 2.0}  # sex
    assert 19 <= X["demographics"][:, 0].min() and X["demographics"][:, 0].max() <= 79  # age


# ---------------------------------------------------------------------------
# fetch_california_housing_multimodal
# ---------------------------------------------------------------------------

CALIFORNIA_SPLIT = {
    "location": ["Latitude", "Longitude"],
    "house": ["HouseAge", "AveRooms", "AveBedrms"],
    "people": ["MedInc", "Population", "AveOccup"],
}


def _check_california(bunch, n_rows):
    X = bunch.data
    assert isinstance(X, MultimodalData)
    assert bunch.modalities == list(X) == list(CALIFORNIA_SPLIT)
    assert bunch.feature_names == CALIFORNIA_SPLIT
    assert {k: v.shape for k, v in X.items()} == {
        k: (n_rows, len(v)) for k, v in CALIFORNIA_SPLIT.items()
    }
    assert all(v.dtype == np.float64 for v in X.values())
    assert bunch.target.shape == (n_rows,) and bunch.target.dtype == np.float64
    assert bunch.target_names == ["MedHouseVal"]
    assert "100,000 dollars" in bunch.DESCR


def test_fetch_california_housing_multimodal_reads_the_csv(california_home, monkeypatch):
    def no_fetch(**kwargs):
        raise AssertionError("the CSV file is there: scikit-learn's fetcher must not be called")

    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", no_fetch)
    bunch = fetch_california_housing_multimodal(
        data_home=california_home, download_if_missing=False
    )
    _check_california(bunch, 20640)
    path = Path(california_home) / "california_housing.csv"
    with open(path, newline="") as f:
        header = next(csv.reader(f))
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    column = {name: table[:, header.index(name)] for name in header}
    for modality, names in CALIFORNIA_SPLIT.items():
        for j, name in enumerate(names):
            np.testing.assert_array_equal(bunch.data[modality][:, j], column[name])
    np.testing.assert_array_equal(bunch.target, column["MedHouseVal"])
    np.testing.assert_allclose(bunch.data["location"][0], [37.88, -122.23])
    X, y = fetch_california_housing_multimodal(data_home=california_home, return_X_y=True)
    np.testing.assert_array_equal(X["people"], bunch.data["people"])
    np.testing.assert_array_equal(y, bunch.target)


def test_fetch_california_housing_multimodal_falls_back_on_scikit_learn(monkeypatch, tmp_path):
    names = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup",
             "Latitude", "Longitude"]
    data = np.arange(40, dtype=np.float64).reshape(5, 8)
    calls = []

    def fake_fetch(*, data_home=None, download_if_missing=True, **kwargs):
        calls.append((data_home, download_if_missing, kwargs))
        return Bunch(data=data, target=np.arange(5) / 10, feature_names=names,
                     target_names=["MedHouseVal"])

    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", fake_fetch)
    bunch = fetch_california_housing_multimodal(data_home=tmp_path, download_if_missing=False)
    assert calls == [(tmp_path, False, {})]
    _check_california(bunch, 5)
    np.testing.assert_array_equal(bunch.data["location"], data[:, [6, 7]])
    np.testing.assert_array_equal(bunch.data["house"], data[:, [1, 2, 3]])
    np.testing.assert_array_equal(bunch.data["people"], data[:, [0, 4, 5]])
    np.testing.assert_allclose(bunch.target, [0.0, 0.1, 0.2, 0.3, 0.4])


def test_fetch_california_housing_multimodal_without_data_or_download(monkeypatch, tmp_path):
    def offline(*, data_home=None, download_if_missing=True):
        assert not download_if_missing
        raise OSError("Data not found and `download_if_missing` is False")

    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", offline)
    with pytest.raises(OSError, match="download_if_missing"):
        fetch_california_housing_multimodal(data_home=tmp_path, download_if_missing=False)


def test_fetch_california_housing_multimodal_rejects_a_bad_csv(tmp_path):
    path = tmp_path / "california_housing.csv"
    path.write_text("MedInc,HouseAge,AveRooms,Population,AveOccup,Latitude,Longitude\n"
                    "1,2,3,4,5,6,7\n")
    with pytest.raises(ValueError, match=r"california_housing.csv lacks the columns "
                       r"\['AveBedrms', 'MedHouseVal'\]; its columns: \['MedInc'"):
        fetch_california_housing_multimodal(data_home=tmp_path)
    header = "MedHouseVal,Longitude,Latitude,AveOccup,Population,AveBedrms,AveRooms,HouseAge,MedInc"
    path.write_text(f"{header}\n1,2,3,4,5,6,7,8,nine\n")
    with pytest.raises(ValueError, match=r"Could not parse .*california_housing.csv"):
        fetch_california_housing_multimodal(data_home=tmp_path)
    path.write_text(f"{header}\n1,2,3,4,5,6,7,8\n")
    with pytest.raises(ValueError, match=r"has rows of 8 values but 9 columns in its header"):
        fetch_california_housing_multimodal(data_home=tmp_path)
    path.write_text(f"{header}\n")
    with pytest.raises(ValueError, match=r"has a header but no rows of data"):
        fetch_california_housing_multimodal(data_home=tmp_path)
    path.write_text("")
    with pytest.raises(ValueError, match=r"is empty: expected a header row"):
        fetch_california_housing_multimodal(data_home=tmp_path)
    # Columns in any order.
    path.write_text(f"{header}\n1,2,3,4,5,6,7,8,9\n0.5,2,3,4,5,6,7,8,9\n")
    X, y = fetch_california_housing_multimodal(data_home=tmp_path, return_X_y=True)
    np.testing.assert_array_equal(y, [1.0, 0.5])
    np.testing.assert_array_equal(X["location"], [[3, 2], [3, 2]])
    np.testing.assert_array_equal(X["people"], [[9, 5, 4], [9, 5, 4]])
