"""Training machinery behind ``fit``: the private skorch net, its callbacks, the
early-stopping split, the device and the torch threads.

skorch keeps the training loop, callbacks (early stopping, progress bar,
checkpoints) and history; :class:`_MultimodalNet` feeds it :class:`~skmm._batching.TensorData`
batches and lets the method's module compute its own loss terms, with
missing-pattern augmentation and training noise applied per batch on the device.
"""

import contextlib
import math
import numbers

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from skorch import NeuralNet
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    LRScheduler,
    PassthroughScoring,
    ProgressBar,
)
from skorch.utils import noop

from skmm._batching import Batch, BatchIterator
from skmm.nn.functional import add_train_noise, expand_patterns
from skmm.nn.module import take


class _MultimodalNet(NeuralNet):
    """skorch net over :class:`TensorData`, with per-batch augmentation and noise."""

    def __init__(self, *args, augment=None, train_noise=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.augment = augment
        self.train_noise = train_noise

    def __getstate__(self):
        state = super().__getstate__()
        # ``module`` is the instance that became ``module_``. skorch pickles ``module_``
        # through torch with a map_location; pickled again here, with plain pickle, a
        # GPU-trained model would not load on a CPU-only machine (and would be stored twice).
        if state.get("module") is self.__dict__.get("module_"):
            state["module"] = None
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if self.module is None:
            self.module = self.module_

    def get_dataset(self, X, y=None):
        return X

    def get_iterator(self, dataset, training=False):
        return BatchIterator(dataset, self.batch_size, shuffle=training)

    def infer(self, x, **fit_params):
        return self.module_(x)

    def _losses(self, encoded, y, rows, mask, sample_weight):
        """The module's loss terms; the weights are passed only when there are some, so
        that unweighted training runs the module's code as it was (and a module written
        without the ``sample_weight`` parameter still trains unweighted)."""
        if sample_weight is None:
            return self.module_.losses(encoded, y, rows, mask)
        return self.module_.losses(encoded, y, rows, mask, sample_weight=sample_weight)

    def train_step_single(self, batch, **fit_params):
        """The method's objective on an augmented, noised batch, and its gradient.

        Every term that :meth:`MultimodalModule.losses` returns reaches the
        ``on_batch_end`` callbacks (RedCore's regulation reads its per-modality
        imputation losses there), with the weight of each training row
        (``sample_weight``: each augmented copy carries its sample's weight).
        """
        self._set_training(True)
        xb, yb = batch
        if self.train_noise is not None:
            p, max_std = self.train_noise
            xs = add_train_noise(xb.xs, xb.mask, p, max_std)
            xb = Batch(xs, xb.lengths, xb.mask, xb.sample_weight)
        encoded = self.module_.encode(xb)
        rows, mask = expand_patterns(xb.mask, self.augment)
        terms = self._losses(encoded, yb, rows, mask, xb.sample_weight)
        terms["loss"].backward()
        for name in self.module_.loss_terms:
            self.history.record_batch(name, terms[name].item())
        objective = terms.get("objective", terms["loss"]).detach()
        return {
            **terms, "loss": objective, "y_pred": terms["output"], "y_true": take(yb, rows),
            "sample_weight": take(xb.sample_weight, rows),
        }

    def validation_step(self, batch, **fit_params):
        """The method's objective on a validation batch, as it is (no augmentation or
        noise; eval mode), so that ``valid_loss`` and ``train_loss`` measure the same
        quantity (weighted as training is). :class:`_EpochScore` scores ``y_pred``
        (``valid_acc``, ``valid_r2``) with the rows' ``sample_weight``."""
        self._set_training(False)
        xb, yb = batch
        with torch.no_grad():
            encoded = self.module_.encode(xb)
            terms = self._losses(encoded, yb, None, xb.mask, xb.sample_weight)
        return {
            "loss": terms.get("objective", terms["loss"]), "y_pred": terms["output"],
            "sample_weight": xb.sample_weight,
        }


#: How far above chance the monitored score must be before training may stop, as a share
#: of the way from chance to a perfect score, ``(score - chance) / (1 - chance)``: e.g. an
#: accuracy of 0.55 with two balanced classes, or an R² of 0.1.
LEARNED = 0.1
#: ... and in standard errors of a chance-level accuracy, ``sqrt(chance (1 - chance) / n)``
#: over the ``n`` monitored rows, so that a small split does not clear the bar by luck.
LEARNED_SE = 3.0


def learned_bar(chance, n_rows):
    """The score a model must reach to count as having learned (see :data:`LEARNED`)."""
    noise = math.sqrt(chance * (1.0 - chance) / max(n_rows, 1))
    return chance + max(LEARNED * (1.0 - chance), LEARNED_SE * noise)


class _Convergence(EarlyStopping):
    """Stop when the monitored loss has not improved by ``tol`` for ``n_iter_no_change``
    epochs (scikit-learn's ``MLPClassifier`` rule), but never before the model has
    learned, and remember whether it stopped and whether it learned.

    *Learned*: the score of the monitored rows (``score``: ``valid_acc`` /
    ``valid_r2`` with early stopping, else ``train_acc`` / ``train_r2``; ``n_rows``
    of them) has reached :func:`learned_bar`: a tenth of the way from ``chance``
    (the score of the best constant prediction) to a perfect score, and three
    standard errors of a chance-level accuracy above chance, so that a model at
    chance does not clear it by luck (on a split of 30 rows, an accuracy at chance
    is 0.5 +- 0.09). The validation split where there is one: a network can fit its
    training rows' noise well above chance long before it generalizes. Until then a
    plateau of the loss does not count: a network can sit at chance for many epochs
    before it finds the signal (an LSTM that must find one timestep), and stopping
    there returned a chance-level model without a word. ``min_epochs``: no stop
    before this many epochs either (the best epoch is still tracked), for objectives
    that change during the first epochs (an annealed weight).
    """

    def __init__(self, *args, min_epochs=0, score=None, chance=0.0, n_rows=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.min_epochs = min_epochs
        self.score = score
        self.chance = chance
        self.n_rows = n_rows

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.stopped_ = False
        self.learned_ = self.score is None
        self.best_score_ = -np.inf

    def on_epoch_end(self, net, **kwargs):
        if self.score is not None and self.score in net.history[-1]:
            score = net.history[-1, self.score]
            self.best_score_ = max(self.best_score_, score)
            self.learned_ = self.learned_ or score >= learned_bar(self.chance, self.n_rows)
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:  # how skorch callbacks end training
            if self.learned_ and len(net.history) >= self.min_epochs:
                self.stopped_ = True
                raise
            self.misses_ -= 1  # not yet: keep counting from here


class _AdaptiveLR(LRScheduler):
    """``lr_schedule="adaptive"``: divide the learning rate by 5 when the monitored loss has
    not improved by ``threshold`` for three epochs (torch's ``ReduceLROnPlateau``), in the
    spirit of ``MLPClassifier(learning_rate="adaptive")``; not before ``min_epochs``
    (the same guard as :class:`_Convergence`). The rate of each epoch is recorded as
    ``event_lr`` in the history.
    """

    def __init__(self, monitor, threshold, min_epochs=0):
        super().__init__(
            policy=torch.optim.lr_scheduler.ReduceLROnPlateau,
            monitor=monitor,
            factor=0.2,
            patience=2,
            threshold=threshold,
            threshold_mode="abs",
        )
        self.min_epochs = min_epochs

    @property
    def kwargs(self):  # what skorch passes to ReduceLROnPlateau
        return {k: v for k, v in super().kwargs.items() if k != "min_epochs"}

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) >= self.min_epochs:
            super().on_epoch_end(net, **kwargs)
        else:
            net.history.record(self.event_name, net.optimizer_.param_groups[0]["lr"])

    def __getstate__(self):
        # The scheduler holds the optimizer, whose state lives on the training device:
        # pickled here (outside skorch's map_location handling) a GPU-trained model would
        # not load on a CPU-only machine. It is rebuilt at the start of any training.
        state = self.__dict__.copy()
        state["lr_scheduler_"] = None
        return state


@contextlib.contextmanager
def torch_threads(n_threads):
    """Run a block with ``torch.set_num_threads(n_threads)``, then restore the old value.

    ``None`` leaves torch's setting as it is.
    """
    old = torch.get_num_threads()
    if n_threads is None or n_threads == old:
        yield
        return
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(old)



#: The device names every estimator's ``device`` accepts, as the errors list them.
_DEVICES = "'cpu', 'cuda', 'cuda:N' (N: the index of a GPU) or 'auto'"


def _mps_available():
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(device):
    """Turn the ``device`` parameter into a torch device string.

    Accepted: ``"cpu"``; ``"cuda"`` or ``"cuda:N"`` (an NVIDIA or ROCm GPU,
    when torch sees one); ``"auto"`` (``"cuda"`` when available, else
    ``"cpu"``); ``"mps"`` (Apple's Metal GPU) where torch reports it
    available; a ``torch.device`` of these. Anything else is a ``ValueError``
    (a ``TypeError`` for a non-string) listing the accepted values, raised
    before any training, as is a GPU that this machine does not have.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"device must be a string, one of {_DEVICES}; got {device!r}.")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return device
    if device == "mps":
        if not _mps_available():
            raise ValueError(
                "device='mps' (Apple's Metal GPU) was requested but torch reports it is not "
                "available on this machine (torch.backends.mps.is_available() is False); use "
                f"one of {_DEVICES}."
            )
        return device
    kind, colon, index = device.partition(":")
    if kind != "cuda" or colon and not (index.isascii() and index.isdigit()):
        mps = ", or 'mps'" if _mps_available() else ""
        raise ValueError(
            f"device={device!r} is not a device skmm knows; use one of {_DEVICES}{mps}."
        )
    if not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this machine; "
            "use device='cpu', or device='auto' to take a GPU only when there is one."
        )
    if colon and int(index) >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r} was requested but only {torch.cuda.device_count()} CUDA "
            "device(s) are visible."
        )
    return device


def _check_train_noise(train_noise):
    if train_noise is None:
        return None
    bad_form = ValueError(
        "train_noise must be None, a maximum std, or a (probability, maximum std) pair; "
        f"got {train_noise!r}."
    )
    # numbers.Real covers numpy scalars; a bool or a string ("12") is not a std.
    if isinstance(train_noise, bool | str | bytes):
        raise bad_form
    if isinstance(train_noise, numbers.Real):
        p, max_std = 0.5, float(train_noise)
    else:
        try:
            p, max_std = (float(v) for v in train_noise)
        except (TypeError, ValueError):
            raise bad_form from None
    if not 0.0 <= p <= 1.0 or not 0.0 <= max_std < math.inf:  # also rejects NaN
        raise ValueError(
            f"train_noise needs a probability in [0, 1] and a finite non-negative std; got "
            f"p={p}, max_std={max_std}."
        )
    return p, max_std


class _ShuffleSplit:
    """skorch ``train_split`` for early stopping: a shuffled hold-out of a
    :class:`TensorData` (a regressor's: targets are not classes, nothing to
    stratify). A class, not a closure, so that a fitted estimator pickles.

    With sample weights, each part's are rescaled to a mean of 1 over its rows
    (:func:`rescale_weights`): a training batch's loss is then unbiased for the
    weighted mean over the training rows, and ``valid_loss`` (skorch's mean of
    the batch losses, by batch size) is the weighted mean over the validation
    split.
    """

    def __init__(self, fraction, seed):
        self.fraction, self.seed = fraction, seed

    def _split(self, dataset):
        return train_test_split(
            np.arange(len(dataset)), test_size=self.fraction, random_state=self.seed
        )

    def __call__(self, dataset, y=None, **fit_params):
        train, valid = self._split(dataset)
        device = dataset.mask.device
        parts = (
            dataset[torch.as_tensor(train, device=device)],
            dataset[torch.as_tensor(valid, device=device)],
        )
        if dataset.sample_weight is not None:
            for part, name in zip(parts, ("training", "validation")):
                part.sample_weight = rescale_weights(part.sample_weight, name)
        return parts


def rescale_weights(weight, split):
    """``weight`` (a tensor) divided by its mean: a mean of 1 over the rows an epoch
    iterates, so that :func:`skmm.nn.row_mean` of a batch is, in expectation, the
    weighted mean over those rows, and only the weights' ratios matter. An error when
    every row of the early-stopping ``split`` (``"training"``, ``"validation"``)
    weighs zero."""
    total = weight.sum()
    if not total > 0:
        raise ValueError(
            f"Every row of the early-stopping {split} split has sample weight zero "
            "(sample_weight times class_weight), so there is nothing to "
            f"{'train' if split == 'training' else 'validate'} on. Give more rows a "
            "positive weight, or set early_stopping=False."
        )
    return weight / (total / len(weight))


class _StratifiedSplit(_ShuffleSplit):
    """A classifier's hold-out: stratified by label (shuffled where a class is too
    small to stratify)."""

    def _split(self, dataset):
        labels = dataset.y.cpu().numpy()
        try:
            return train_test_split(
                np.arange(len(labels)), test_size=self.fraction, stratify=labels,
                random_state=self.seed,
            )
        except ValueError:  # a class too small to stratify
            return super()._split(dataset)


class _EpochScore(Callback):
    """Records the task's score of an epoch, over the training batches
    (``train_acc`` / ``train_r2``; the rows as trained: augmented and noised) or
    the validation split (``valid_acc`` / ``valid_r2``): one value of the whole
    epoch, from the sums the task adds up over batches (:mod:`skmm.nn.tasks`),
    weighted by the rows' sample weights when training is weighted."""

    def __init__(self, task, on_train):
        self.task, self.on_train = task, on_train

    @property
    def name(self):
        return ("train_" if self.on_train else "valid_") + self.task.score_name

    def on_epoch_begin(self, net, **kwargs):
        self._sums = None

    def on_batch_end(self, net, batch=None, training=False, **step):
        if training != self.on_train:
            return
        target = step["y_true"] if training else batch[1]
        sums = self.task.score_sums(step["y_pred"].detach(), target, step.get("sample_weight"))
        self._sums = sums if self._sums is None else self._sums + sums

    def on_epoch_end(self, net, **kwargs):
        if self._sums is not None:
            net.history.record(self.name, self.task.score(self._sums))
        self._sums = None  # no tensor outlives the epoch (pickling, devices)


