"""skmm.io.to_onnx: onnxruntime gives what predict / predict_proba give, for every
estimator, under every missing pattern, on one row, through a Pipeline and on
NaN-padded sequences; and the errors are clear."""

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")
pytest.importorskip("skl2onnx")

import onnx  # noqa: E402
import torch  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, StandardScaler  # noqa: E402

from skmm import LateFusionClassifier, PerModality, SplitModalities  # noqa: E402
from skmm._data import mark_missing  # noqa: E402
from skmm.augmentation import presence_patterns  # noqa: E402
from skmm.base import MultimodalClassifierBase  # noqa: E402
from skmm.io import to_onnx  # noqa: E402
from skmm.nn import TransformerEncoder  # noqa: E402
from skmm.utils import estimator_presets  # noqa: E402

TOL = 1e-5
N = 60


def _estimators():
    """Every classifier and regressor of the registry, and each preset that changes
    how it predicts (``augment`` changes the training only)."""
    seen, params = set(), []
    for task in ("classifier", "regressor"):
        for key, (cls, preset, _) in estimator_presets(task).items():
            inference = {k: v for k, v in cls(**preset).get_params().items() if k != "augment"}
            signature = (cls, repr(sorted(inference.items())))
            if signature not in seen:
                seen.add(signature)
                params.append(pytest.param(cls, preset, len(seen), id=f"{task}-{key}"))
    return params


def _data(rng):
    y = rng.randint(0, 3, N)
    X = {
        "a": (y[:, None] + rng.randn(N, 3)).astype(np.float32),
        "b": (y[:, None] * 0.5 + rng.randn(N, 2)).astype(np.float32),
        "c": rng.randn(N, 2).astype(np.float32),
    }
    return X, y


def _session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _expected(est, X, outputs):
    """What the estimator's own methods give, under the graph's output names."""
    final = est[-1] if isinstance(est, Pipeline) else est
    if isinstance(final, MultimodalClassifierBase):
        out = {"label": est.predict(X), "probabilities": est.predict_proba(X)}
        if "uncertainty" in outputs:
            out["uncertainty"] = est.predict_uncertainty(X)
        return out
    if "std" not in outputs:
        return {"prediction": est.predict(X)}
    mean, std = est.predict(X, return_std=True)
    return {"prediction": mean, "std": std, **est.predict_uncertainty(X)}


def _compare(est, session, X):
    """The largest difference between the graph's outputs and the estimator's on ``X``;
    labels must be equal."""
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, session.run(None, X)))
    expected = _expected(est, X, names)
    assert sorted(got) == sorted(expected)
    worst = 0.0
    for name, want in expected.items():
        assert got[name].shape == want.shape, name
        if name == "label":
            assert got[name].tolist() == want.tolist()
        else:
            worst = max(worst, float(np.abs(got[name] - want).max()))
    return worst


def _missing_variants(X, patterns):
    """``X`` under every presence pattern: one batch mixing them all (row ``i`` has
    pattern ``i % P``), then one batch per pattern."""
    names = list(X)
    n = len(X[names[0]])
    mixed = np.array([[m in patterns[i % len(patterns)] for m in names] for i in range(n)])
    masks = [mixed] + [np.tile([m in p for m in names], (n, 1)) for p in patterns]
    for present in masks:
        yield dict(zip(names, mark_missing([v.copy() for v in X.values()], present)))


def _check_everywhere(est, session, X):
    """Every missing pattern, mixed and alone, and a batch of one row per pattern."""
    patterns = presence_patterns(list(X))
    variants = list(_missing_variants(X, patterns))
    worst = max(_compare(est, session, V) for V in variants)
    mixed = variants[0]
    for i in range(len(patterns)):  # the first rows of the mixed batch: one per pattern
        worst = max(worst, _compare(est, session, {k: v[i : i + 1] for k, v in mixed.items()}))
    assert worst <= TOL
    return worst


@pytest.mark.parametrize("cls, preset, index", _estimators())
def test_every_estimator_matches_under_every_missing_pattern(cls, preset, index):
    rng = np.random.RandomState(index)
    X, y = _data(rng)
    if issubclass(cls, MultimodalClassifierBase):
        # integer classes (not 0..K-1) and string classes, in turn
        y = np.array(["ant", "bee", "cow"])[y] if index % 2 else y * 10 + 5
    else:  # one target (any scale) and two targets, in turn
        y = 10 * X["a"][:, 0] + X["b"][:, 1] + 50
        y = np.c_[y, X["b"][:, 0]] if index % 2 else y
    if "std_calibration" in cls().get_params():
        # a validation split large enough for a scale of each presence pattern's own
        preset = {**preset, "early_stopping": True, "validation_fraction": 0.5}
    est = cls(max_epochs=3, random_state=0, **preset).fit(X, y)
    model = to_onnx(est)
    assert [i.name for i in model.graph.input] == ["a", "b", "c"]
    assert dict((p.key, p.value) for p in model.metadata_props)["estimator"] == cls.__name__
    session = _session(model)
    if issubclass(cls, MultimodalClassifierBase):
        label = session.get_outputs()[0]
        assert label.type == ("tensor(string)" if index % 2 else "tensor(int64)")
    _check_everywhere(est, session, X)


