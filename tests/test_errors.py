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


def test_augmenter_before_early_stopping_is_refused():
    X, y = _data()
    X_res, y_res = MissingPatternAugmenter().fit_resample(X, y)
    message = (
        "X was resampled by MissingPatternAugmenter, which copies each sample: with "
        "early_stopping=True the validation split would hold copies of training samples. Use "
        "the estimator's own augment parameter (it augments after the split), or set "
        "early_stopping=False."
    )
    with pytest.raises(ValueError, match=_exact(message)):
        LateFusionClassifier(early_stopping=True, **FAST).fit(X_res, y_res)
    LateFusionClassifier(early_stopping=False, **FAST).fit(X_res, y_res)  # fine without
    # the same through imbalanced-learn's Pipeline, where the sampler runs at fit
    imblearn = pytest.importorskip("imblearn.pipeline")
    pipe = imblearn.make_pipeline(
        MissingPatternAugmenter(), RAMLClassifier(augment=None, early_stopping=True, **FAST)
    )
    with pytest.raises(ValueError, match=_exact(message)):
        pipe.fit(X, y)


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