def training_callbacks(
    estimator, loss_terms, task, chance, n_rows, method_callbacks, min_epochs, stop=True
):
    """The skorch callbacks of an estimator's training, in order: its loss terms and task
    scores in the history, the method's own callbacks, the progress bar, the user's, the
    adaptive learning rate, and last the convergence rule (so that every other callback
    has seen the epoch that ends training). ``stop=False`` (``partial_fit``): no adaptive
    learning rate and no convergence rule; the caller decides when training ends."""
    est = estimator
    callbacks = [
        (f"train_{name}", PassthroughScoring(name=name, on_train=True)) for name in loss_terms
    ]
    scores = [_EpochScore(task, on_train=True)]
    if est.early_stopping_:
        scores.append(_EpochScore(task, on_train=False))
    callbacks += [(score.name, score) for score in scores]
    callbacks += method_callbacks
    if est.verbose >= 2:
        callbacks.append(("progress_bar", ProgressBar()))
    for i, cb in enumerate(est.callbacks or []):
        callbacks.append(cb if isinstance(cb, tuple) else (f"user_{i}_{type(cb).__name__}", cb))
    if not stop:
        return callbacks
    monitor = "valid_loss" if est.early_stopping_ else "train_loss"
    tol = 0.0 if est.tol is None else est.tol
    if est.lr_schedule == "adaptive":
        callbacks.append(("lr_schedule", _AdaptiveLR(monitor, tol, min_epochs=min_epochs)))
    # MLPClassifier's rule: on the training objective, or on the same objective on the
    # validation split with early stopping (then the best epoch's weights come back),
    # once the monitored rows' score is above chance; tol=None never stops
    # (SGDClassifier's tol=None) but still restores the best epoch.
    convergence = _Convergence(
        monitor=monitor,
        patience=est.n_iter_no_change if est.tol is not None else np.inf,
        threshold=tol,
        threshold_mode="abs",
        load_best=bool(est.early_stopping_),
        min_epochs=min_epochs,
        score=scores[-1].name,
        chance=chance,
        n_rows=n_rows,
        sink=print if est.verbose >= 1 else noop,
    )
    return callbacks + [("convergence", convergence)]


def _check_training_input(estimator, X, data):
    """Training data that would fit silently but cannot train well."""
    never = [name for name, seen in zip(data.names, data.mask.any(0)) if not seen]
    if never:
        raise ValueError(
            f"Modality {never[0]!r} is missing (all NaN) for every training sample, so "
            f"{type(estimator).__name__} cannot learn anything from it; drop it from X or "
            "train on samples where it is present."
        )
    # MultimodalData records the copies of MissingPatternAugmenter's output through
    # indexing, copy() and pickling (skmm._data.MultimodalData._sample_ids).
    if estimator.early_stopping_ and getattr(X, "_copies_samples", False):
        name = type(estimator).__name__
        own = (
            f", or drop the augmenter and use {name}'s own augment parameter (it augments "
            "after the split)" if "augment" in estimator.get_params(deep=False) else ""
        )
        raise ValueError(
            f"{name}: X holds copies of the same samples (MissingPatternAugmenter's output), "
            f"and early_stopping={estimator.early_stopping!r} holds out a validation split, "
            "which would then hold copies of training samples. Set early_stopping=False on "
            f"{name}{own}."
        )
