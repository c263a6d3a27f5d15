"""skmm.io.dump / load: model files that load without pickle (issue #25, part 2).

Every estimator of :func:`skmm.utils.all_estimators` is fitted small, saved, loaded with
pickle disabled and compared with the original: predictions, parameters, fitted
attributes and weights, bit for bit.
"""

import contextlib
import inspect
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import EpochTimer

import skmm
from skmm import PerModality, SplitModalities
from skmm.io import dump, load
from skmm.utils import all_estimators

sio = pytest.importorskip("skops.io")
pytest.importorskip("safetensors")

MODELS = [cls for _, cls in all_estimators(["classifier", "regressor"])]
TRANSFORMERS = [
    cls for _, cls in all_estimators(["transformer", "sampler"]) if cls not in MODELS
]

#: Small networks and few epochs, set on every model that has the parameter.
_FAST = dict(
    max_epochs=2, hidden_sizes=(8,), latent_dim=4, classifier_hidden=8,
    cross_hidden_sizes=(8,), decoder_hidden_sizes=(), random_state=0,
)
#: Per-class settings: the trusted regressor's calibration needs its validation split.
_SETTINGS = {
    "TrustedFusionRegressor": dict(early_stopping=True),
    "PerModality": dict(transformer=StandardScaler()),
    "KeepModalities": dict(names="a"),
    "SplitModalities": dict(modalities={"a": slice(0, 3), "b": [3, 4]}),
}


def _instance(cls, **extra):
    accepted = inspect.signature(cls).parameters
    params = {**_FAST, **_SETTINGS.get(cls.__name__, {}), **extra}
    return cls(**{k: v for k, v in params.items() if k in accepted})


def _data(n=60):
    rng = np.random.RandomState(0)
    X = {"a": rng.randn(n, 3), "b": rng.randn(n, 2)}
    X["b"][:7] = np.nan  # a missing modality
    return X, (X["a"][:, 0] > 0).astype(int), X["a"][:, 0] * 3.0 + 1.0


def _target(cls, y_class, y_reg):
    return y_reg if issubclass(cls, RegressorMixin) else y_class


@contextlib.contextmanager
def _pickle_disabled():
    """pickle and torch.load raise while the block runs."""

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used while loading")

    class _Refused:
        def __init__(self, *args, **kwargs):
            refuse()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pickle, "loads", refuse)
        mp.setattr(pickle, "load", refuse)
        mp.setattr(pickle, "Unpickler", _Refused)
        mp.setattr(torch, "load", refuse)
        yield


def _round_trip(est, file=None, **kwargs):
    file = io.BytesIO() if file is None else file
    assert dump(est, file) is None
    if isinstance(file, io.BytesIO):
        file.seek(0)
    with _pickle_disabled():
        return load(file, **kwargs)


def _outputs(est, X):
    """Everything an estimator computes from X."""
    out = {}
    for name in ("predict", "predict_proba", "transform", "predict_uncertainty"):
        if hasattr(est, name):
            out[name] = getattr(est, name)(X)
    if "return_std" in inspect.signature(getattr(est, "predict", lambda: None)).parameters:
        out["predict_std"] = est.predict(X, return_std=True)
    return out


