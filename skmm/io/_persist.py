"""Model files that load without running code: :func:`dump` and :func:`load`.

A pickled model runs whatever code its file names when it is loaded. A file
written by :func:`dump` holds data only (JSON, ``.npy`` arrays read with
``allow_pickle=False``, safetensors weights and skops blobs in one zip), and
:func:`load` instantiates nothing but an allowlist of classes (skmm's public
estimators and transformers, found by :func:`skmm.utils.all_estimators`, and
:class:`sklearn.pipeline.Pipeline`; the other scikit-learn objects are skops',
which refuses the types it does not trust), checked over the whole file before
anything is built. The file format, what is and is not stored, the version
rule and the devices are described in the Notes of :func:`dump` and
:func:`load`.

Design: an skmm estimator is stored as its class name, ``get_params(deep=False)``
and the rest of its ``__dict__`` except the private skorch net ``net_``, through
a small typed encoder (:class:`_Writer`) that refuses anything that is not
plain data with a ``TypeError`` naming the attribute; its module's
``state_dict`` goes to safetensors. At load the module is rebuilt by the
estimator's own ``_build_module(feature_shapes_, n_outputs, task)`` from those
attributes, gets the ``state_dict`` and a new net (``_make_net``) with the
saved ``history_``. Non-tensor state of a module (plain attributes, buffers
left out of its ``state_dict``) is what its constructor makes of the
parameters: :func:`dump` rebuilds each module and refuses one whose state the
rebuild would not restore (RedCore's step logs are emptied into
``eta_history_`` at the end of training, so nothing is lost there).
"""

import importlib.metadata
import inspect
import io
import json
import math
import os
import sys
import warnings
import zipfile

import numpy as np

from skmm._warnings import user_stacklevel
from skmm.io._optional import require

__all__ = ["dump", "load"]

#: The ``format`` value of every file; anything else is not a model file of skmm's.
_FORMAT = "skmm-model"
#: The format this skmm writes, and those it reads.
_FORMAT_VERSION = 1
_READABLE_FORMATS = (1,)
_JSON = "skmm.json"
_WEIGHTS = "weights.safetensors"
#: The libraries whose versions the stamp records.
_LIBRARIES = ("torch", "scikit-learn", "numpy", "skorch", "skops", "safetensors")


def _require(module):
    return require(module, "skmm.io.dump and skmm.io.load")


def _allowed_classes():
    """Class name -> class: what :func:`load` instantiates itself."""
    from sklearn.pipeline import Pipeline

    from skmm.utils import all_estimators

    classes = [cls for _, cls in all_estimators()] + [Pipeline]
    return {_class_name(cls): cls for cls in classes}


def _class_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _versions():
    import skmm

    found = {"skmm": skmm.__version__}
    for name in _LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    found["python"] = ".".join(map(str, sys.version_info[:3]))
    return found


def _series(version):
    """``(major, minor)`` of a version string."""
    from sklearn.utils.fixes import parse_version

    return parse_version(version).release[:2]


def _is_multimodal(cls):
    """Whether ``cls`` is an skmm estimator with a module (``net_`` once fitted)."""
    from skmm.base import MultimodalBase

    return issubclass(cls, MultimodalBase)


def _n_outputs(est):
    """The ``n_outputs`` the module was built with: classes or targets."""
    from sklearn.base import is_classifier

    return len(est.classes_) if is_classifier(est) else est.n_outputs_


def _build_module(est):
    """A new module built from ``est``'s parameters and fitted attributes, without
    touching torch's global random state."""
    import torch

    with torch.random.fork_rng(devices=[]):
        return est._build_module(est.feature_shapes_, _n_outputs(est), est._task())


# -- writing ---------------------------------------------------------------------


def _plain_state(module):
    """Per submodule, its attributes that are not tensors, submodules or private."""
    import torch

    state = {}
    for name, sub in module.named_modules():
        for key, value in vars(sub).items():
            if key.startswith("_") or key == "training":
                continue
            if not isinstance(value, torch.Tensor | torch.nn.Module):
                state[f"{name}.{key}" if name else key] = value
    return state


