"""The regressor layer and the four method regressors (RAML, RedCore, ConcatFusion,
LateFusion): targets, standardization, losses, model selection and missing data.

The trusted regressor has its own tests (test_trusted_regression.py); scikit-learn's
estimator checks run on every regressor in test_common.py.
"""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import (
    ConcatFusionRegressor,
    LateFusionRegressor,
    MultimodalData,
    PerModality,
    RAMLRegressor,
    RedCoreRegressor,
)
from skmm.utils import all_estimators

REGRESSORS = [RAMLRegressor, RedCoreRegressor, ConcatFusionRegressor, LateFusionRegressor]
#: Small networks, enough epochs to learn the tasks below.
_SMALL = dict(hidden_sizes=(32,), lr=3e-3, max_epochs=60, tol=None, random_state=0)


def _small(cls, **params):
    accepted = cls().get_params()
    extra = dict(latent_dim=16, cross_hidden_sizes=(32,), decoder_hidden_sizes=(), classifier_hidden=32)
    return cls(**{k: v for k, v in {**_SMALL, **extra, **params}.items() if k in accepted})


def _linear_task(n=200, seed=0, scale=1.0, offset=0.0):
    rng = np.random.RandomState(seed)
    X = {"a": rng.randn(n, 3), "b": rng.randn(n, 2)}
    y = X["a"] @ [1.0, -2.0, 0.5] + 1.5 * X["b"][:, 0]
    return X, scale * y + offset


def test_all_estimators_lists_five_regressors():
    names = [name for name, _ in all_estimators("regressor")]
    assert {
        "RAMLRegressor",
        "RedCoreRegressor",
        "ConcatFusionRegressor",
        "LateFusionRegressor",
        "TrustedFusionRegressor",
    } <= set(names)
    assert not set(names) & {name for name, _ in all_estimators("classifier")}


@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda c: c.__name__)
def test_targets_are_standardized_and_restored(cls):
    """The module trains on standardized targets whatever their units: the same seed
    gives the same fit, in the targets' units, for y and 1000 y + 5e4."""
    X, y = _linear_task()
    small = _small(cls, max_epochs=5).fit(X, y)
    big = _small(cls, max_epochs=5).fit(X, 1000 * y + 5e4)
    np.testing.assert_allclose(big.predict(X), 1000 * small.predict(X) + 5e4, rtol=1e-5)
    np.testing.assert_allclose(big._y_mean, [1000 * y.mean() + 5e4])
    np.testing.assert_allclose(big._y_scale, [1000 * y.std()])
    assert small.n_outputs_ == 1


@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda c: c.__name__)
def test_multi_output_y(cls):
    X, y = _linear_task()
    Y = np.column_stack([y, -3 * y + 10])
    reg = _small(cls, max_epochs=5).fit(X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (200, 2)
    # a (n, 1) y: a DataConversionWarning and a 1D prediction, as scikit-learn's regressors
    with pytest.warns(DataConversionWarning):
        reg = _small(cls, max_epochs=2).fit(X, y[:, None])
    assert reg.predict(X).shape == (200,)


@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda c: c.__name__)
def test_loss_is_the_squared_error_of_the_output(cls):
    """The regression task replaces the cross-entropy by the squared error on the
    standardized targets: the module's prediction term equals it, by hand."""
    X, y = _linear_task()
    reg = _small(cls, max_epochs=3, augment=None).fit(X, y)
    module = reg.net_.module_.eval()
    from skmm._batching import TensorData
    from skmm._data import check_multimodal

    data = check_multimodal(X)
    targets = ((y - reg._y_mean) / reg._y_scale).astype(np.float32)[:, None]
    batch, yb = TensorData.from_arrays(data, targets, "cpu").batch(slice(0, 200))
    with torch.no_grad():
        terms = module.losses(module.encode(batch), yb, None, batch.mask)
        output = module.output(module.encode(batch), batch.mask)
    torch.testing.assert_close(terms["output"], output)
    se = (output - yb).pow(2).mean()
    if cls is RAMLRegressor:
        torch.testing.assert_close(terms["loss_M"], se)
    elif cls is RedCoreRegressor:
        # the joint decoder's squared error is one of the M + 1 prediction terms
        assert "loss_pred" in terms and "loss_ce" not in terms
        assert terms["loss_pred"] >= se
        assert "loss_pred" in reg.history_[-1] and "loss_ce" not in reg.history_[-1]
    elif cls is ConcatFusionRegressor:
        torch.testing.assert_close(terms["loss"], se)
    # predict is the output in the targets' units
    np.testing.assert_allclose(
        reg.predict(X), output[:, 0].numpy() * reg._y_scale[0] + reg._y_mean[0], rtol=1e-5
    )