def _assert_same(a, b, where="estimator"):
    """Equal, with the same types, recursively (NaN equals NaN)."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, BaseEstimator):
        _assert_same(a.get_params(deep=False), b.get_params(deep=False), f"{where}.params")
        _assert_same(_fitted(a), _fitted(b), f"{where}.attrs")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.random.RandomState):
        _assert_same(a.get_state(), b.get_state(), where)
    elif isinstance(a, float | np.floating) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _fitted(est):
    params = est.get_params(deep=False)
    return {k: v for k, v in vars(est).items() if k not in params and k != "net_"}


def _assert_same_weights(a, b):
    sa, sb = a.net_.module_.state_dict(), b.net_.module_.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert sa[key].dtype == sb[key].dtype and torch.equal(sa[key], sb[key]), key


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_every_model_round_trips_without_pickle(cls, tmp_path):
    X, y_class, y_reg = _data()
    est = _instance(cls).fit(X, _target(cls, y_class, y_reg))
    loaded = _round_trip(est, tmp_path / "model.skmm")
    _assert_same(_outputs(est, X), _outputs(loaded, X))
    _assert_same(est, loaded)  # parameters and fitted attributes, history_ included
    _assert_same_weights(est, loaded)
    assert loaded.history_ is loaded.net_.history
    assert str(loaded.net_.device) == "cpu"


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_a_loaded_model_trains_on(cls):
    """warm_start continues exactly as the original would (both with a new optimizer);
    partial_fit continues with a new optimizer (the optimizer's state is not saved)."""
    X, y_class, y_reg = _data()
    y = _target(cls, y_class, y_reg)
    est = _instance(cls).fit(X, y)
    loaded = _round_trip(est)
    for model in (est, loaded):
        model.set_params(warm_start=True, max_epochs=2).fit(X, y)
    _assert_same(_outputs(est, X), _outputs(loaded, X))
    _assert_same_weights(est, loaded)
    n_iter = loaded.n_iter_
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == n_iter + 1 == len(loaded.history_)


@pytest.mark.parametrize("cls", TRANSFORMERS, ids=lambda c: c.__name__)
def test_every_transformer_round_trips_without_pickle(cls):
    X, y, _ = _data()
    if cls is SplitModalities:
        X = np.hstack([X["a"], X["b"]])
    est = _instance(cls)
    if hasattr(est, "fit_resample"):
        est.fit_resample(X, y)
    else:
        est.fit(X, y)
    loaded = _round_trip(est)
    _assert_same(est, loaded)
    if hasattr(est, "transform"):
        _assert_same(dict(est.transform(X)) if cls is SplitModalities else est.transform(X),
                     dict(loaded.transform(X)) if cls is SplitModalities else loaded.transform(X))


def test_a_pipeline_round_trips():
    """SplitModalities (slices), PerModality(StandardScaler()) through skops, a model
    with a RandomState and string labels (an object array), in a file object."""
    X, y, _ = _data()
    flat = np.hstack([X["a"], X["b"]])
    labels = np.array(["no", "yes"], dtype=object)[y]
    pipe = make_pipeline(
        SplitModalities({"a": slice(0, 3), "b": [3, 4]}),
        PerModality(StandardScaler()),
        _instance(skmm.RAMLClassifier, random_state=np.random.RandomState(0)),
    ).fit(flat, labels)
    loaded = _round_trip(pipe)
    assert isinstance(loaded, Pipeline)
    assert loaded[-1].classes_.dtype == object
    _assert_same(_outputs(pipe, flat), _outputs(loaded, flat))
    _assert_same(pipe, loaded)
    assert isinstance(loaded[1].transformers_["a"], StandardScaler)


@pytest.mark.parametrize("encoder", ["lstm", "textcnn", "transformer"])
def test_a_sequence_model_round_trips(encoder):
    rng = np.random.RandomState(0)
    seq = rng.randn(60, 6, 3)
    for i, length in enumerate(rng.randint(0, 7, size=60)):
        seq[i, length:] = np.nan  # variable lengths; length 0: missing
    X = {"s": seq, "b": rng.randn(60, 2)}
    y = (X["b"][:, 0] > 0).astype(int)
    est = _instance(skmm.ConcatFusionClassifier, hidden_sizes=(16,),
                    encoders={"s": encoder}).fit(X, y)
    loaded = _round_trip(est)
    assert loaded.feature_shapes_ == {"s": (None, 3), "b": (2,)}
    _assert_same(_outputs(est, X), _outputs(loaded, X))
    _assert_same(est, loaded)


def _saved_pipeline():
    X, y, _ = _data()
    pipe = make_pipeline(PerModality(StandardScaler()), _instance(skmm.RAMLClassifier))
    buffer = io.BytesIO()
    dump(pipe.fit(X, y), buffer)
    return buffer.getvalue(), X


def _edited(data, edit_header=None, replace=None):
    """The zip ``data`` with its header edited in place and members replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            content = src.read(name)
            if name == "skmm.json" and edit_header is not None:
                header = json.loads(content)
                edit_header(header)
                content = json.dumps(header)
            dst.writestr(name, (replace or {}).get(name, content))
    out.seek(0)
    return out


def _set_final_class(name):
    def edit(header):
        header["estimator"]["params"]["steps"][1]["items"][1]["class"] = name
    return edit


def _set_final_type(kind):
    def edit(header):
        header["estimator"]["params"]["steps"][1]["items"][1] = {"__type__": kind, "value": 1}
    return edit


@pytest.mark.parametrize(
    "tamper",
    [
        dict(edit_header=_set_final_class("os.system")),
        dict(edit_header=_set_final_class("builtins.eval")),
        dict(edit_header=_set_final_class("skmm.base.MultimodalBase")),
        dict(edit_header=_set_final_type("function")),
        dict(edit_header=_set_final_type("tuple")),
        dict(replace={"skops/0.skops": sio.dumps(os.system)}),
        dict(replace={"skops/1.skops": sio.dumps({"f": eval})}),
    ],
    ids=["os.system", "builtins.eval", "class-outside-allowlist", "unknown-type", "malformed",
         "skops-os.system", "skops-eval"],
)
def test_a_tampered_file_is_refused_before_anything_is_built(tamper, monkeypatch):
    data, _ = _saved_pipeline()
    built = []
    monkeypatch.setattr(sio, "loads", lambda *a, **k: built.append("skops"))
    for cls in (Pipeline, PerModality, skmm.RAMLClassifier):
        monkeypatch.setattr(cls, "__init__", lambda self, *a, cls=cls, **k: built.append(cls))
    with pytest.raises(ValueError, match="Refusing to load"), _pickle_disabled():
        load(_edited(data, **tamper))
    assert built == []


def test_the_version_stamp_is_checked():
    data, X = _saved_pipeline()
    header = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("skmm.json"))
    assert header["format"] == "skmm-model" and header["format_version"] == 1
    assert {"skmm", "torch", "scikit-learn"} <= set(header["versions"])

    def stamp(key, value):
        def edit(h):
            (h if key == "format_version" else h["versions"])[key] = value
        return edit

    with pytest.raises(ValueError, match="format version 2"):
        load(_edited(data, stamp("format_version", 2)))
    with pytest.raises(ValueError, match=r"skmm '99\.0\.0'.*release series"):
        load(_edited(data, stamp("skmm", "99.0.0")))
    with pytest.raises(ValueError, match="skmm None"):
        load(_edited(data, lambda h: h["versions"].pop("skmm")))
    major, minor = skmm.__version__.split(".")[:2]
    same_series = load(_edited(data, stamp("skmm", f"{major}.{minor}.99")))
    np.testing.assert_array_equal(same_series.predict(X), load(io.BytesIO(data)).predict(X))
    with pytest.warns(UserWarning, match="scikit-learn 0.1"):
        load(_edited(data, stamp("scikit-learn", "0.1")))
    with pytest.raises(ValueError, match="not an skmm model file"):
        load(io.BytesIO(b"not a zip"))
    with pytest.raises(ValueError, match="not an skmm model file"):
        load(_edited(data, lambda h: h.__setitem__("format", "other")))


def test_a_gpu_model_loads_on_a_cpu_only_machine(tmp_path):
    """Faked on the CPU: a model whose device is 'cuda' (the weights are always saved
    from CPU copies) loads on the CPU, with a warning, where CUDA is not available."""
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    X, y, _ = _data()
    est = _instance(skmm.RAMLClassifier).fit(X, y).set_params(device="cuda")
    path = tmp_path / "model.skmm"
    dump(est, path)
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        loaded = load(path)
    assert loaded.device == "cpu" and str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    loaded.set_params(warm_start=True).fit(X, y)  # and trains on, on the CPU
    with pytest.raises(ValueError, match="CUDA is not available"):
        load(path, device="cuda")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load(path, device="cpu").device == "cpu"


@pytest.mark.gpu
@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_a_gpu_trained_file_loads_in_a_cpu_only_process(cls, tmp_path):
    X, y_class, y_reg = _data()
    est = _instance(cls, device="cuda").fit(X, _target(cls, y_class, y_reg))
    expected = _outputs(est, X)["predict"]
    dump(est, tmp_path / "model.skmm")
    np.savez(tmp_path / "X.npz", **X)
    code = (
        "import warnings, numpy as np, torch, skmm.io\n"
        "assert not torch.cuda.is_available()\n"
        "warnings.simplefilter('ignore')\n"
        f"est = skmm.io.load({str(tmp_path / 'model.skmm')!r})\n"
        "assert est.device == 'cpu'\n"
        f"X = dict(np.load({str(tmp_path / 'X.npz')!r}))\n"
        f"np.save({str(tmp_path / 'out.npy')!r}, est.predict(X))\n"
    )
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    out = np.load(tmp_path / "out.npy")
    if out.dtype.kind == "f":
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    else:
        assert (out == expected).mean() > 0.95  # a tie may break differently on the CPU


class _OwnScaler(TransformerMixin, BaseEstimator):
    """A transformer that skops does not trust by default."""

    def fit(self, X, y=None):
        self.mean_ = np.mean(X, axis=0)
        return self

    def transform(self, X):
        return np.asarray(X) - self.mean_


def test_a_custom_scikit_learn_object_needs_trusted():
    X, _, _ = _data()
    est = PerModality(_OwnScaler()).fit(X)
    buffer = io.BytesIO()
    with pytest.warns(UserWarning, match="does not trust"):
        dump(est, buffer)
    with pytest.raises(ValueError, match=r"Refusing to load.*_OwnScaler"):
        load(io.BytesIO(buffer.getvalue()))
    for trusted in ([f"{__name__}._OwnScaler"], [_OwnScaler]):
        loaded = load(io.BytesIO(buffer.getvalue()), trusted=trusted)
        _assert_same(est.transform(X), loaded.transform(X))


def test_code_is_refused_at_dump():
    X, y, _ = _data()
    with pytest.raises(TypeError, match=r"RAMLClassifier\.callbacks\[0\].*EpochTimer"):
        dump(_instance(skmm.RAMLClassifier, callbacks=[EpochTimer()]).fit(X, y), io.BytesIO())
    encoder = skmm.nn.MLPEncoder(3, (8,))
    est = _instance(skmm.ConcatFusionClassifier, encoders={"a": encoder}).fit(X, y)
    with pytest.raises(TypeError, match=r"encoders\['a'\].*MLPEncoder"):
        dump(est, io.BytesIO())
    with pytest.raises(TypeError, match="skmm estimators as steps of a Pipeline"):
        dump(OneVsRestClassifier(_instance(skmm.RAMLClassifier)), io.BytesIO())
    # module state outside the state_dict that the rebuild would lose
    redcore = _instance(skmm.RedCoreClassifier).fit(X, y)
    redcore.net_.module_.eta_log.append((0, torch.zeros(2)))
    with pytest.raises(TypeError, match=r"\['eta_log'\] are not what its parameters rebuild"):
        dump(redcore, io.BytesIO())


def test_without_the_export_extra_the_error_says_what_to_install(monkeypatch):
    X, y, _ = _data()
    est = _instance(skmm.LateFusionClassifier).fit(X, y)
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    with pytest.raises(ImportError, match=r"pip install skmm\[export\]"):
        dump(est, io.BytesIO())