def _same(a, b):
    """Equal plain data (objects that are not plain data: the same type)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, None | bool | int | float | str):
        return a == b
    return True


def _check_rebuilds(est, where):
    """Refuse a module that the rebuild at load would not restore: other tensor names or
    shapes, other non-persistent buffers, or other plain attributes."""
    import torch

    fitted, fresh = est.net_.module_, _build_module(est)
    problem = None
    a, b = fitted.state_dict(), fresh.state_dict()
    if a.keys() != b.keys():
        problem = f"tensors {sorted(set(a) ^ set(b))} differ"
    else:
        shapes = [k for k in a if a[k].shape != b[k].shape or a[k].dtype != b[k].dtype]
        if shapes:
            problem = f"the shape or dtype of {shapes} differs"
    if problem is None:
        buffers = {k for k, _ in fitted.named_buffers()} - set(a)
        fresh_buffers = dict(fresh.named_buffers())
        changed = [
            k for k, v in fitted.named_buffers()
            if k in buffers and not torch.equal(v.cpu(), fresh_buffers[k].cpu())
        ]
        if changed:
            problem = f"its non-persistent buffers {changed} changed in training"
    if problem is None:
        old, new = _plain_state(fitted), _plain_state(fresh)
        changed = sorted(k for k in old.keys() | new.keys()
                         if k not in old or k not in new or not _same(old[k], new[k]))
        if changed:
            problem = f"its attributes {changed} are not what its parameters rebuild"
    if problem is not None:
        raise TypeError(
            f"{where}: the trained module cannot be saved as data: rebuilt from the "
            f"estimator's parameters and fitted attributes, {problem}."
        )


class _Writer:
    """Encodes an object tree into JSON-able data; collects the arrays, tensors and
    skops blobs that go into their own members of the file."""

    def __init__(self):
        self.members = {}  # file name -> bytes
        self.tensors = {}
        self._allowed = _allowed_classes()
        self._n_modules = 0
        self._counts = {}

    def _member(self, folder, suffix, data):
        n = self._counts[folder] = self._counts.get(folder, -1) + 1
        name = f"{folder}/{n}{suffix}"
        self.members[name] = data
        return name

    def _array_member(self, array):
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return self._member("arrays", ".npy", buffer.getvalue())

    def encode(self, value, where):
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if math.isfinite(value) else {"__type__": "float", "value": repr(value)}
        if kind is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if kind is tuple:
            return {"__type__": "tuple",
                    "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if kind is dict:
            return self._dict(value, where)
        if kind is slice:
            return {"__type__": "slice", "start": self.encode(value.start, where),
                    "stop": self.encode(value.stop, where), "step": self.encode(value.step, where)}
        if kind is np.ndarray:
            return self._ndarray(value, where)
        if isinstance(value, np.generic):
            return self._scalar(value, where)
        if kind is np.random.RandomState:
            return {"__type__": "RandomState",
                    "state": self.encode(value.get_state(legacy=True), where)}
        if isinstance(value, np.dtype) and value.fields is None and value.subdtype is None:
            return {"__type__": "dtype", "value": value.str}
        torch = sys.modules.get("torch")
        if torch is not None and kind is torch.device:
            return {"__type__": "device", "value": str(value)}
        history = getattr(sys.modules.get("skorch.history"), "History", None)
        if history is not None and kind is history:
            return {"__type__": "History", "items": self.encode(list(value), where)}
        if _class_name(kind) in self._allowed and self._allowed[_class_name(kind)] is kind:
            return self._estimator(value, where)
        if kind.__module__.split(".")[0] == "skmm":
            raise TypeError(
                f"{where}: {kind.__module__}.{kind.__qualname__} is not one of skmm's public "
                "estimators or transformers (skmm.utils.all_estimators()), the only skmm "
                "classes that skmm.io stores."
            )
        from sklearn.base import BaseEstimator

        if isinstance(value, BaseEstimator):
            return self._skops(value, where)
        raise TypeError(
            f"{where}: skmm.io.dump stores parameters and fitted attributes as data and "
            f"cannot store an object of type {kind.__module__}.{kind.__qualname__} without "
            "pickle (data it can store: None, bool, int, float, str, lists, tuples, dicts, "
            "slices, numpy arrays, scalars and dtypes, RandomState, skmm's public estimators, "
            "Pipeline and the scikit-learn objects that skops stores)."
        )

    def _dict(self, value, where):
        if all(type(k) is str for k in value) and "__type__" not in value:
            return {k: self.encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        pairs = []
        for k, v in value.items():
            if not (k is None or type(k) in (bool, int, float, str, tuple)):
                raise TypeError(f"{where}: cannot store a dict key of type {type(k).__name__}.")
            pairs.append([self.encode(k, where), self.encode(v, f"{where}[{k!r}]")])
        return {"__type__": "dict", "pairs": pairs}

    def _ndarray(self, value, where):
        if value.dtype.hasobject:
            if value.dtype != object:
                raise TypeError(f"{where}: cannot store a structured array holding objects.")
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value.ravel())]
            return {"__type__": "object_array", "shape": list(value.shape), "items": items}
        return {"__type__": "ndarray", "file": self._array_member(value)}

    def _scalar(self, value, where):
        dtype = value.dtype
        if dtype.kind in "biu" or dtype.kind == "f" and dtype.itemsize <= 8 or dtype.kind == "U":
            return {"__type__": "scalar", "dtype": dtype.str,
                    "value": self.encode(value.item(), where)}
        if dtype.hasobject:
            raise TypeError(f"{where}: cannot store a numpy scalar of dtype {dtype}.")
        return {"__type__": "scalar", "file": self._array_member(np.asarray(value))}

    def _estimator(self, est, where):
        name = type(est).__name__
        params = est.get_params(deep=False)
        attrs = {k: v for k, v in vars(est).items() if k not in params and k != "net_"}
        node = {
            "__type__": "estimator",
            "class": _class_name(type(est)),
            "params": {k: self.encode(v, f"{where}.{k}") for k, v in params.items()},
            "attrs": {k: self.encode(v, f"{where}.{k}") for k, v in attrs.items()},
        }
        if _is_multimodal(type(est)) and hasattr(est, "net_"):
            _check_rebuilds(est, f"{where} ({name})")
            prefix = f"m{self._n_modules}/"
            self._n_modules += 1
            for key, tensor in est.net_.module_.state_dict().items():
                self.tensors[prefix + key] = tensor.detach().to("cpu", copy=True).contiguous()
            node["weights"] = prefix
        return node

    def _skops(self, value, where):
        sio = _require("skops.io")
        try:
            data = sio.dumps(value)
        except Exception as exc:
            raise TypeError(
                f"{where}: skops could not store {type(value).__name__} ({exc})."
            ) from exc
        untrusted = sio.get_untrusted_types(data=data)
        inner = [t for t in untrusted if t.split(".")[0] in ("skmm", "torch", "skorch")]
        if inner:
            raise TypeError(
                f"{where}: {type(value).__name__} holds {inner}; skmm.io.dump stores skmm "
                "estimators as steps of a Pipeline or on their own, not inside other "
                "scikit-learn objects."
            )
        if untrusted:
            warnings.warn(
                f"{where}: skops does not trust the types {untrusted} by default; load the "
                f"file with skmm.io.load(..., trusted={untrusted!r}) once you trust them.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        return {"__type__": "skops", "file": self._member("skops", ".skops", data)}


def dump(estimator, file):
    """Save an estimator or pipeline to a file that loads without pickle.

    Parameters, fitted attributes and the version stamp are written as JSON,
    arrays as ``.npy`` (no pickle), the weights of each trained module as
    safetensors and the scikit-learn objects inside (the transformer of a
    :class:`~skmm.compose.PerModality`, scikit-learn steps of a pipeline) in
    skops' format, all in one zip archive (see Notes).
    The weights are copied to the CPU, so a model trained on a GPU loads on a
    machine without one. The optimizer's state is not saved.

    Parameters
    ----------
    estimator : estimator
        An skmm estimator or transformer (:func:`skmm.utils.all_estimators`), a
        :class:`sklearn.pipeline.Pipeline` of them and scikit-learn steps, or
        a scikit-learn estimator; fitted or not.
    file : str, path-like or file object
        Where to write (suggested suffix ``.skmm``); a file object must be
        opened for writing in binary mode.

    Raises
    ------
    TypeError
        When the estimator holds an object that is code rather than data
        (user callbacks, a torch module as an encoder, ...); the message
        names the attribute.

    See Also
    --------
    load : Read the file back.

    Notes
    -----
    The file is a zip archive holding:

    * ``skmm.json``: the version stamp (``format``, ``format_version`` and the
      versions of skmm, torch, scikit-learn, numpy, skorch, skops,
      safetensors and Python) and the object tree. Each skmm estimator or
      transformer, and each ``Pipeline``, is its class name, its parameters
      (``get_params(deep=False)``) and its other attributes (the fitted
      ones), as typed data: ``None``, bool, int, float, str, lists, tuples,
      dicts, slices, numpy arrays, scalars and dtypes, a ``RandomState``'s
      state, a ``torch.device``, a skorch ``History`` as its list of dicts;
    * ``weights.safetensors``: each trained module's ``state_dict``
      (parameters and buffers), from CPU copies;
    * ``arrays/<n>.npy``: the numpy arrays (arrays of Python objects, such as
      string labels, are JSON lists);
    * ``skops/<n>.skops``: any other scikit-learn object, in skops' format.

    Not stored, and refused with a ``TypeError``: objects that are code
    rather than data, such as user callbacks (set ``callbacks=None`` before
    dumping), a torch module given as an encoder, or an skmm estimator inside
    a scikit-learn meta-estimator other than ``Pipeline``. Nor is the
    optimizer's state: a loaded model trains on with a new optimizer.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from skmm import ConcatFusionClassifier
    >>> from skmm.io import dump, load
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.randn(40, 3), "b": rng.randn(40, 2)}
    >>> y = (X["a"][:, 0] > 0).astype(int)
    >>> clf = ConcatFusionClassifier(hidden_sizes=(8,), max_epochs=2, random_state=0).fit(X, y)
    >>> buffer = io.BytesIO()  # or a path such as "model.skmm"
    >>> dump(clf, buffer)
    >>> bool((load(buffer).predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    writer = _Writer()
    tree = writer.encode(estimator, type(estimator).__name__)
    header = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "versions": _versions(),
        "estimator": tree,
    }
    text = json.dumps(header, allow_nan=False, separators=(",", ":"))
    if writer.tensors:
        weights = _require("safetensors.torch").save(writer.tensors)
        writer.members[_WEIGHTS] = weights
    with zipfile.ZipFile(file, "w") as archive:
        archive.writestr(_JSON, text, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in writer.members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)


# -- reading ---------------------------------------------------------------------

#: The typed entries of the object tree and the keys each one needs.
_NODE_TYPES = {
    "float": ("value",), "tuple": ("items",), "dict": ("pairs",),
    "slice": ("start", "stop", "step"), "ndarray": ("file",), "object_array": ("shape", "items"),
    "scalar": (), "dtype": ("value",), "RandomState": ("state",), "device": ("value",),
    "History": ("items",), "estimator": ("class", "params", "attrs"), "skops": ("file",),
}


def _check_stamp(header):
    if not isinstance(header, dict) or header.get("format") != _FORMAT:
        raise ValueError("This is not an skmm model file (no skmm model header).")
    import sklearn

    import skmm

    versions = header.get("versions")
    versions = versions if isinstance(versions, dict) else {}
    written = versions.get("skmm")
    version = header.get("format_version")
    if version not in _READABLE_FORMATS:
        raise ValueError(
            f"This skmm model file has format version {version!r}; this skmm reads format "
            f"version(s) {list(_READABLE_FORMATS)}. Load it with the skmm version that wrote "
            f"it ({written!r})."
        )
    try:
        compatible = _series(written) == _series(skmm.__version__)
    except (TypeError, ValueError):
        compatible = False
    if not compatible:
        raise ValueError(
            f"This model file was written by skmm {written!r}; skmm {skmm.__version__} loads "
            f"the files of its own release series ({'.'.join(map(str, _series(skmm.__version__)))}"
            ".*), since fitted attributes and modules may change between minor versions. "
            f"Load it with skmm {written} or refit the model."
        )
    sklearn_written = versions.get("scikit-learn")
    if sklearn_written != sklearn.__version__:
        warnings.warn(
            f"This model file was written with scikit-learn {sklearn_written}; this is "
            f"scikit-learn {sklearn.__version__}. Its scikit-learn parts may behave "
            "differently: check its predictions, or refit.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


class _Reader:
    """Checks an encoded object tree against the allowlist (:meth:`check`), then builds
    it (:meth:`build`)."""

    def __init__(self, archive, trusted, device):
        self.archive = archive
        self.names = set(archive.namelist())
        self.trusted = [t if isinstance(t, str) else _class_name(t) for t in trusted or []]
        self.device = device
        self._allowed = _allowed_classes()
        self._tensors = None

    def _read(self, name, where):
        if not isinstance(name, str) or name not in self.names:
            raise ValueError(f"{where}: the file has no member {name!r}.")
        return self.archive.read(name)

    def check(self, node, where="estimator"):
        """Refuse a tree that names anything outside the allowlist, before anything is
        instantiated."""
        if isinstance(node, list):
            for i, item in enumerate(node):
                self.check(item, f"{where}[{i}]")
            return
        if not isinstance(node, dict):
            return
        kind = node.get("__type__")
        if kind is None:
            for key, value in node.items():
                self.check(value, f"{where}[{key!r}]")
            return
        if kind not in _NODE_TYPES:
            raise ValueError(f"Refusing to load: {where} has an unknown entry type {kind!r}.")
        needed = _NODE_TYPES[kind] or (("file",) if "file" in node else ("dtype", "value"))
        if any(key not in node for key in needed):
            raise ValueError(f"Refusing to load: {where}, a {kind!r} entry, lacks {needed}.")
        if kind == "estimator":
            self._check_estimator(node, where)
        elif kind == "skops":
            self._check_skops(node, where)
        elif "file" in node and node["file"] not in self.names:
            raise ValueError(f"{where}: the file has no member {node['file']!r}.")
        for key, value in node.items():
            if key not in ("__type__", "class", "file"):
                self.check(value, where if key in ("items", "pairs", "state") else
                           f"{where}.{key}")

    def _check_estimator(self, node, where):
        name = node.get("class")
        cls = self._allowed.get(name) if isinstance(name, str) else None
        if cls is None:
            raise ValueError(
                f"Refusing to load: {where} names {name!r}, which is not one of the classes "
                "skmm.io.load instantiates (skmm's public estimators and transformers, and "
                "sklearn.pipeline.Pipeline; other scikit-learn objects are stored by skops). "
                "The file may have been tampered with."
            )
        params, attrs = node.get("params"), node.get("attrs")
        if not isinstance(params, dict) or not isinstance(attrs, dict):
            raise ValueError(f"Refusing to load: {where} ({name}) has no params or attrs.")
        accepted = inspect.signature(cls).parameters
        unknown = [k for k in params if k not in accepted]
        bad = [k for k in attrs if not k.isidentifier() or k.startswith("__")]
        if unknown or bad:
            raise ValueError(
                f"Refusing to load: {where} ({name}) names parameters {unknown} that its class "
                f"does not have, or attributes {bad} that are not plain names."
            )
        if "weights" in node and not _is_multimodal(cls):
            raise ValueError(f"Refusing to load: {where} ({name}) has no module to load into.")

    def _check_skops(self, node, where):
        sio = _require("skops.io")
        data = self._read(node.get("file"), where)
        untrusted = [t for t in sio.get_untrusted_types(data=data) if t not in self.trusted]
        if untrusted:
            raise ValueError(
                f"Refusing to load: {where} holds types that skops does not trust: {untrusted}. "
                "If you trust the file's source and these types, pass them as "
                "skmm.io.load(..., trusted=[...])."
            )

    def build(self, node):
        if isinstance(node, list):
            return [self.build(item) for item in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("__type__")
        if kind is None:
            return {key: self.build(value) for key, value in node.items()}
        return getattr(self, f"_build_{kind}")(node)

    def _build_float(self, node):
        return float(node["value"])

    def _build_tuple(self, node):
        return tuple(self.build(node["items"]))

    def _build_dict(self, node):
        return {self.build(k): self.build(v) for k, v in node["pairs"]}

    def _build_slice(self, node):
        return slice(self.build(node["start"]), self.build(node["stop"]), self.build(node["step"]))

    def _load_array(self, node):
        return np.load(io.BytesIO(self._read(node["file"], "array")), allow_pickle=False)

    def _build_ndarray(self, node):
        return self._load_array(node)

    def _build_object_array(self, node):
        items = self.build(node["items"])
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array.reshape(tuple(node["shape"]))

    def _build_scalar(self, node):
        if "file" in node:
            return self._load_array(node)[()]
        return np.dtype(node["dtype"]).type(self.build(node["value"]))

    def _build_dtype(self, node):
        return np.dtype(node["value"])

    def _build_RandomState(self, node):
        state = np.random.RandomState()
        state.set_state(self.build(node["state"]))
        return state

    def _build_device(self, node):
        import torch

        return torch.device(node["value"])

    def _build_History(self, node):
        from skorch.history import History

        return History(self.build(node["items"]))

    def _build_skops(self, node):
        sio = _require("skops.io")
        return sio.loads(self._read(node["file"], "skops"), trusted=self.trusted or None)

    def _build_estimator(self, node):
        cls = self._allowed[node["class"]]
        est = cls(**self.build(node["params"]))
        vars(est).update(self.build(node["attrs"]))
        if "weights" in node:
            self._restore_net(est, node["weights"])
        return est

    def _restore_net(self, est, prefix):
        """Rebuild ``est``'s module and private net on the chosen device, with its
        weights, buffers and history."""
        from skmm._training import resolve_device

        if self.device is not None:
            resolve_device(self.device)  # a clear error for a device this machine lacks
            est.device = self.device
        else:
            try:
                resolve_device(est.device)
            except ValueError as exc:
                warnings.warn(
                    f"{type(est).__name__} was fitted with device={est.device!r}, which this "
                    f"machine cannot use ({exc}); it is loaded on the CPU and its device "
                    "parameter set to 'cpu'. Pass device= to skmm.io.load to choose.",
                    UserWarning,
                    stacklevel=user_stacklevel(),
                )
                est.device = "cpu"
        if self._tensors is None:
            safetensors = _require("safetensors.torch")
            self._tensors = safetensors.load(self._read(_WEIGHTS, "weights"))
        state = {k[len(prefix):]: v for k, v in self._tensors.items() if k.startswith(prefix)}
        module = _build_module(est)
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ValueError(
                f"The weights of {type(est).__name__} in this file do not fit the module its "
                f"parameters build: {exc}"
            ) from exc
        net = est._make_net(module, est._task())
        net.initialize()
        history = getattr(est, "history_", None)
        if history is not None:
            net.history_ = history
        est.net_ = net


def load(file, *, device=None, trusted=None):
    """Load an estimator saved by :func:`dump`, without pickle.

    The version stamp is checked first, then every class and type the file
    names, before anything is instantiated: only skmm's public estimators and
    transformers and :class:`sklearn.pipeline.Pipeline` are built by skmm, and
    the other scikit-learn objects by skops, which refuses types it does not
    trust. An skmm estimator's module is rebuilt from its parameters and
    fitted attributes and gets the saved weights and buffers; it continues
    training (``warm_start=True``, ``partial_fit``) with a new optimizer.

    Parameters
    ----------
    file : str, path-like or file object
        A file written by :func:`dump`; a file object must be opened for
        reading in binary mode.
    device : str or torch.device, default=None
        Where to put the models' modules; it becomes their ``device``
        parameter. ``None``: each model's own ``device`` where this machine
        has it, else the CPU, with a ``UserWarning`` (a model trained on a GPU
        loads on a CPU-only machine).
    trusted : list of str or type, default=None
        Further types to trust in the scikit-learn parts: the types
        themselves, or their names as :func:`skops.io.get_untrusted_types`
        gives them (a custom transformer
        inside a :class:`~skmm.compose.PerModality`, say). Never needed for
        skmm's own classes or scikit-learn's.

    Returns
    -------
    estimator
        The estimator or pipeline, as it was saved.

    Raises
    ------
    ValueError
        A file that is not an skmm model file, from a format version or skmm
        release series that this skmm does not read (see Notes), or
        that names a class or type outside the allowlist (a tampered file).

    See Also
    --------
    dump : Write the file.

    Notes
    -----
    Compatibility: this skmm reads ``format_version`` 1, from the skmm release
    series that wrote the file, the same major and minor version (``0.1.0``,
    ``0.1.3`` and ``0.1.0.dev0`` read each other's files; ``0.2.0`` refuses
    them), since fitted attributes and modules may change between minor
    versions: load the file with the skmm version that wrote it, or refit. A
    scikit-learn version other than the writer's gives a ``UserWarning`` (its
    estimators may differ); a torch version does not (a ``state_dict`` is
    plain tensors).

    Devices: the weights are stored from CPU copies, so that the file does
    not depend on the device the model was trained on; ``device`` chooses
    where they go.

    Examples
    --------
    >>> import io
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmm import PerModality
    >>> from skmm.io import dump, load
    >>> scaler = make_pipeline(PerModality(StandardScaler())).fit({"a": [[0.0], [2.0]]})
    >>> buffer = io.BytesIO()
    >>> dump(scaler, buffer)
    >>> load(buffer).transform({"a": [[1.0]]})["a"]
    array([[0.]])
    """
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile as exc:
        where = repr(os.fspath(file)) if isinstance(file, str | os.PathLike) else "This file"
        raise ValueError(f"{where} is not an skmm model file ({exc}).") from exc
    with archive:
        try:
            header = json.loads(archive.read(_JSON))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"This is not an skmm model file (no readable {_JSON}).") from exc
        _check_stamp(header)
        tree = header.get("estimator")
        if not isinstance(tree, dict) or tree.get("__type__") not in ("estimator", "skops"):
            raise ValueError("Refusing to load: the file holds no estimator.")
        reader = _Reader(archive, trusted, device)
        reader.check(tree)
        return reader.build(tree)
