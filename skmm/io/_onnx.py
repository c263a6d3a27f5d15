"""ONNX export of fitted skmm estimators and pipelines: :func:`to_onnx`.

The exported graph is a wrapper module around the fitted network: it finds the
missing modalities (NaN rows) and the sequence lengths (trailing all-NaN
timesteps) itself, by the data layer's NaN rule, zero-fills them, runs the
module's ``encode`` and ``output`` and the estimator's post-processing
(softmax, unscaling, evidential combination). The wrapper is exported with
torch's ``torch.export``-based exporter (``dynamo=True``); the labels and any
``PerModality`` preprocessing (converted by skl2onnx) are then added to the
ONNX graph with :mod:`onnx.helper`.
"""

import contextlib
import copy
import functools
import inspect
import logging
import re
import warnings

import numpy as np

from skmm.io._optional import require

__all__ = ["to_onnx"]

#: The ONNX opset of the exported graphs (torch's ONNX functions are written for 18).
_OPSET = 18
#: Number of rows (and of timesteps) of the example inputs that trace the graph.
_EXAMPLE_ROWS, _EXAMPLE_STEPS = 2, 3


def _require(module):
    return require(module, "skmm.io.to_onnx")


# ---------------------------------------------------------------------------
# The exported module
# ---------------------------------------------------------------------------


def _batch_from_nan(xs):
    """The :class:`~skmm._batching.Batch` of per-modality tensors, by the NaN rule of
    ``skmm._data``: a row all NaN is a missing modality; in a sequence, the
    timesteps that are not all NaN are counted as its length. NaN become zeros."""
    import torch

    from skmm._batching import Batch

    filled, lengths, masks = [], [], []
    for x in xs:
        nan = torch.isnan(x)
        if x.dim() == 2:
            n_valid = None
            present = ~nan.all(1)
        else:
            n_valid = (~nan.all(2)).sum(1)
            present = n_valid > 0
        filled.append(x.masked_fill(nan, 0.0))
        lengths.append(n_valid)
        masks.append(present)
    return Batch(filled, lengths, torch.stack(masks, 1))


