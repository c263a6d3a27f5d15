"""scikit-learn's estimator checks on every estimator of :func:`skmm.utils.all_estimators`.

A new estimator class in a public skmm module is picked up here automatically;
give it small networks below if its defaults are slow.
"""

import importlib.util
import inspect
import io
import os
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from skmm import (
    ConcatFusionClassifier,
    ConcatFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    PerModality,
    RAMLClassifier,
    RAMLRegressor,
    RedCoreClassifier,
    RedCoreRegressor,
    SplitModalities,
    TrustedFusionRegressor,
)
from skmm.utils import all_estimators, estimator_presets

#: Small networks and few epochs, set on every estimator that has the parameter.
_FAST = dict(
    max_epochs=20,
    lr=1e-2,
    hidden_sizes=(16,),
    latent_dim=8,
    classifier_hidden=16,
    cross_hidden_sizes=(16,),
    decoder_hidden_sizes=(),
    random_state=0,
)
#: Per-class settings, where the shared ones are not right.
_SETTINGS = {
    "RAMLClassifier": dict(max_epochs=10, hidden_sizes=(32,), latent_dim=16),
    "RedCoreClassifier": dict(max_epochs=10),
    "KeepModalities": dict(names="x"),  # the checks' flat arrays are the modality "x"
    "PerModality": dict(transformer=StandardScaler()),
}
#: More than one instance of a class, where its behaviour depends on a parameter.
_EXTRA = [PerModality(PCA(n_components=1))]


def _instance(name, cls):
    accepted = inspect.signature(cls).parameters
    params = {k: v for k, v in {**_FAST, **_SETTINGS.get(name, {})}.items() if k in accepted}
    return cls(**params)


ESTIMATORS = [_instance(name, cls) for name, cls in all_estimators()] + _EXTRA

# SplitModalities returns a MultimodalData (a dict of arrays), by design: these checks
# compare two outputs with assert_allclose, which needs arrays. The same properties
# (pickling, subset/order invariance, idempotence) are tested on the dict in
# test_corruption.py::test_split_modalities_contract.
_SPLIT_REASON = (
    "transform returns a MultimodalData (dict of per-modality arrays) by design; the check "
    "compares outputs as arrays. Tested on the dict in test_split_modalities_contract."
)
_EXPECTED_FAILURES = {
    SplitModalities: {
        name: _SPLIT_REASON
        for name in [
            "check_pipeline_consistency",
            "check_estimators_pickle",
            "check_transformer_data_not_an_array",
            "check_transformer_general",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_fit_idempotent",
        ]
    },
}


# check_sample_weight_equivalence_on_dense_data fits 15 rows with integer weights and the
# same rows repeated, and compares the predictions at rtol=1e-7. Here they are one batch
# (no early-stopping split on 15 rows), on which the weighted loss is the repeated rows'
# loss exactly; tests/test_weights.py checks the equivalence, to 1e-4, and that it holds
# in expectation over the batches otherwise.
_SAMPLE_WEIGHT_FLOAT32 = (
    "sample_weight is equivalent to repeating rows in exact arithmetic here (one full batch, "
    "no random draw per row), but the float32 loss adds the rows in another order, which "
    "moves the predictions by about 1e-7 relative, above the check's rtol=1e-7. With several "
    "batches minibatch training is equivalent in expectation only, as sklearn marks its "
    "SGDClassifier (meta-issue #16298)."
)
_SAMPLE_WEIGHT_SAMPLED = (
    "the method draws noise per training row (RAML's h = mu + rho sigma, RedCore's "
    "reparameterization), so repeated rows get other draws than a weighted row: sample_weight "
    "is equivalent to repeating rows in distribution only, as for sklearn's stochastic "
    "solvers (SGDClassifier, meta-issue #16298)."
)
_EXPECTED_FAILURES.update(
    {
        cls: {"check_sample_weight_equivalence_on_dense_data": reason}
        for classes, reason in [
            (
                (ConcatFusionClassifier, ConcatFusionRegressor, LateFusionClassifier,
                 LateFusionRegressor, TrustedFusionRegressor),
                _SAMPLE_WEIGHT_FLOAT32,
            ),
            (
                (RAMLClassifier, RAMLRegressor, RedCoreClassifier, RedCoreRegressor),
                _SAMPLE_WEIGHT_SAMPLED,
            ),
        ]
        for cls in classes
    }
)