def test_late_fusion_regressor_averages_present_modalities():
    X, y = _linear_task()
    X["b"][:50] = np.nan
    reg = _small(LateFusionRegressor, max_epochs=5).fit(X, y)
    per = reg.predict_modalities(X)
    assert np.isnan(per["b"][:50]).all() and np.isfinite(per["b"][50:]).all()
    pred = reg.predict(X)
    np.testing.assert_allclose(pred[:50], per["a"][:50], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pred[50:], (per["a"][50:] + per["b"][50:]) / 2, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda c: c.__name__)
def test_valid_r2_is_the_r2_of_the_validation_split(cls):
    """Early stopping holds out a shuffled split and records its R² (of the whole split,
    on standardized targets) as valid_r2; the restored model's is the best epoch's."""
    X, y = _linear_task(n=300)
    reg = _small(cls, max_epochs=8, early_stopping=True).fit(X, y)
    r2 = reg.history_[:, "valid_r2"]
    assert len(r2) == reg.n_iter_ and all(np.isfinite(r2))
    split = reg.net_.train_split
    _, valid = split(reg.net_.get_dataset(_dataset(reg, X, y)))
    rows = valid.rows.numpy()
    assert len(rows) == 30
    best = int(np.argmin(reg.history_[:, "valid_loss"]))
    Xv = {k: v[rows] for k, v in X.items()}
    np.testing.assert_allclose(r2_score(y[rows], reg.predict(Xv)), r2[best], atol=1e-4)


def _dataset(reg, X, y):
    from skmm._batching import TensorData
    from skmm._data import check_multimodal

    return TensorData.from_arrays(check_multimodal(X), y.astype(np.float32)[:, None], "cpu")


def _nonlinear(n, seed):
    """Three views of a latent z (each informative alone, as late fusion needs), a
    target nonlinear in z, and the first view missing for a quarter of the rows."""
    rng = np.random.RandomState(seed)
    z = rng.uniform(-2, 2, (n, 2))
    rotation = np.array([[0.6, -0.8], [0.8, 0.6]])
    X = {
        "a": np.column_stack([z, rng.randn(n, 2)]) + 0.1 * rng.randn(n, 4),
        "b": np.column_stack([z @ rotation, rng.randn(n)]) + 0.1 * rng.randn(n, 3),
        "c": np.column_stack([np.tanh(z), z.sum(1)]) + 0.2 * rng.randn(n, 3),
    }
    y = np.sin(2 * z[:, 0]) + z[:, 1] ** 2 + 0.1 * rng.randn(n)
    X["a"][rng.rand(n) < 0.25] = np.nan
    return X, y


def _concat_with_indicators(X):
    parts = []
    for v in X.values():
        missing = np.isnan(v).all(1)
        parts += [np.nan_to_num(v), missing[:, None].astype(float)]
    return np.hstack(parts)


@pytest.mark.slow
@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda c: c.__name__)
def test_beats_a_linear_model_on_a_nonlinear_task_with_a_missing_modality(cls):
    """A quarter of the rows miss a modality, in training and test; the target is
    nonlinear in its inputs. A linear model on the concatenation (zeros and an
    indicator for a missing modality) is the floor."""
    X, y = _nonlinear(1200, 0)
    names = list(X)
    assert np.isnan(X[names[0]]).all(1).mean() == pytest.approx(0.25, abs=0.03)
    rows_train, rows_test = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0)
    X_train = MultimodalData({k: v[rows_train] for k, v in X.items()})
    X_test = MultimodalData({k: v[rows_test] for k, v in X.items()})
    ridge = RidgeCV().fit(_concat_with_indicators(X_train), y[rows_train])
    floor = r2_score(y[rows_test], ridge.predict(_concat_with_indicators(X_test)))
    model = make_pipeline(
        PerModality(StandardScaler()), _small(cls, max_epochs=40, lr=3e-3, hidden_sizes=(64,))
    )
    model.fit(X_train, y[rows_train])
    score = r2_score(y[rows_test], model.predict(X_test))
    assert floor < 0.3
    assert score > 0.8, (score, floor)