def _exported(module, head, constants):
    """The module that is exported: ``forward(*modalities)`` runs the fitted ``module``
    and the prediction ``head`` (torch is imported here: ``skmm.io`` stays light)."""
    import torch

    class _Exported(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.module, self.head = module, head
            for name, value in constants.items():
                if isinstance(value, bool):
                    setattr(self, name, value)
                else:
                    self.register_buffer(name, torch.as_tensor(value), persistent=False)

        def forward(self, *xs):
            batch = _batch_from_nan(xs)
            return self.head(self, self.module.encode(batch), batch)

    return _Exported().eval()


def _label_and_softmax(graph, encoded, batch):
    # predict_proba: softmax of the logits, normalized in float64; predict: their argmax
    logits = graph.module.output(encoded, batch.mask)
    proba = logits.softmax(-1).double()
    return logits.argmax(1), (proba / proba.sum(1, keepdim=True)).float()


def _label_and_dirichlet(graph, encoded, batch):
    # TrustedFusionClassifier: the combined Dirichlet's mean and u = K / S, in float64
    logits = graph.module.output(encoded, batch.mask)
    alpha = graph.module.combined_alpha(encoded[0].double(), None, batch.mask)
    strength = alpha.sum(1, keepdim=True)
    uncertainty = alpha.shape[1] / strength[:, 0]
    return logits.argmax(1), (alpha / strength).float(), uncertainty.float()


def _label_and_credibility(graph, encoded, batch):
    # FuzzyFusionClassifier: the fused credibility normalized, and its fuzzy entropy
    from skmm.fuzzy import fuzzy_uncertainty

    logits = graph.module.output(encoded, batch.mask)
    c = graph.module.fused_credibility(encoded[0].double(), None, batch.mask)
    return logits.argmax(1), (c / c.sum(1, keepdim=True)).float(), fuzzy_uncertainty(c).float()


def _target_shape(graph, values):
    return values[:, 0] if graph.y_1d else values


def _unscaled(graph, encoded, batch):
    # predict: the standardized outputs back in the targets' units
    out = graph.module.output(encoded, batch.mask).double()
    return (_target_shape(graph, out * graph.y_scale + graph.y_mean),)


def _nig_prediction(graph, encoded, batch):
    # TrustedFusionRegressor: the combined NIG's mean, predictive std and its two parts
    from skmm.trusted_regression import nig_combine, nig_variances

    gamma, nu, alpha, beta = nig_combine(*(t.double() for t in encoded[0]), batch.mask)
    aleatoric, epistemic = nig_variances(nu, alpha, beta)
    # std_calibration's factor of each row's presence pattern (a table over the patterns)
    pattern = (batch.mask.long() * graph.pattern_bits).sum(1)
    scale = graph.std_scales.index_select(0, pattern) * graph.y_scale
    return tuple(
        _target_shape(graph, v)
        for v in (
            gamma * graph.y_scale + graph.y_mean,
            (aleatoric + epistemic).sqrt() * scale,
            aleatoric.sqrt() * scale,
            epistemic.sqrt() * scale,
        )
    )


def _head(estimator):
    """``(head, output names, constants)`` of the estimator's prediction methods.

    The head is chosen by the methods the class actually uses, so that a class
    that overrides one of them is refused rather than exported wrong.
    """
    from skmm.base import MultimodalClassifierBase, MultimodalRegressorBase
    from skmm.fuzzy import FuzzyFusionClassifier
    from skmm.trusted import TrustedFusionClassifier
    from skmm.trusted_regression import TrustedFusionRegressor

    cls = type(estimator)
    candidates = [
        (_label_and_softmax, ("label", "probabilities"), {
            "predict": MultimodalClassifierBase.predict,
            "predict_proba": MultimodalClassifierBase.predict_proba,
            "predict_uncertainty": None,
        }),
        (_label_and_dirichlet, ("label", "probabilities", "uncertainty"), {
            "predict": MultimodalClassifierBase.predict,
            "predict_proba": TrustedFusionClassifier.predict_proba,
            "predict_uncertainty": TrustedFusionClassifier.predict_uncertainty,
        }),
        (_label_and_credibility, ("label", "probabilities", "uncertainty"), {
            "predict": MultimodalClassifierBase.predict,
            "predict_proba": FuzzyFusionClassifier.predict_proba,
            "predict_uncertainty": FuzzyFusionClassifier.predict_uncertainty,
        }),
        (_unscaled, ("prediction",), {
            "predict": MultimodalRegressorBase.predict,
            "predict_uncertainty": None,
        }),
        (_nig_prediction, ("prediction", "std", "aleatoric", "epistemic"), {
            "predict": TrustedFusionRegressor.predict,
            "predict_uncertainty": TrustedFusionRegressor.predict_uncertainty,
        }),
    ]
    chosen = next(
        (c for c in candidates if all(getattr(cls, k, None) is f for k, f in c[2].items())), None
    )
    if chosen is None:
        raise TypeError(
            f"to_onnx cannot export {cls.__name__}: its prediction methods (predict, "
            "predict_proba, predict_uncertainty) are not ones skmm.io knows how to express "
            "in ONNX."
        )
    head, names, _ = chosen
    constants = {}
    if isinstance(estimator, MultimodalRegressorBase):
        constants.update(
            y_scale=np.asarray(estimator._y_scale, np.float64),
            y_mean=np.asarray(estimator._y_mean, np.float64),
            y_1d=bool(estimator._y_1d),
        )
    if head is _nig_prediction:
        n_mod = len(estimator.modalities_)
        bits = 2 ** np.arange(n_mod)
        patterns = (np.arange(1, 2**n_mod)[:, None] & bits).astype(bool)
        scales = np.asarray(estimator._std_scales(patterns), np.float64)
        constants.update(  # row p: the pattern whose bit m is modality m (no row is empty)
            pattern_bits=bits.astype(np.int64),
            std_scales=np.concatenate([np.ones_like(scales[:1]), scales]),
        )
    return head, names, constants


@contextlib.contextmanager
def _quiet():
    """Silence the exporter's warnings and log lines."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _export_module(estimator, input_names):
    """The estimator's network and prediction as an ONNX model (torch's exporter)."""
    import torch

    from skmm.nn.encoders import LSTMEncoder, TextCNNEncoder, TransformerEncoder

    _require("onnxscript")
    if "dynamic_shapes" not in inspect.signature(torch.onnx.export).parameters:
        raise ImportError(
            f"skmm.io.to_onnx needs torch's torch.export-based ONNX exporter (torch >= 2.6); "
            f"this is torch {torch.__version__}."
        )
    head, output_names, constants = _head(estimator)
    module = copy.deepcopy(estimator.net_.module_).to("cpu").eval()
    for sub in module.modules():
        if isinstance(sub, LSTMEncoder | TextCNNEncoder | TransformerEncoder):
            # cutting a batch to its longest sequence is data-dependent control flow
            # (the results are the same without it)
            sub.trim = False
    wrapper = _exported(module, head, constants)
    batch = torch.export.Dim("batch")
    examples, shapes = [], []
    for m, name in enumerate(estimator.modalities_):
        shape = estimator.feature_shapes_[name]
        if len(shape) == 1:
            examples.append(torch.zeros(_EXAMPLE_ROWS, shape[0]))
            shapes.append({0: batch})
        else:
            examples.append(torch.zeros(_EXAMPLE_ROWS, _EXAMPLE_STEPS, shape[1]))
            shapes.append({0: batch, 1: torch.export.Dim(f"timesteps_{m}")})
    output_names = ["label_index", *output_names[1:]] if output_names[0] == "label" else list(
        output_names
    )
    # the modality whose encoder runs, if the export fails inside one (non-strict
    # export runs the Python code: the first failure leaves its name here)
    running = []
    encoders = list(getattr(module, "encoders", ()))
    for name, encoder in zip(estimator.modalities_, encoders):
        encoder.register_forward_pre_hook(functools.partial(_enter, running, name))
        encoder.register_forward_hook(functools.partial(_leave, running))
    try:
        with _quiet(), torch.no_grad(), _fresh_lstm_dispatch():
            program = torch.onnx.export(
                wrapper,
                tuple(examples),
                dynamo=True,
                input_names=list(input_names),
                output_names=output_names,
                dynamic_shapes={"xs": tuple(shapes)},
                opset_version=_OPSET,
                optimize=True,
                verbose=False,
            )
    except Exception as exc:
        if running:
            name = running[0]
            encoder = encoders[estimator.modalities_.index(name)]
            raise ValueError(
                f"The encoder of modality {name!r} ({type(encoder).__name__}) cannot be "
                f"exported to ONNX by torch.onnx.export: {_first_line(exc)}"
            ) from exc
        raise RuntimeError(
            f"torch.onnx.export could not export {type(estimator).__name__}'s network "
            f"({type(module).__name__}): {_first_line(exc)}"
        ) from exc
    model = program.model_proto
    _check_dynamic(estimator, module, model)
    return model


@contextlib.contextmanager
def _fresh_lstm_dispatch():
    """Uncache the dispatch of ``aten.lstm`` around an export.

    The exporter registers a loop decomposition of the LSTM for a dynamic number of
    timesteps, for the export only; a dispatch cached before hides it (the number of
    timesteps gets fixed in a second export), and one cached during it would outlive
    it.
    """
    import torch

    cache = getattr(torch.ops.aten.lstm.input, "_dispatch_cache", None)
    if cache is not None:
        cache.clear()
    try:
        yield
    finally:
        if cache is not None:
            cache.clear()


def _enter(running, name, *_):
    running.append(name)


def _leave(running, *_):
    running.pop()


def _first_line(exc):
    """The gist of an exporter error (its messages run over many lines): the original
    exception and, where torch names it, the line of code that raised it."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    found = re.search(r"<class '(?:[\w]+\.)*(\w+)'>: ([^\n]*)", text)
    gist = f"{found[1]}: {found[2].strip()}" if found else next(
        (line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__
    )
    call = re.search(r"raised this error:\s*File \"([^\"]+)\", line (\d+)[^\n]*\n\s*([^\n]+)",
                     text)
    if call:
        gist += f" (at {call[1]}:{call[2]}: {call[3].strip()})"
    return gist[:800]


def _check_dynamic(estimator, module, model):
    """The exporter fixes a dimension that the code specializes: refuse such a graph."""
    encoders = list(getattr(module, "encoders", [None] * len(estimator.modalities_)))
    for graph_input, name, encoder in zip(model.graph.input, estimator.modalities_, encoders):
        dims = graph_input.type.tensor_type.shape.dim
        if not dims[0].dim_param:
            raise ValueError(
                f"The exported graph of {type(module).__name__} fixes the number of rows "
                "(its code specializes it when traced); it cannot be exported."
            )
        if len(dims) == 3 and not dims[1].dim_param:
            raise ValueError(
                f"The encoder of modality {name!r} ({type(encoder).__name__}) fixes the "
                "number of timesteps when traced; it cannot be exported with variable "
                "sequence lengths."
            )


# ---------------------------------------------------------------------------
# Pipelines
# ---------------------------------------------------------------------------


def _parts(estimator):
    """``(final skmm estimator, [(step name, PerModality)])`` of an estimator or a
    Pipeline ending in one; refuses what cannot be exported, unfitted steps included."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    from skmm.base import MultimodalBase
    from skmm.compose import PerModality, SplitModalities

    steps = list(estimator.steps) if isinstance(estimator, Pipeline) else [(None, estimator)]
    name, final = steps[-1]
    if not isinstance(final, MultimodalBase):
        where = f"the last step {name!r} of the Pipeline" if name is not None else "the object"
        raise TypeError(
            f"to_onnx exports a fitted skmm estimator or a Pipeline ending in one; "
            f"{where} is a {type(final).__name__}."
        )
    check_is_fitted(final, "net_")
    preprocessing = []
    for name, step in steps[:-1]:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if isinstance(step, SplitModalities) or hasattr(step, "fit_resample"):
            continue  # the graph's inputs are already split; samplers act at fit only
        if not isinstance(step, PerModality):
            raise TypeError(
                f"Pipeline step {name!r} ({type(step).__name__}) cannot be exported to ONNX: "
                "to_onnx exports PerModality steps (each modality's transformer converted "
                "by skl2onnx), SplitModalities, 'passthrough' and a final skmm estimator. "
                "Wrap a scikit-learn transformer in PerModality(...)."
            )
        check_is_fitted(step, "transformers_")
        if list(step.modalities_) != list(final.modalities_):
            raise ValueError(
                f"Pipeline step {name!r} (PerModality) has modalities {list(step.modalities_)} "
                f"but the estimator has {list(final.modalities_)}; to_onnx needs the same "
                "modalities in the same order."
            )
        preprocessing.append((name, step))
    return final, preprocessing


def _preprocessing_nodes(preprocessing, final):
    """ONNX nodes applying each PerModality step to the raw modality inputs.

    Returns ``(nodes, initializers, opsets, inputs, outputs)``: ``outputs`` maps a
    modality to the name of its preprocessed tensor (absent when untouched).
    """
    onnx = _require("onnx")
    from onnx import TensorProto, helper, numpy_helper

    skl2onnx = _require("skl2onnx")
    from skl2onnx.common.data_types import FloatTensorType

    first = preprocessing[0][1]
    nodes, inits, opsets, inputs, outputs = [], [], {}, [], {}

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    nan = const("skmm/nan", np.array(np.nan, np.float32))
    last_axis = const("skmm/last_axis", np.array([-1], np.int64))
    for m, name in enumerate(final.modalities_):
        shape = first.feature_shapes_[name]
        seq = len(shape) == 2
        dims = ["batch", f"timesteps_{m}", shape[1]] if seq else ["batch", shape[0]]
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, dims))
        current, width = name, shape[-1]
        for k, (step_name, step) in enumerate(preprocessing):
            transformer = step.transformers_.get(name)
            if transformer is None:
                continue
            p = f"skmm/{m}/{k}/"
            try:
                with _quiet():
                    converted = skl2onnx.convert_sklearn(
                        transformer,
                        initial_types=[("X", FloatTensorType([None, width]))],
                        target_opset=_OPSET,
                    )
            except Exception as exc:
                raise TypeError(
                    f"Pipeline step {step_name!r}: the {type(transformer).__name__} of "
                    f"modality {name!r} cannot be converted to ONNX by skl2onnx ("
                    f"{_first_line(exc)})."
                ) from exc
            converted = _at_opset(converted)
            converted = onnx.compose.add_prefix(converted, p)
            graph = converted.graph
            for opset in converted.opset_import:
                opsets[opset.domain] = max(opsets.get(opset.domain, 0), opset.version)
            rows = current
            if seq:  # the transformer sees every timestep as a row
                rows = p + "rows"
                nodes.append(helper.make_node(
                    "Reshape", [current, const(p + "row_shape", [-1, width])], [rows]))
            nodes.append(helper.make_node("Identity", [rows], [graph.input[0].name]))
            nodes.extend(graph.node)
            inits.extend(graph.initializer)
            out = graph.output[0].name
            if graph.output[0].type.tensor_type.elem_type != TensorProto.FLOAT:
                nodes.append(helper.make_node("Cast", [out], [p + "float"], to=TensorProto.FLOAT))
                out = p + "float"
            if seq:
                nodes += [
                    helper.make_node("Shape", [current], [p + "shape"], start=0, end=2),
                    helper.make_node("Concat", [p + "shape", last_axis], [p + "seq_shape"],
                                     axis=0),
                    helper.make_node("Reshape", [out, p + "seq_shape"], [p + "seq"]),
                ]
                out = p + "seq"
            # missing rows (and padding timesteps) stay NaN, whatever the transformer does
            nodes += [
                helper.make_node("IsNaN", [current], [p + "isnan"]),
                helper.make_node("Cast", [p + "isnan"], [p + "isnan_f"], to=TensorProto.FLOAT),
                helper.make_node("ReduceMin", [p + "isnan_f", last_axis], [p + "all_nan_f"],
                                 keepdims=1),
                helper.make_node("Cast", [p + "all_nan_f"], [p + "all_nan"], to=TensorProto.BOOL),
                helper.make_node("Where", [p + "all_nan", nan, out], [p + "out"]),
            ]
            current, width = p + "out", step._n_out[name]
        if current != name:
            outputs[name] = current
    return nodes, inits, opsets, inputs, outputs


def _at_opset(model):
    """A skl2onnx model at the main-domain opset of the exported graph."""
    onnx = _require("onnx")

    version = {o.domain: o.version for o in model.opset_import}.get("", _OPSET)
    if version == _OPSET:
        return model
    return onnx.version_converter.convert_version(model, _OPSET)


# ---------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------


def _classes_tensor(classes):
    """``classes_`` as an ONNX constant: int64, float64, bool or string."""
    from onnx import numpy_helper

    classes = np.asarray(classes)
    kind = classes.dtype.kind
    if kind == "O" and all(isinstance(c, str) for c in classes):
        kind = "U"
    elif kind == "O" and all(isinstance(c, int | np.integer) for c in classes):
        kind = "i"
    if kind in "iu":
        return numpy_helper.from_array(classes.astype(np.int64), "classes")
    if kind in "fb":
        return numpy_helper.from_array(classes.astype(np.float64 if kind == "f" else bool),
                                       "classes")
    if kind in "US":
        values = np.array([str(c) if kind == "U" else c.decode() for c in classes], dtype=object)
        return numpy_helper.from_array(values, "classes")
    raise TypeError(
        f"to_onnx cannot store classes_ of dtype {classes.dtype} in ONNX (int, float, bool "
        "and str labels can)."
    )


def _add_label(model, classes):
    """Replace the output ``label_index`` by ``label``: the ``classes`` it indexes."""
    from onnx import helper

    graph = model.graph
    outputs = list(graph.output)
    index = next(o for o in outputs if o.name == "label_index")
    classes = _classes_tensor(classes)
    graph.initializer.append(classes)
    graph.node.append(helper.make_node("Gather", ["classes", "label_index"], ["label"], axis=0))
    label = helper.make_tensor_value_info(
        "label", classes.data_type, [d.dim_param or d.dim_value for d in
                                     index.type.tensor_type.shape.dim]
    )
    del graph.output[:]
    graph.output.extend([label] + [o for o in outputs if o is not index])


def to_onnx(estimator, path=None):
    """Export a fitted skmm estimator, or a Pipeline ending in one, to ONNX.

    The graph takes the arrays ``predict`` takes, one input per modality, and
    gives what ``predict`` and ``predict_proba`` give, so that a model can be
    served where Python cannot run (onnxruntime in C#, Java, C++, JavaScript,
    on edge devices...). It reproduces skmm's handling of missing modalities
    exactly: a missing modality is a row of NaN, which the graph detects.

    **Inputs.** One float32 input per modality, named after it (the order of
    ``modalities_``), with a dynamic number of rows: ``(n, d)`` for a vector
    modality, ``(n, T, d)`` for a sequence (``T`` dynamic too). As at
    ``predict``, a row all NaN is a missing modality, and in a sequence the
    timesteps that are all NaN are padding (after the valid ones); each row
    needs one present modality. The graph does not validate its input: data
    that ``predict`` refuses (partial NaN, inf, every modality missing) gives
    unspecified outputs. An estimator fitted on a flat array with a column spec
    (``modalities=``, or a ``SplitModalities`` step) also takes one input per
    modality: split the columns first (``skmm.as_multimodal(X, spec)``).

    **Outputs.**

    * Classifiers: ``label`` (``predict``: the ``classes_`` values, int64 for
      integer classes, string for string classes, float64 or bool otherwise)
      and ``probabilities`` (``predict_proba``, float32, columns in the order of
      ``classes_``); the trusted classifiers (``TrustedFusionClassifier``,
      ``FuzzyFusionClassifier``) also ``uncertainty`` (``predict_uncertainty``,
      float32).
    * Regressors: ``prediction`` (``predict``, float64, in the targets' units
      and in the shape ``predict`` returns); ``TrustedFusionRegressor`` also
      ``std`` (``predict(X, return_std=True)[1]``), ``aleatoric`` and
      ``epistemic`` (``predict_uncertainty``), float64.

    **Pipelines.** A :class:`~sklearn.pipeline.Pipeline` exports whole when
    its steps before the estimator are :class:`~skmm.compose.PerModality`
    (each modality's fitted transformer converted by skl2onnx, e.g.
    ``StandardScaler``, ``PCA``, ``MinMaxScaler``; missing rows and padding
    stay NaN), :class:`~skmm.compose.SplitModalities` or ``"passthrough"``.
    The inputs are then the raw modalities that the pipeline takes.

    The network is exported by ``torch.onnx.export(..., dynamo=True)`` (needs
    onnxscript) at opset 18, with the same numbers as ``predict`` (up to float
    rounding, ~1e-7). The built-in encoders (MLP, LSTM, TextCNN, Transformer)
    export; a custom encoder that torch cannot export is named in the error.

    Parameters
    ----------
    estimator : skmm estimator or sklearn.pipeline.Pipeline
        A fitted classifier or regressor of skmm, or a fitted Pipeline ending
        in one.
    path : str or path-like, default=None
        Where to write the model (``.onnx``); ``None`` writes nothing.

    Returns
    -------
    onnx.ModelProto
        The model. Its ``metadata_props`` record the skmm version and the
        estimator's class.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator or a step of the pipeline is not fitted.
    TypeError
        If a pipeline step, or a PerModality transformer, cannot be expressed
        in ONNX (the error names the step), or the estimator's prediction
        methods are not ones skmm.io knows.
    ValueError
        If a custom encoder cannot be exported (the error names its modality).
    ImportError
        If onnx, onnxscript or skl2onnx (for pipelines) is missing: ``pip
        install skmm[export]``.

    See Also
    --------
    skmm.io.dump : Save a fitted model to a file that loads without pickle.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skmm import LateFusionClassifier
    >>> from skmm.io import to_onnx
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 40)
    >>> X = {"a": (y[:, None] + rng.randn(40, 3)).astype(np.float32),
    ...      "b": rng.randn(40, 2).astype(np.float32)}
    >>> X["b"][:5] = np.nan  # modality "b" missing for five samples
    >>> clf = LateFusionClassifier(max_epochs=3, random_state=0).fit(X, y)
    >>> model = to_onnx(clf)
    >>> [i.name for i in model.graph.input], [o.name for o in model.graph.output]
    (['a', 'b'], ['label', 'probabilities'])
    >>> session = ort.InferenceSession(model.SerializeToString())
    >>> label, proba = session.run(None, X)
    >>> bool((label == clf.predict(X)).all())
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
    True
    """
    onnx = _require("onnx")
    from onnx import helper

    import skmm
    from skmm.base import MultimodalClassifierBase

    final, preprocessing = _parts(estimator)
    pre = _preprocessing_nodes(preprocessing, final) if preprocessing else None
    renamed = pre[4] if pre else {}
    net_inputs = [renamed.get(name, name) for name in final.modalities_]
    model = _export_module(final, net_inputs)
    if isinstance(final, MultimodalClassifierBase):
        _add_label(model, final.classes_)
    if pre:
        nodes, inits, opsets, inputs, _ = pre
        graph = model.graph
        # the raw modalities in, each preprocessed one into the network's input
        new_inputs = [
            inputs[m] if name in renamed else graph.input[m]
            for m, name in enumerate(final.modalities_)
        ]
        combined = helper.make_graph(
            nodes + list(graph.node),
            graph.name,
            new_inputs,
            list(graph.output),
            initializer=inits + list(graph.initializer),
            value_info=list(graph.value_info),
        )
        versions = {o.domain: o.version for o in model.opset_import}
        for domain, version in opsets.items():
            versions[domain] = max(versions.get(domain, 0), version)
        functions = list(model.functions)
        model = helper.make_model(
            combined,
            opset_imports=[helper.make_opsetid(d, v) for d, v in versions.items()],
            ir_version=model.ir_version,
            functions=functions,
            producer_name=model.producer_name,
            producer_version=model.producer_version,
        )
    model.doc_string = (
        f"{type(final).__name__} exported by skmm.io.to_onnx: one input per modality "
        f"({', '.join(final.modalities_)}); a missing modality is a row of NaN."
    )
    helper.set_model_props(model, {
        "skmm_version": skmm.__version__,
        "estimator": type(estimator).__name__ if preprocessing else type(final).__name__,
    })
    onnx.checker.check_model(model)
    if path is not None:
        onnx.save(model, path)
    return model