def _sequences(rng, n, steps, d, missing=0):
    """Sequences of random lengths, NaN-padded at the end; the first ``missing`` rows
    are missing (all NaN)."""
    x = rng.randn(n, steps, d).astype(np.float32) * 3 + 1
    lengths = rng.randint(1, steps + 1, n)
    x[np.arange(steps) >= lengths[:, None]] = np.nan
    x[:missing] = np.nan
    return x


def test_pipeline_with_sequences(tmp_path):
    # PerModality steps in front of a vector modality and one sequence modality per encoder
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, N)
    X = {
        "a": (100 + 20 * y[:, None] + 10 * rng.randn(N, 3)).astype(np.float32),
        "lstm": _sequences(rng, N, 6, 4),
        "cnn": _sequences(rng, N, 6, 3),
        "att": _sequences(rng, N, 6, 5),
    }
    # a one-layer Transformer: half the export time of the default two
    att = TransformerEncoder(5, d_model=16, n_heads=2, n_layers=1)
    encoders = {"lstm": "lstm", "cnn": "textcnn", "att": att}
    clf = LateFusionClassifier(
        encoders=encoders, hidden_sizes=(16,), max_epochs=3, random_state=0
    )
    pipe = make_pipeline(
        SplitModalities(),
        PerModality(StandardScaler()),
        PerModality(PCA(n_components=2), targets=["a", "cnn"]),  # chained, widths change
        clf,
    ).fit(X, y)
    path = tmp_path / "model.onnx"
    model = to_onnx(pipe, path)
    assert [i.name for i in model.graph.input] == list(X)
    onnx.checker.check_model(model, full_check=True)  # shapes and types check out too
    assert {o.domain: o.version for o in model.opset_import}[""] == 18
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    _check_everywhere(pipe, session, X)
    # other numbers of timesteps than at fit: more padding, and cut to 4 steps
    longer = {k: np.concatenate([v, np.full((N, 3) + v.shape[2:], np.nan, np.float32)], 1)
              if v.ndim == 3 else v for k, v in X.items()}
    shorter = {k: v[:, :4] if v.ndim == 3 else v for k, v in X.items()}
    shorter["lstm"][:5] = np.nan
    for variant in (longer, shorter):
        assert _compare(pipe, session, variant) <= TOL


def test_errors():
    rng = np.random.RandomState(0)
    X, y = _data(rng)
    with pytest.raises(NotFittedError):
        to_onnx(LateFusionClassifier())
    with pytest.raises(NotFittedError):
        to_onnx(make_pipeline(PerModality(StandardScaler()), LateFusionClassifier()))
    with pytest.raises(TypeError, match="skmm estimator or a Pipeline"):
        to_onnx(StandardScaler().fit(X["a"]))
    clf = LateFusionClassifier(max_epochs=1, random_state=0).fit(X, y)
    # a step that is not PerModality: named
    flat = Pipeline([("abs", FunctionTransformer(np.abs)), ("clf", clf)])
    with pytest.raises(TypeError, match="step 'abs' \\(FunctionTransformer\\)"):
        to_onnx(flat)
    # a PerModality transformer that skl2onnx does not convert: step and modality named
    pipe = Pipeline([("abs", PerModality(FunctionTransformer(np.abs))), ("clf", clf)])
    pipe.fit(X, y)
    with pytest.raises(TypeError, match="step 'abs'.*FunctionTransformer of modality 'a'"):
        to_onnx(pipe)


class _DataDependent(torch.nn.Module):
    """An encoder whose Python control flow depends on the values."""

    out_features = 4

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 4)

    def forward(self, x, lengths=None):
        if x.sum() > 0:
            return self.linear(x)
        return -self.linear(x)


def test_unexportable_encoder_is_named():
    rng = np.random.RandomState(0)
    X, y = _data(rng)
    clf = LateFusionClassifier(encoders={"c": _DataDependent()}, max_epochs=1, random_state=0)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="encoder of modality 'c' \\(_DataDependent\\)"):
        to_onnx(clf)


def test_without_the_export_extra_the_error_says_what_to_install(monkeypatch):
    import sys

    rng = np.random.RandomState(0)
    X, y = _data(rng)
    clf = LateFusionClassifier(max_epochs=1, random_state=0).fit(X, y)
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    with pytest.raises(ImportError, match=r"skmm.io.to_onnx needs the package 'onnxscript' "
                       r".*pip install skmm\[export\]"):
        to_onnx(clf)
