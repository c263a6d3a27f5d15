"""The sklearn face shared by every skmm estimator: a task-neutral base and its
classifier and regressor layers.

A skmm estimator is a plain ``BaseEstimator`` whose ``__init__`` stores
parameters and whose ``fit`` validates the input through the data layer,
builds a PyTorch module from the data's modality shapes and trains it with a
private skorch net (``net_``): :class:`MultimodalBase`. Composition, not
subclassing ``NeuralNetClassifier``/``NeuralNetRegressor``: it passes every
scikit-learn estimator check. As scikit-learn splits
``BaseSGD`` into ``BaseSGDClassifier`` and ``BaseSGDRegressor`` (and skorch
``NeuralNet`` into its classifier and regressor), a task layer does what
depends on the targets: :class:`MultimodalClassifierBase` label-encodes ``y``
and predicts classes and probabilities; :class:`MultimodalRegressorBase`
standardizes ``y`` and predicts values.

The data layer (``skmm._data``) validates the input, ``skmm._batching``
turns it into tensor batches and ``skmm._training`` holds the skorch net and
its callbacks; the docstrings shared by the estimators are in
``skmm._docstrings``.

A method adds only its module, a subclass of :class:`skmm.nn.MultimodalModule` that
predicts ``n_outputs`` values per row and scores them with the task it is
given (:class:`skmm.nn.Classification` or :class:`skmm.nn.Regression`), and its
``_build_module``; the same method class then serves both tasks.
"""

import inspect
import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from skmm._batching import (
    PLACEMENTS,
    BatchIterator,
    _pad_batch,
    inference_batch_size,
    make_dataset,
    resolve_placement,
)
from skmm._data import _py, validate_multimodal
from skmm._docstrings import fill_doc
from skmm._training import (
    _check_train_noise,
    _check_training_input,
    _MultimodalNet,
    _ShuffleSplit,
    _StratifiedSplit,
    learned_bar,
    resolve_device,
    torch_threads,
    training_callbacks,
)
from skmm._warnings import user_stacklevel
from skmm.nn.tasks import Classification, Regression

__all__ = [
    "EmbeddingMixin",
    "MultimodalBase",
    "MultimodalClassifierBase",
    "MultimodalRegressorBase",
    "check_layer_sizes",
    "fill_doc",
]