def _expected_failures(estimator):
    return _EXPECTED_FAILURES.get(type(estimator), {})


def test_every_estimator_is_checked():
    """Every public estimator class that a module of skmm exports is in the checks: the
    registry (all_estimators) misses none."""
    import pkgutil

    import skmm

    exported = set()
    for info in pkgutil.walk_packages(skmm.__path__, prefix="skmm."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                    and obj.__module__ != "skmm.base" and not inspect.isabstract(obj)):
                exported.add(obj)
    checked = {type(e) for e in ESTIMATORS}
    assert exported and exported <= checked, sorted(c.__name__ for c in exported - checked)
    assert len(checked) >= 17  # five methods x two tasks, six transformers, one sampler


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_parameter_constraints(estimator):
    """Every parameter has a declared constraint, and a value of the wrong type or out of
    range fails at fit with scikit-learn's InvalidParameterError (sklearn's own
    check_param_validation, which parametrize_with_checks does not run)."""
    check_param_validation(type(estimator).__name__, estimator)


#: Every skmm model (classifiers and regressors).
MODELS = [cls for _, cls in all_estimators(["classifier", "regressor"])]


def _predict(model, X):
    """Class probabilities of a classifier, predictions of a regressor."""
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_inference_is_batch_invariant_at_default_sizes(cls):
    """A sample's prediction does not depend on the samples passed with it, bit for bit,
    at the default network sizes too (float32 kernels chosen by batch shape made RAML and
    RedCore differ by about 2e-7 before inference batches were padded to fixed shapes),
    whether it is predicted alone (the small-call batch of 8 rows) or with others."""
    rng = np.random.RandomState(0)
    X = rng.randn(150, 3)  # more than one batch of 128: the last one is padded
    y = (X[:, 0] > 0).astype(int)
    clf = cls(max_epochs=1, random_state=0).fit(X, y)
    full = _predict(clf, X)
    parts = [_predict(clf, X[rows]) for rows in (slice(0, 10), slice(10, 150))]
    np.testing.assert_array_equal(np.concatenate(parts), full)
    # one to eight rows: one batch of 8 (the small-call path), nine: one of 128
    for rows in ([3], [140], [0, 1], [5, 6, 7, 8], list(range(20, 28)), list(range(30, 39))):
        np.testing.assert_array_equal(_predict(clf, X[rows]), full[rows])


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("lr_schedule", ["constant", "adaptive"])
def test_no_tensor_is_pickled_outside_skorchs_device_handling(cls, lr_schedule):
    """skorch pickles the module and optimizer through torch with a ``map_location``, so
    that a model trained on a GPU loads on a CPU-only machine; a tensor reachable from any
    other attribute (a callback holding the optimizer, say) would be pickled with its
    device and fail to load there. Checked on the CPU: no tensor outside that block."""
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    y = (X[:, 0] > 0).astype(int)
    clf = cls(max_epochs=2, lr_schedule=lr_schedule, random_state=0).fit(X, y)
    state = clf.net_.__getstate__()
    del state["__cuda_dependent_attributes__"]
    found = []

    class _Finder(pickle.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, (torch.Tensor, torch.optim.Optimizer)):
                found.append(type(obj).__name__)
            return NotImplemented

    _Finder(io.BytesIO()).dump(state)
    assert found == []
    assert [name for name, _ in clf.net_.callbacks_].count("lr_schedule") == (
        lr_schedule == "adaptive"
    )
    loaded = pickle.loads(pickle.dumps(clf))
    assert loaded.net_.module is loaded.net_.module_  # one module, as before pickling
    np.testing.assert_array_equal(_predict(loaded, X), _predict(clf, X))


