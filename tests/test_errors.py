"""Bad input and bad parameters that used to pass silently or fail obscurely: each gets a
clear error (or warning), tested on its exact message."""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skmm import (
    ConcatFusionClassifier,
    LateFusionClassifier,
    MissingPatternAugmenter,
    MultimodalData,
    RAMLClassifier,
    RedCoreClassifier,
    check_multimodal,
)

FAST = dict(hidden_sizes=(8,), max_epochs=2, lr=1e-2, random_state=0)


def _data(n=60, seed=0):
    rng = np.random.RandomState(seed)
    y = np.tile([0, 1], n // 2)
    return {"a": y[:, None] + rng.randn(n, 3), "b": rng.randn(n, 2)}, y


def _exact(message):
    return "^" + re.escape(message) + "$"


# -- parameters (declarative constraints) -----------------------------------------


@pytest.mark.parametrize(
    "estimator, param, value",
    [
        (RAMLClassifier(latent_dim=0), "latent_dim", "0"),
        (ConcatFusionClassifier(classifier_hidden=-3), "classifier_hidden", "-3"),
        (RAMLClassifier(lr="x"), "lr", "'x'"),
        (LateFusionClassifier(batch_size=0), "batch_size", "0"),
        (RedCoreClassifier(latent_dim=2.5), "latent_dim", "2.5"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_parameter_values_from_the_issue(estimator, param, value):
    """Refused at fit by the declared constraints, with scikit-learn's error naming the
    parameter, the estimator and the value (the rest of the wording is scikit-learn's)."""
    X, y = _data()
    with pytest.raises(InvalidParameterError, match=(
        rf"^The '{param}' parameter of {type(estimator).__name__} must be .* "
        rf"Got {re.escape(value)} instead\.$"
    )):
        estimator.set_params(max_epochs=1).fit(X, y)


def test_layer_widths_are_positive_ints():
    """skmm's own check (scikit-learn's constraints have no "sequence of positive ints")."""
    X, y = _data()
    message = ("The 'hidden_sizes' parameter of RAMLClassifier must be a sequence of positive "
               "ints (layer widths). Got (0,) instead.")
    for widths in [(0,), (-3,), (2.5,), "64", 64]:
        with pytest.raises(InvalidParameterError, match=r"'hidden_sizes' parameter of "):
            RAMLClassifier(hidden_sizes=widths, max_epochs=1).fit(X, y)
    with pytest.raises(InvalidParameterError, match=_exact(message)):
        RAMLClassifier(hidden_sizes=(0,), max_epochs=1).fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"'decoder_hidden_sizes' parameter of "):
        RedCoreClassifier(decoder_hidden_sizes=(8, 0), max_epochs=1).fit(X, y)


@pytest.mark.parametrize("cls", [RAMLClassifier, RedCoreClassifier, ConcatFusionClassifier])
def test_augment_has_one_spelling(cls):
    """augment takes "all", "random" or None; True (once silently "all") is rejected."""
    X, y = _data()
    with pytest.raises(ValueError, match=rf"^The 'augment' parameter of {cls.__name__} must be "
                                         r"a str among \{'(all|random)', '(all|random)'\} or "
                                         r"None\. Got True instead\.$"):
        cls(augment=True, **FAST).fit(X, y)


# -- the container -------------------------------------------------------------------

LIST_MESSAGE = (
    "X is a list of 2 arrays (shapes {}, {}); pass a dict or MultimodalData mapping each "
    "modality name to its array, e.g. MultimodalData(a=X_a, b=X_b). For a single sequence "
    "modality, stack the samples into one 3D array (np.stack)."
)


def test_list_of_arrays_asks_for_a_dict():
    X, y = _data()
    with pytest.raises(TypeError, match=_exact(LIST_MESSAGE.format("(60, 3)", "(60, 2)"))):
        RAMLClassifier(**FAST).fit([X["a"], X["b"]], y)
    # two samples of two equal-width modalities were silently one 3D modality
    a2, b2 = np.ones((2, 3)), np.zeros((2, 3))
    with pytest.raises(TypeError, match=_exact(LIST_MESSAGE.format("(2, 3)", "(2, 3)"))):
        RAMLClassifier(**FAST).fit([a2, b2], [0, 1])
    with pytest.raises(TypeError, match="pass a dict or MultimodalData"):
        check_multimodal((a2, b2))
    clf = RAMLClassifier(**FAST).fit(X, y)
    with pytest.raises(TypeError, match="pass a dict or MultimodalData"):
        clf.predict([X["a"], X["b"]])


def test_empty_multimodal_data_at_predict():
    X, y = _data()
    clf = RAMLClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=_exact(
        "Empty data: X is an empty MultimodalData (no modality); RAMLClassifier was fitted on "
        "modalities ['a', 'b']."
    )):
        clf.predict(MultimodalData())


# -- silently accepted training data ------------------------------------------------------


def test_modality_missing_for_every_training_sample():
    X, y = _data()
    X["b"] = np.full_like(X["b"], np.nan)
    with pytest.raises(ValueError, match=_exact(
        "Modality 'b' is missing (all NaN) for every training sample, so RAMLClassifier cannot "
        "learn anything from it; drop it from X or train on samples where it is present."
    )):
        RAMLClassifier(**FAST).fit(X, y)
    # at prediction, a modality missing everywhere is a legitimate test pattern
    X_ok, _ = _data()
    clf = RAMLClassifier(**FAST).fit(X_ok, y)
    assert clf.predict_proba(X).shape == (60, 2)


def _copies_message(name, early_stopping, own_augment):
    own = (f", or drop the augmenter and use {name}'s own augment parameter (it augments "
           "after the split)") if own_augment else ""
    return (
        f"{name}: X holds copies of the same samples (MissingPatternAugmenter's output), and "
        f"early_stopping={early_stopping!r} holds out a validation split, which would then hold "
        f"copies of training samples. Set early_stopping=False on {name}{own}."
    )


def test_augmenter_before_early_stopping_is_refused():
    X, y = _data()
    X_res, y_res = MissingPatternAugmenter().fit_resample(X, y)
    with pytest.raises(ValueError, match=_exact(
        _copies_message("LateFusionClassifier", True, own_augment=False)
    )):
        LateFusionClassifier(early_stopping=True, **FAST).fit(X_res, y_res)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        LateFusionClassifier(early_stopping=False, **FAST).fit(X_res, y_res)  # fine without
    # the same through imbalanced-learn's Pipeline, where the sampler runs at fit
    imblearn = pytest.importorskip("imblearn.pipeline")
    pipe = imblearn.make_pipeline(
        MissingPatternAugmenter(), RAMLClassifier(augment=None, early_stopping=True, **FAST)
    )
    with pytest.raises(ValueError, match=_exact(
        _copies_message("RAMLClassifier", True, own_augment=True)
    )):
        pipe.fit(X, y)


@pytest.mark.parametrize("how", ["indexing", "copy", "pickle", "train_test_split"])
def test_augmenter_guard_survives_indexing_copy_and_pickle(how):
    """The record of the copies used to be an attribute that X[idx], .copy() and
    pickling dropped: the guard vanished under cross-validation."""
    import pickle

    from sklearn.model_selection import train_test_split

    X, y = _data()
    X_res, y_res = MissingPatternAugmenter().fit_resample(X, y)
    shuffled = np.random.RandomState(0).permutation(len(y_res))
    if how == "indexing":
        X_res, y_res = X_res[shuffled], y_res[shuffled]
    elif how == "copy":
        X_res = X_res.copy()
    elif how == "pickle":
        X_res = pickle.loads(pickle.dumps(X_res))
    else:
        X_res, _, y_res, _ = train_test_split(X_res, y_res, test_size=0.2, random_state=0)
    with pytest.raises(ValueError, match=_exact(
        _copies_message("ConcatFusionClassifier", True, own_augment=True)
    )):
        ConcatFusionClassifier(early_stopping=True, **FAST).fit(X_res, y_res)


def test_augmenter_guard_follows_the_resolved_early_stopping():
    """early_stopping="auto" holds out a validation split on enough rows only: the
    guard applies exactly when it does (early_stopping_)."""
    X, y = _data(n=60)  # 180 copies: a validation split of 18 rows, too few for "auto"
    X_res, y_res = MissingPatternAugmenter().fit_resample(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LateFusionClassifier(**FAST).fit(X_res, y_res)
    assert clf.early_stopping == "auto" and not clf.early_stopping_
    X, y = _data(n=100)  # 300 copies: 30 validation rows, "auto" holds them out
    X_res, y_res = MissingPatternAugmenter().fit_resample(X, y)
    with pytest.raises(ValueError, match=_exact(
        _copies_message("LateFusionClassifier", "auto", own_augment=False)
    )):
        LateFusionClassifier(**FAST).fit(X_res, y_res)


def test_augmenter_guard_in_cross_validation():
    imblearn = pytest.importorskip("imblearn.pipeline")
    from sklearn.model_selection import cross_val_score

    X, y = _data(n=100)
    X = MultimodalData(X)
    message = _exact(_copies_message("RAMLClassifier", True, own_augment=True))
    # the augmenter in the Pipeline: it runs on each training fold
    pipe = imblearn.make_pipeline(
        MissingPatternAugmenter(), RAMLClassifier(augment=None, early_stopping=True, **FAST)
    )
    with pytest.raises(ValueError, match=message):
        cross_val_score(pipe, X, y, cv=3, error_score="raise")
    # augmented beforehand: each fold is X_res[train], an indexed copy
    X_res, y_res = MissingPatternAugmenter().fit_resample(X, y)
    with pytest.raises(ValueError, match=message):
        cross_val_score(RAMLClassifier(augment=None, early_stopping=True, **FAST), X_res, y_res,
                        cv=3, error_score="raise")


def test_column_spec_overlap_raises_and_unused_columns_warn():
    rng = np.random.RandomState(0)
    flat, y = rng.randn(60, 5), np.tile([0, 1], 30)
    overlap = RAMLClassifier(modalities={"a": [0, 1, 2], "b": [2, 3, 4]}, **FAST)
    with pytest.raises(ValueError, match=_exact(
        "The modality spec gives columns [2] to both 'a' and 'b'; each column belongs to one "
        "modality."
    )):
        overlap.fit(flat, y)
    with pytest.raises(ValueError, match=_exact("Modality 'a' lists columns [1] more than once.")):
        RAMLClassifier(modalities={"a": [0, 1, 1], "b": [2]}, **FAST).fit(flat, y)
    partial = RAMLClassifier(modalities={"a": [0, 1], "b": slice(2, 4)}, **FAST)
    with pytest.warns(UserWarning, match=_exact(
        "The modality spec leaves columns [4] (1 of 5) out of every modality; they are "
        "ignored. Drop them from X (or give them to a modality) to silence this warning."
    )):
        partial.fit(flat, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a spec using every column is silent
        warnings.simplefilter("ignore", ConvergenceWarning)  # (two epochs do not converge)
        RAMLClassifier(modalities={"a": [0, 1], "b": slice(2, 5)}, **FAST).fit(flat, y)


# -- wording -------------------------------------------------------------------------------


def test_one_class_names_the_label_plainly():
    X, y = _data()
    with pytest.raises(ValueError, match=_exact(
        "RAMLClassifier can't train when only one class is present (got only 0)."
    )):
        RAMLClassifier(**FAST).fit(X, np.zeros(60, dtype=np.int64))
    with pytest.raises(ValueError, match=r"\(got only 'cat'\)\.$"):
        RAMLClassifier(**FAST).fit(X, np.array(["cat"] * 60))


def test_4d_array_hint_is_not_reshape_minus_one():
    with pytest.raises(ValueError, match=_exact(
        "Modality 'a' is a 4D array of shape (2, 2, 2, 2); expected 2D (n_samples, n_features) "
        "or 3D (n_samples, n_timesteps, n_features). Flatten the feature axes with "
        "array.reshape(len(array), -1), or give each part its own modality."
    )):
        check_multimodal({"a": np.zeros((2, 2, 2, 2))})
    with pytest.raises(ValueError, match=r"Reshape your data with array\.reshape\(-1, 1\)"):
        check_multimodal({"a": np.zeros(3)})


def test_too_large_for_float32_gives_the_error_only():
    X = {"a": np.array([[1.0, 2.0], [1e39, 0.0]]), "b": np.ones((2, 1))}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning next to the error
        with pytest.raises(ValueError, match=_exact(
            "Modality 'a' contains inf (or values too large for float32) in rows [1]."
        )):
            check_multimodal(X)


def test_plot_pattern_scores_on_a_summary():
    pytest.importorskip("matplotlib")
    from skmm.evaluation import summarize_by_size
    from skmm.plotting import plot_pattern_scores

    table = {"pattern": [("a",), ("b",), ("a", "b")], "n_present": [1, 1, 2],
             "score": [0.9, 0.5, 0.95]}
    with pytest.raises(ValueError, match=_exact(
        "plot_pattern_scores needs the per-pattern table of missing_pattern_scores, with a "
        "'pattern' column; got a table with columns ['n_present', 'n_patterns', 'score'] "
        "(summarize_by_size's summary averages over patterns: plot the table it was made from)."
    )):
        plot_pattern_scores(summarize_by_size(table))


# -- devices --------------------------------------------------------------------------------

_DEVICES = "'cpu', 'cuda', 'cuda:N' (N: the index of a GPU) or 'auto'"


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "cuda:", "CPU", "meta"],
                         ids=lambda d: f"name-{d}")  # not the "gpu" keyword of conftest
def test_unknown_device_names_the_accepted_values(device):
    import torch

    mps = ", or 'mps'" if torch.backends.mps.is_available() else ""
    X, y = _data()
    with pytest.raises(ValueError, match=_exact(
        f"device={device!r} is not a device skmm knows; use one of {_DEVICES}{mps}."
    )):
        RAMLClassifier(device=device, **FAST).fit(X, y)


def test_mps_device_when_not_available():
    import torch

    from skmm._training import resolve_device

    if torch.backends.mps.is_available():
        assert resolve_device("mps") == "mps"
        return
    with pytest.raises(ValueError, match=_exact(
        "device='mps' (Apple's Metal GPU) was requested but torch reports it is not available "
        "on this machine (torch.backends.mps.is_available() is False); use one of "
        f"{_DEVICES}."
    )):
        RAMLClassifier(device="mps", **FAST).fit(*_data())


def test_device_resolution():
    import torch

    from skmm._training import resolve_device

    assert resolve_device("cpu") == "cpu" and resolve_device(torch.device("cpu")) == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(TypeError, match=_exact(
        f"device must be a string, one of {_DEVICES}; got 0."
    )):
        resolve_device(0)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=_exact(
            "device='cuda:1' was requested but CUDA is not available on this machine; use "
            "device='cpu', or device='auto' to take a GPU only when there is one."
        )):
            resolve_device("cuda:1")


# -- warnings point at the caller's line ----------------------------------------------------


def _caught(call):
    """The warnings ``call()`` issues, every one recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return caught


def _where(caught, category):
    found = [w for w in caught if issubclass(w.category, category)]
    assert found, [str(w.message) for w in caught]
    return {w.filename for w in found}


def test_convergence_warning_points_at_the_callers_line():
    """fit runs under scikit-learn's _fit_context (and Pipelines, model selection):
    a fixed stacklevel named a line of sklearn/base.py."""
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm import PerModality

    X, y = _data()
    X = MultimodalData(X)
    clf = LateFusionClassifier(**FAST)  # two epochs: max_epochs ends the training
    assert _where(_caught(lambda: clf.fit(X, y)), ConvergenceWarning) == {__file__}
    pipe = make_pipeline(PerModality(StandardScaler()), LateFusionClassifier(**FAST))
    assert _where(_caught(lambda: pipe.fit(X, y)), ConvergenceWarning) == {__file__}
    caught = _caught(lambda: cross_val_score(RAMLClassifier(**FAST), X, y, cv=2))
    assert _where(caught, ConvergenceWarning) == {__file__}


def test_warning_from_super_fit_points_at_the_callers_line():
    """TrustedFusionRegressor.fit calls super().fit, which warns from _after_training."""
    from skmm import TrustedFusionRegressor

    X, y = _data()
    reg = TrustedFusionRegressor(hidden_sizes=(8,), max_epochs=2, random_state=0)
    caught = _caught(lambda: reg.fit(X, y.astype(float)))
    assert any("std_calibration='validation'" in str(w.message) for w in caught)
    assert {w.filename for w in caught} == {__file__}


def test_transformer_and_evaluation_warnings_point_at_the_callers_line():
    from skmm import ModalityDropout
    from skmm.evaluation import missing_pattern_scores

    X = {"a": np.random.RandomState(0).randn(20, 3)}
    drop = ModalityDropout(rates=0.5, apply_on="both", random_state=0)
    assert _where(_caught(lambda: drop.fit_transform(X)), UserWarning) == {__file__}
    assert _where(_caught(lambda: drop.fit(X).transform(X)), UserWarning) == {__file__}
    assert _where(_caught(lambda: drop.corrupt(X)), UserWarning) == {__file__}
    flat, y = np.random.RandomState(0).randn(60, 5), np.tile([0, 1], 30)
    spec = RAMLClassifier(modalities={"a": [0, 1], "b": [2, 3]}, **FAST)
    caught = _caught(lambda: spec.fit(flat, y))
    assert {w.filename for w in caught} == {__file__}
    single = RAMLClassifier(**FAST)
    _caught(lambda: single.fit(flat, y))
    caught = _caught(lambda: missing_pattern_scores(single, flat, y))
    assert _where(caught, UserWarning) == {__file__}