class EmbeddingMixin(TransformerMixin):
    """``fit_transform`` for classifiers whose ``transform`` returns their
    float32 embedding (sklearn's TransformerMixin, with the dtype tag set)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags



#: ``early_stopping="auto"`` holds out a validation split only when it would have at
#: least this many rows (and a classifier's, two per class): on fewer, its loss and score
#: are too noisy to choose an epoch by (measured in ``early_stopping``'s docs).
_MIN_VALIDATION_ROWS = 20


def check_layer_sizes(estimator, name):
    """Check that the parameter ``name`` of ``estimator`` is a sequence of positive ints.

    Layer widths (``()`` allowed) are declared ``"array-like"`` in
    ``_parameter_constraints``, as ``MLPClassifier`` declares
    ``hidden_layer_sizes``, and checked here at ``fit``; the error is
    scikit-learn's ``InvalidParameterError``, worded as its own.
    """
    value = getattr(estimator, name)
    if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__") or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in value
    ):
        raise InvalidParameterError(
            f"The {name!r} parameter of {type(estimator).__name__} must be a sequence of "
            f"positive ints (layer widths). Got {value!r} instead."
        )


def _check_weighted_module(estimator, module):
    """Weighted training needs a module whose ``losses`` takes ``sample_weight``."""
    if "sample_weight" not in inspect.signature(module.losses).parameters:
        raise TypeError(
            f"{type(estimator).__name__} cannot train with sample_weight or class_weight: "
            f"its module's {type(module).__name__}.losses has no sample_weight parameter "
            "(see 'Writing a method' in skmm's user guide)."
        )


class MultimodalBase(BaseEstimator):
    """The task-neutral machinery of skmm estimators (not for direct use).

    It validates multimodal input, builds a PyTorch module from the data's
    modality shapes and trains it with a private skorch net. A task layer
    (:class:`MultimodalClassifierBase`, :class:`MultimodalRegressorBase`)
    turns the targets into tensors (``_fit_targets``), names the task the
    module is built for (``_task``: :class:`skmm.nn.Classification` or
    :class:`skmm.nn.Regression`, whose score, accuracy or R², is recorded in
    the history), the score of a constant prediction (``_chance``), the
    early-stopping split and the fewest rows it needs, and turns the
    module's output into predictions. A method declares its own parameters' constraints by
    extending the base's
    (``_parameter_constraints = {**MultimodalBase._parameter_constraints,
    "latent_dim": [Interval(Integral, 1, None, closed="left")]}``; scikit-learn
    checks them at the start of ``fit``) and implements
    ``_build_module(feature_shapes, n_outputs, task)``. A parameter ``augment``
    sets the missing-pattern augmentation of the training batches.
    """

    #: The common parameters' constraints (scikit-learn's declarative validation);
    #: subclasses merge theirs: ``{**MultimodalBase._parameter_constraints, ...}``.
    _parameter_constraints = {
        "modalities": [dict, None],
        "encoders": [dict, None],
        "hidden_sizes": ["array-like"],
        "train_noise": [Interval(Real, 0, None, closed="left"), "array-like", None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"constant", "adaptive"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "callbacks": [list, tuple, None],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "data_placement": [StrOptions(set(PLACEMENTS))],
    }

    #: The shared parameters' defaults, declared once. Every estimator's signature has
    #: these (``tests/test_docstrings.py`` holds it to them), except the parameters a
    #: method names in ``_own_defaults``, whose defaults it chose by measurement.
    _common_defaults = {
        "modalities": None,
        "encoders": None,
        "hidden_sizes": (256,),
        "train_noise": None,
        "lr": 3e-4,
        "lr_schedule": "constant",
        "weight_decay": 5e-4,
        "batch_size": 128,
        "max_epochs": 200,
        "tol": 1e-4,
        "early_stopping": "auto",
        "validation_fraction": 0.1,
        "n_iter_no_change": 10,
        "device": "cpu",
        "n_threads": 1,
        "data_placement": "auto",
        "random_state": None,
        "callbacks": None,
        "verbose": 0,
        "warm_start": False,
    }
    _own_defaults = ()

    #: The constraint of an ``augment`` parameter, for subclasses that have one.
    _AUGMENT = [StrOptions({"all", "random"}), None]

    # -- what a method provides ---------------------------------------------

    def _build_module(self, feature_shapes, n_outputs, task):
        raise NotImplementedError

    def _method_callbacks(self):
        """``(name, callback)`` pairs a method adds to training (e.g. RedCore's regulation)."""
        return []

    def _min_epochs(self):
        """Epochs before the convergence rule may stop training (0: from the first)."""
        return 0

    def _after_training(self, net, dataset, partial=False):
        """Set a method's own fitted attributes from the trained ``net`` and the training
        ``dataset`` (validated, targets encoded; ``net.train_split(dataset)`` gives the
        early-stopping split). Runs in ``fit`` and ``partial_fit`` (``partial=True``)
        with their torch threads."""

    # -- what a task layer provides ------------------------------------------

    def _fit_targets(self, y, classes=None, sample_weight=None):
        """Validate ``y``, set the task's fitted attributes; return ``(targets, n_outputs)``:
        the training targets as an array of the dtype the task's loss takes. ``classes``:
        a classifier's ``partial_fit`` argument (all the labels there will be);
        ``sample_weight``: the validated weights, for statistics of ``y`` (or ``None``)."""
        raise NotImplementedError

    def _encode_targets(self, y, how):
        """Validate ``y`` against the fitted task (``warm_start`` or ``partial_fit``,
        named by ``how`` in errors); return the training targets."""
        raise NotImplementedError

    def _chance(self, targets, sample_weight=None):
        """The score of the best constant prediction of ``targets`` (the task's score:
        the majority class's share, or an R² of 0), weighted by ``sample_weight``."""
        raise NotImplementedError

    def _row_weights(self, sample_weight, targets, partial):
        """The training weight of each row from the validated ``sample_weight`` (or
        ``None``): a classifier multiplies in its ``class_weight``. ``None``: unweighted."""
        return sample_weight

    def _split(self):
        """The class of the early-stopping split (a ``train_split`` for skorch)."""
        raise NotImplementedError

    # -- training -----------------------------------------------------------

    def _callbacks(self, loss_terms, task, targets, stop=True, sample_weight=None):
        n = len(targets)
        n_monitored = self._n_validation_rows(n) if self.early_stopping_ else n
        if sample_weight is not None:
            # A weighted score is as noisy as one over Kish's effective number of rows,
            # (sum w)^2 / sum w^2, which the stopping rule's bar is set by.
            effective = float(sample_weight.sum() ** 2 / (sample_weight**2).sum())
            n_monitored = max(1, round(n_monitored * effective / n))
        return training_callbacks(
            self, loss_terms, task, self._chance(targets, sample_weight), n_monitored,
            self._method_callbacks(), self._min_epochs(), stop=stop,
        )

    def _resolve_early_stopping(self, n_samples):
        """``early_stopping="auto"``: on when the validation split holds enough rows for
        its loss and score to measure something (:meth:`_validation_rows_needed`)."""
        if self.early_stopping != "auto":
            return bool(self.early_stopping)
        return self._n_validation_rows(n_samples) >= self._validation_rows_needed()

    def _n_validation_rows(self, n_samples):
        """The rows of the validation split of ``n_samples`` (``train_test_split`` rounds
        a fractional ``test_size`` up)."""
        return math.ceil(self.validation_fraction * n_samples)

    def _validation_rows_needed(self):
        """The fewest validation rows ``early_stopping="auto"`` holds out."""
        return _MIN_VALIDATION_ROWS

    def _train_split(self, seed):
        if not self.early_stopping_:
            return None
        return self._split()(self.validation_fraction, seed)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on multimodal data.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels (any labels sklearn accepts) for a classifier;
            target values for a regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample: every term of the training
            loss that a sample contributes (in each of its augmented copies)
            is multiplied by its weight, and so are the validation loss and
            score that early stopping monitors. Only the weights' ratios
            matter: they are rescaled to a mean of 1 over the training rows.
            A classifier multiplies them by its ``class_weight``. ``None``,
            or all weights equal: unweighted, bit for bit (see
            :ref:`sample_weights`).

        Returns
        -------
        self
        """
        return self._fit(X, y, partial=False, sample_weight=sample_weight)

    def _fit(self, X, y, *, partial, classes=None, sample_weight=None):
        """``fit`` (``partial=False``: up to ``max_epochs`` epochs, from new weights unless
        ``warm_start``) and ``partial_fit`` (one epoch, continuing the fitted module)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        check_layer_sizes(self, "hidden_sizes")
        first = not hasattr(self, "net_") or not (partial or self.warm_start)
        data = validate_multimodal(self, X, reset=first, modalities=self.modalities, copy=False)
        check_consistent_length(data.mask, y)
        if sample_weight is not None:  # scikit-learn's checks: 1D, n_samples, >= 0, not all 0
            sample_weight = _check_sample_weight(
                sample_weight, data.mask, dtype=np.float64, ensure_non_negative=True
            )
        if first:
            targets, n_outputs = self._fit_targets(y, classes, sample_weight)
        else:
            targets = self._encode_targets(y, "partial_fit" if partial else "warm_start")
        weight = self._training_weights(sample_weight, targets, partial)
        # partial_fit trains one epoch on the rows it is given, as MLPClassifier's: no
        # split and no stopping rule (the caller decides when to stop).
        self.early_stopping_ = False if partial else self._resolve_early_stopping(len(targets))
        if not partial:
            _check_training_input(self, X, data)
        train_noise = _check_train_noise(self.train_noise)
        device = resolve_device(self.device)
        if not first and device != str(self.net_.device):
            raise ValueError(
                f"{type(self).__name__} was fitted on device {str(self.net_.device)!r}; "
                f"{'partial_fit' if partial else 'warm_start'} continues there, not on "
                f"device={self.device!r}."
            )
        placement = resolve_placement(self.data_placement, data, device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        fork_devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch_threads(self.n_threads), torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)
            if first:
                task = self._task()
                module = self._build_module(self.feature_shapes_, n_outputs, task)
                net = self._make_net(module, task)
                net.initialize()
            else:
                net = self.net_
            # What may change between calls: the data (callbacks, split), the schedule and
            # the augmentation; the module and, for partial_fit, the optimizer carry on.
            net.max_epochs, net.batch_size = self.max_epochs, self.batch_size
            net.augment, net.train_noise = getattr(self, "augment", None), train_noise
            net.train_split = self._train_split(seed)
            net.callbacks = self._callbacks(net.module_.loss_terms, net.criterion_, targets,
                                            stop=not partial, sample_weight=weight)
            net.initialize_callbacks()
            if not first and not partial:  # warm_start: a new optimizer, as MLPClassifier's
                net.lr, net.optimizer__weight_decay = self.lr, self.weight_decay
                net.initialize_optimizer()
            if weight is not None:
                _check_weighted_module(self, net.module_)
            dataset = make_dataset(data, targets, device, placement, weight)
            net.partial_fit(dataset, None, epochs=1 if partial else self.max_epochs)
            self._after_training(net, dataset, partial=partial)
        self.data_placement_ = placement
        self.net_ = net
        self.history_ = net.history
        self.n_iter_ = len(net.history)
        if not partial:
            self._warn_convergence(dict(net.callbacks_)["convergence"])
        return self

    def _training_weights(self, sample_weight, targets, partial):
        """The per-row training weights (float32), or ``None`` for unweighted training.

        The validated ``sample_weight`` (or ``None``) times a classifier's class
        weights (:meth:`_row_weights`). ``fit`` rescales the weights to a mean of 1
        (the early-stopping split rescales each of its parts again), so that only
        their ratios matter, and trains unweighted, bit for bit, when they are all
        equal. ``partial_fit`` uses them as given, so that the weights of different
        calls compare, as ``SGDClassifier.partial_fit`` does; all ones are unweighted
        there.
        """
        weight = self._row_weights(sample_weight, targets, partial)
        if weight is None:
            return None
        if not weight.any():
            raise ValueError(
                f"{type(self).__name__}: every sample has weight zero once sample_weight is "
                f"multiplied by class_weight={getattr(self, 'class_weight', None)!r}; "
                "nothing would be trained."
            )
        if partial:
            return None if (weight == 1).all() else weight.astype(np.float32)
        if (weight == weight[0]).all():
            return None
        return (weight / weight.mean()).astype(np.float32)

    def _make_net(self, module, task):
        """The private skorch net that trains ``module`` for ``task`` (not yet initialized);
        ``fit`` sets its data-dependent parts (split, callbacks, augmentation) before
        training."""
        return _MultimodalNet(
            module=module,
            criterion=task,  # the per-row loss the module applies to its terms
            optimizer=torch.optim.Adam,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            train_split=None,
            callbacks=[],
            device=resolve_device(self.device),
            verbose=int(self.verbose >= 1),
        )

    def _warn_convergence(self, convergence):
        if not convergence.learned_:
            warnings.warn(
                f"{type(self).__name__} did not learn: in {self.n_iter_} epochs its best "
                f"{convergence.score} was {convergence.best_score_:.3g}, short of "
                f"{learned_bar(convergence.chance, convergence.n_rows):.3g}, what it must reach "
                f"on {convergence.n_rows} rows to be told from a constant prediction (which "
                f"scores {convergence.chance:.3g}). Raise max_epochs or lr, check that the "
                "modalities carry information about y, or, with a small validation split, "
                "set early_stopping=False.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )
        elif self.tol is not None and not convergence.stopped_:
            warnings.warn(
                f"{type(self).__name__}: max_epochs={self.max_epochs} ended training before "
                f"it converged ({convergence.monitor} still improved by more than "
                f"tol={self.tol} within the last n_iter_no_change={self.n_iter_no_change} "
                "epochs). Raise max_epochs or lr.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )

    # -- inference ---------------------------------------------------------

    def _forward(self, X, fn):
        """Apply ``fn(module, batch) -> Tensor`` to every batch of ``X``; numpy result."""
        check_is_fitted(self, "net_")
        data = validate_multimodal(self, X, reset=False, modalities=self.modalities, copy=False)
        net = self.net_
        placement = resolve_placement(self.data_placement, data, net.device)
        dataset = make_dataset(data, None, net.device, placement)
        module = net.module_
        if module.training:  # training leaves it in train mode; eval() walks every submodule
            module.eval()
        n = len(dataset)
        size = inference_batch_size(n, self.batch_size)
        out, start = None, 0
        # inference_mode: no autograd bookkeeping at all (about 15% of a one-row call)
        with torch_threads(self.n_threads), torch.inference_mode():
            for batch, _ in BatchIterator(dataset, size, shuffle=False):
                k = len(batch)
                if k < size:
                    batch = _pad_batch(batch, size)
                result = fn(module, batch)[:k].detach().cpu().numpy()
                if out is None:
                    # One output array: many small per-batch arrays that outlive the
                    # batches' temporaries fragment the heap (~0.4 MB per batch).
                    out = np.empty((n,) + result.shape[1:], dtype=result.dtype)
                out[start : start + k] = result
                start += k
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # allow_nan stays False: sklearn means element-wise NaN, skmm accepts only
        # whole NaN rows (a missing modality) and rejects partial NaN.
        tags.input_tags.dict = True
        tags.input_tags.three_d_array = True
        return tags


class MultimodalClassifierBase(ClassifierMixin, MultimodalBase):
    """The classifier layer of skmm estimators (not for direct use).

    Labels are encoded as ``0 .. n_classes - 1`` (``classes_``), the module
    is built for :class:`skmm.nn.Classification` with ``n_classes`` outputs
    (logits), the early-stopping split is stratified and its accuracy is
    recorded as ``valid_acc``; ``predict_proba`` is the softmax of the logits.
    A classifier has a ``class_weight`` parameter (its constraint:
    ``MultimodalClassifierBase._CLASS_WEIGHT``), which multiplies the sample
    weights.
    """

    _task = Classification

    #: The constraint of the ``class_weight`` parameter every classifier has.
    _CLASS_WEIGHT = [StrOptions({"balanced"}), dict, None]

    def _fit_targets(self, y, classes=None, sample_weight=None):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if classes is None:
            self.classes_, y_encoded = np.unique(y, return_inverse=True)
        else:  # partial_fit's first call: every label there will be
            self.classes_ = np.unique(column_or_1d(classes))
            y_encoded = self._encode_targets(y, "partial_fit")
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} can't train when only one class is present "
                f"(got only {_py(self.classes_[0])!r})."
            )
        return y_encoded.astype(np.int64), len(self.classes_)

    def _encode_targets(self, y, how):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            where = (
                "the classes given to the first call of partial_fit" if how == "partial_fit"
                else "the classes of the previous fit (warm_start=True)"
            )
            raise ValueError(
                f"{type(self).__name__}: y has labels {[_py(v) for v in unseen[:5]]} that are "
                f"not in {where}: {[_py(v) for v in self.classes_]}."
            )
        return np.searchsorted(self.classes_, y).astype(np.int64)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one epoch on a chunk of data, continuing from the fitted module.

        For data that arrives in pieces, or does not fit in memory at once:
        each call makes one shuffled pass over ``X`` (in batches of
        ``batch_size``) with the same optimizer, as ``MLPClassifier.partial_fit``
        does. The first call builds the module from ``X``'s modalities and
        needs ``classes``. ``early_stopping``, ``tol`` and ``n_iter_no_change``
        do not apply (no split is held out and training never stops by
        itself): the caller decides how many calls to make, for example by
        scoring a held-out set of its own between calls. ``lr_schedule`` does
        not apply either. ``history_`` records one epoch per call.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            Every class label there will be; required on the first call, and
            if given later, the same.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample, times ``class_weight`` (a
            dict: ``"balanced"`` is refused, as by
            ``SGDClassifier.partial_fit``). Used as given, not rescaled as
            ``fit`` rescales them, so that the weights of different calls
            compare: a call's loss is the batch mean of each row's term
            times its weight.

        Returns
        -------
        self
        """
        first = not hasattr(self, "net_")
        if first and classes is None:
            raise ValueError(
                f"{type(self).__name__}: the first call to partial_fit needs classes=, every "
                "label there will be (a chunk may not hold them all)."
            )
        if not first and classes is not None and not np.array_equal(
            np.unique(column_or_1d(classes)), self.classes_
        ):  # scikit-learn's partial_fit refuses other classes than the first call's
            raise ValueError(
                f"{type(self).__name__}: classes={[_py(c) for c in np.unique(classes)]} is not "
                f"the classes of the first call to partial_fit, "
                f"{[_py(c) for c in self.classes_]}."
            )
        return self._fit(X, y, partial=True, classes=classes if first else None,
                         sample_weight=sample_weight)

    def _row_weights(self, sample_weight, targets, partial):
        """``sample_weight`` times ``class_weight``'s weight of each row's class (as
        ``LogisticRegression``: ``"balanced"`` weighs the classes by the inverse of their
        weighted counts). ``fit`` refuses weights that leave one class."""
        weight = sample_weight
        class_weight = getattr(self, "class_weight", None)
        if class_weight is not None:
            per_class = self._class_weights(class_weight, sample_weight, targets, partial)
            weight = per_class[targets] if weight is None else weight * per_class[targets]
        if weight is not None and not partial:
            weighted = np.unique(targets[weight > 0])
            if len(weighted) == 1:
                raise ValueError(
                    f"{type(self).__name__} can't train when only one class has a non-zero "
                    f"weight (got only {_py(self.classes_[weighted[0]])!r} once "
                    "sample_weight and class_weight are applied)."
                )
        return weight

    def _class_weights(self, class_weight, sample_weight, targets, partial):
        """The weight of each class of ``classes_``, from ``class_weight``."""
        if class_weight != "balanced":
            return compute_class_weight(class_weight, classes=self.classes_,
                                        y=self.classes_[targets])
        if partial:  # SGDClassifier's rule and advice
            raise ValueError(
                f"{type(self).__name__}: class_weight='balanced' is not supported for "
                "partial_fit (a chunk's class counts are not the data's). Compute the "
                "weights with sklearn.utils.class_weight.compute_class_weight('balanced', "
                "classes=classes, y=y) on a large enough sample of the targets and pass them "
                "as a dict: class_weight=dict(zip(classes, weights))."
            )
        # Over the rows that count: a class whose rows all weigh zero gets no weight
        # (compute_class_weight would give it n / 0).
        counted = slice(None) if sample_weight is None else sample_weight > 0
        present = np.unique(targets[counted])
        per_class = np.zeros(len(self.classes_))
        per_class[present] = compute_class_weight(
            "balanced", classes=present, y=targets[counted],
            sample_weight=None if sample_weight is None else sample_weight[counted],
        )
        return per_class

    def _split(self):
        return _StratifiedSplit

    def _chance(self, targets, sample_weight=None):
        if sample_weight is not None:
            counts = np.bincount(targets, weights=sample_weight)
            return float(counts.max() / counts.sum())
        return float(np.bincount(targets).max() / len(targets))

    def _validation_rows_needed(self):
        # two per class: with fewer, classes are missing from the split it chooses by
        return max(_MIN_VALIDATION_ROWS, 2 * len(self.classes_))

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        proba = self._forward(X, lambda module, batch: module(batch).softmax(-1).double())
        return proba / proba.sum(1, keepdims=True)

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        logits = self._forward(X, lambda module, batch: module(batch))
        return self.classes_[logits.argmax(1)]


class MultimodalRegressorBase(RegressorMixin, MultimodalBase):
    """The regressor layer of skmm estimators (not for direct use).

    ``y`` of shape ``(n,)`` or ``(n, n_targets)`` is standardized inside
    ``fit`` (each target to mean 0 and std 1 over the training rows, weighted
    by ``sample_weight``), so that
    the default learning rates work whatever the targets' scale; the module
    is built for :class:`skmm.nn.Regression` with ``n_targets`` outputs and
    ``predict`` restores the scale. The early-stopping split is a shuffled
    hold-out and its R² is recorded as ``valid_r2``.
    """

    _task = Regression

    def _check_y(self, y):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # DataConversionWarning, as sklearn's regressors
        if y.ndim not in (1, 2) or y.shape[-1] == 0:
            raise ValueError(
                f"{type(self).__name__} needs y of shape (n_samples,) or (n_samples, n_targets); "
                f"got shape {y.shape}."
            )
        return y

    def _fit_targets(self, y, classes=None, sample_weight=None):
        y = self._check_y(y)
        self._y_1d = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        self.n_outputs_ = y2.shape[1]
        if sample_weight is None or (sample_weight == sample_weight[0]).all():
            self._y_mean = y2.mean(0)
            scale = y2.std(0)
        else:  # the weighted mean and std: a zero-weight row does not move the scaling
            self._y_mean = np.average(y2, axis=0, weights=sample_weight)
            scale = np.sqrt(np.average((y2 - self._y_mean) ** 2, axis=0, weights=sample_weight))
        # a constant target: scale 1, so that the model learns the constant
        self._y_scale = np.where(scale > 0, scale, 1.0)
        return self._encode_targets(y, "fit"), self.n_outputs_

    def _encode_targets(self, y, how):
        y2 = self._check_y(y).reshape(len(y), -1)
        if y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"{type(self).__name__} was fitted on {self.n_outputs_} target(s); {how} got "
                f"y with {y2.shape[1]}."
            )
        # the first fit's scaling: a later chunk's targets are in the same units
        return ((y2 - self._y_mean) / self._y_scale).astype(np.float32)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train one epoch on a chunk of data, continuing from the fitted module.

        For data that arrives in pieces, or does not fit in memory at once:
        each call makes one shuffled pass over ``X`` (in batches of
        ``batch_size``) with the same optimizer, as ``MLPRegressor.partial_fit``
        does. The first call builds the module from ``X``'s modalities and
        standardizes the targets with the first chunk's mean and standard
        deviation, which later chunks keep (make the first chunk
        representative). ``early_stopping``, ``tol`` and ``n_iter_no_change``
        do not apply (no split is held out and training never stops by
        itself): the caller decides how many calls to make, for example by
        scoring a held-out set of its own between calls. ``lr_schedule`` does
        not apply either. ``history_`` records one epoch per call.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample. Used as given, not rescaled as
            ``fit`` rescales them, so that the weights of different calls
            compare: a call's loss is the batch mean of each row's term
            times its weight. The first call's target scaling is weighted
            too.

        Returns
        -------
        self
        """
        return self._fit(X, y, partial=True, sample_weight=sample_weight)

    def _split(self):
        return _ShuffleSplit

    def _chance(self, targets, sample_weight=None):
        return 0.0

    def _unscale(self, values):
        """Standardized outputs ``(n, n_targets)`` back in the targets' units and shape."""
        return self._shape(values.astype(np.float64) * self._y_scale + self._y_mean)

    def _shape(self, values):
        """Outputs ``(n, n_targets)`` in the shape of the ``y`` given to ``fit``."""
        return values[:, 0] if self._y_1d else values

    def predict(self, X):
        """Predicted target values.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            The shape of the ``y`` given to ``fit``.
        """
        return self._unscale(self._forward(X, lambda module, batch: module(batch)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