def _fit_pickle_and_predict_in_a_cpu_only_process(cls, device, tmp_path):
    rng = np.random.RandomState(0)
    X = {"a": rng.randn(80, 3), "b": rng.randn(80, 2)}
    y = (X["a"][:, 0] > 0).astype(int)
    clf = cls(max_epochs=3, hidden_sizes=(16,), device=device, random_state=0).fit(X, y)
    expected = _predict(clf, X)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(clf))
    for k, v in X.items():
        np.save(tmp_path / f"{k}.npy", v)
    code = (
        "import pickle, numpy as np, torch\n"
        "assert not torch.cuda.is_available()\n"
        f"clf = pickle.loads(open({str(tmp_path / 'model.pkl')!r}, 'rb').read())\n"
        f"X = {{k: np.load({str(tmp_path)!r} + f'/{{k}}.npy') for k in 'ab'}}\n"
        "predict = getattr(clf, 'predict_proba', clf.predict)\n"
        f"np.save({str(tmp_path / 'out.npy')!r}, predict(X))\n"
    )
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, rtol=1e-4, atol=1e-6)


@pytest.mark.gpu
@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_every_gpu_trained_model_loads_on_a_cpu_only_machine(cls, tmp_path):
    """With its default schedule (the trusted estimator's is adaptive): see
    test_no_tensor_is_pickled_outside_skorchs_device_handling for the CPU-side check."""
    _fit_pickle_and_predict_in_a_cpu_only_process(cls, "cuda", tmp_path)


# -- the "Writing a method" example ----------------------------------------------

_EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "docs", "user_guide", "mean_fusion.py")


def _example_module(name="skmm_docs_mean_fusion"):
    spec = importlib.util.spec_from_file_location(name, _EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # importable by name, so that its estimators pickle
    spec.loader.exec_module(module)
    return module


_MEAN_FUSION = _example_module()


@parametrize_with_checks(
    [
        _instance("MeanFusionClassifier", _MEAN_FUSION.MeanFusionClassifier),
        _instance("MeanFusionRegressor", _MEAN_FUSION.MeanFusionRegressor),
    ],
    expected_failed_checks=lambda estimator: {
        "check_sample_weight_equivalence_on_dense_data": _SAMPLE_WEIGHT_FLOAT32
    },
)
def test_writing_a_method_example_passes_the_checks(estimator, check):
    check(estimator)


def test_writing_a_method_example_is_found_by_the_registry(tmp_path, monkeypatch):
    """Saved in skmm's package, the example is listed by all_estimators() and the CLI."""
    import skmm
    from skmm.cli import _cli_estimators

    shutil.copy(_EXAMPLE, tmp_path / "mean_fusion.py")
    monkeypatch.setattr(skmm, "__path__", [*skmm.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "skmm.mean_fusion", raising=False)
    _cli_estimators.cache_clear()
    try:
        found = dict(all_estimators("classifier"))
        assert found["MeanFusionClassifier"].__module__ == "skmm.mean_fusion"
        regressors = dict(all_estimators("regressor"))
        assert regressors["MeanFusionRegressor"].__module__ == "skmm.mean_fusion"
        assert _cli_estimators()["mean"][0] == "MeanFusionClassifier"
        assert estimator_presets("regressor")["mean"][0] is regressors["MeanFusionRegressor"]
        assert skmm.MeanFusionClassifier is found["MeanFusionClassifier"]  # top level
        assert "MeanFusionRegressor" in skmm.__all__
        check_param_validation("MeanFusionClassifier", found["MeanFusionClassifier"]())
    finally:
        sys.modules.pop("skmm.mean_fusion", None)
        vars(skmm).pop("MeanFusionClassifier", None)  # cached by skmm.__getattr__
        _cli_estimators.cache_clear()