@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda c: c.__name__)
def test_predictions_are_finite_with_a_modality_missing_at_predict_time(cls):
    X, y = _linear_task()
    reg = _small(cls, max_epochs=3).fit(X, y)
    for name in X:
        Xm = {k: (np.full_like(v, np.nan) if k == name else v) for k, v in X.items()}
        assert np.isfinite(reg.predict(Xm)).all()
    with pytest.raises(ValueError, match="every modality missing"):
        reg.predict({k: np.full_like(v[:3], np.nan) for k, v in X.items()})


@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda c: c.__name__)
def test_shared_training_options(cls):
    """augment, train_noise, sequence encoders and streamed data work on a regressor."""
    rng = np.random.RandomState(0)
    n = 120
    X = {"seq": rng.randn(n, 5, 3), "tab": rng.randn(n, 2)}
    y = X["seq"][:, :, 0].sum(1) + X["tab"][:, 0]
    X["tab"][:20] = np.nan
    params = dict(train_noise=(0.5, 1.0), data_placement="stream", max_epochs=2)
    if "augment" in cls().get_params():
        params["augment"] = "random"
    reg = _small(cls, **params).fit(X, y)
    assert reg.predict(X).shape == (n,) and reg.data_placement_ == "stream"
    assert type(reg.net_.module_.encoders[0]).__name__ == "LSTMEncoder"


def test_model_selection_and_meta_estimators():
    X, y = _linear_task(n=150)
    reg = _small(RAMLRegressor, max_epochs=3)
    for scoring in ("r2", "neg_mean_absolute_error"):
        scores = cross_val_score(reg, MultimodalData(X), y, cv=3, scoring=scoring)
        assert scores.shape == (3,) and np.isfinite(scores).all()
    grid = {"lambda1": [0.0, 1.0], "lambda2": [0.1, 0.2]}
    search = GridSearchCV(reg, grid, cv=2).fit(MultimodalData(X), y)
    assert set(search.best_params_) == {"lambda1", "lambda2"}
    assert search.predict(X).shape == (150,)
    ttr = TransformedTargetRegressor(regressor=clone(reg), func=np.log1p, inverse_func=np.expm1)
    positive = np.exp(y / 4)
    assert ttr.fit(X, positive).predict(X).shape == (150,)
    flat = np.hstack([X["a"], X["b"]])
    Y = np.column_stack([y, -y])
    spec = {"a": [0, 1, 2], "b": [3, 4]}
    multi = MultiOutputRegressor(_small(LateFusionRegressor, max_epochs=3, modalities=spec))
    assert multi.fit(flat, Y).predict(flat).shape == (150, 2)


@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda c: c.__name__)
def test_bad_targets_get_clear_errors(cls):
    X, y = _linear_task(n=20)
    with pytest.raises(ValueError, match="requires y to be passed"):
        cls().fit(X, None)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        cls().fit(X, np.where(np.arange(20) == 3, np.nan, y))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cls().fit(X, y[:10])
    with pytest.raises(ValueError, match="could not convert|Unknown label|float"):
        cls().fit(X, np.array(["a"] * 20))


def test_regressor_does_not_change_the_users_arrays():
    X, y = _linear_task(n=40)
    X["b"][:5] = np.nan
    before = {k: v.copy() for k, v in X.items()}
    y_before = y.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _small(RAMLRegressor, max_epochs=2).fit(X, y).predict(X)
    for k in X:
        np.testing.assert_array_equal(X[k], before[k])
    np.testing.assert_array_equal(y, y_before)


@pytest.mark.parametrize("cls", [RAMLRegressor, LateFusionRegressor], ids=lambda c: c.__name__)
def test_out_of_core_input_trains_the_same_model(cls, tmp_path):
    """np.memmap modalities stream from disk (float targets go through the same batches as
    labels do): the same model as the in-memory arrays, with early stopping's split too."""
    X, y = _linear_task(n=240)
    X = {k: v.astype(np.float32) for k, v in X.items()}
    M = {}
    for k, v in X.items():
        np.save(tmp_path / f"{k}.npy", v)
        M[k] = np.load(tmp_path / f"{k}.npy", mmap_mode="r")
    ref = _small(cls, max_epochs=3, early_stopping=True).fit(X, y)
    reg = _small(cls, max_epochs=3, early_stopping=True).fit(M, y)
    assert reg.data_placement_ == "stream" and ref.data_placement_ == "device"
    np.testing.assert_array_equal(reg.predict(M), ref.predict(X))
