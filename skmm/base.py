"""The sklearn face shared by every skmm estimator: a task-neutral base and its
classifier and regressor layers.

A skmm estimator is a plain ``BaseEstimator`` whose ``__init__`` stores
parameters and whose ``fit`` validates the input through the data layer,
builds a PyTorch module from the data's modality shapes and trains it with a
private skorch net (``net_``): :class:`MultimodalBase`. Composition, not
subclassing ``NeuralNetClassifier``/``NeuralNetRegressor``: it passes every
scikit-learn estimator check (see ``DESIGN-NOTES``). As scikit-learn splits
``BaseSGD`` into ``BaseSGDClassifier`` and ``BaseSGDRegressor`` (and skorch
``NeuralNet`` into its classifier and regressor), a task layer does what
depends on the targets: :class:`MultimodalClassifierBase` label-encodes ``y``
and predicts classes and probabilities; :class:`MultimodalRegressorBase`
standardizes ``y`` and predicts values.

The data never goes through a ``DataLoader`` and is never copied whole on the
host: float32 arrays are used as they are, and missing rows are zero-filled
per batch. With ``data_placement="device"`` the data is moved to the device
once and each batch is a slice of those tensors (:class:`TensorData`); with
``"stream"`` it stays on the host (or on disk) and each batch is gathered
there and copied to the device (:class:`StreamData`). skorch keeps the
training loop, callbacks (early stopping, progress bar, checkpoints) and
history.

A method adds only its module, a subclass of :class:`MultimodalModule` that
predicts ``n_outputs`` values per row and scores them with the task it is
given (:mod:`skmm.nn.tasks`), and its ``_build_module``; the same method class
then serves both tasks.
"""

import contextlib
import math
import numbers
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
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, LRScheduler, PassthroughScoring, ProgressBar
from skorch.utils import noop
from torch import nn

from skmm._data import (
    INPUT_ATTRIBUTES_DOC,
    _block_rows,
    _py,
    is_out_of_core,
    read_rows,
    take_rows,
    validate_multimodal,
)
from skmm.nn.encoders import make_encoder
from skmm.nn.functional import add_train_noise, expand_patterns
from skmm.nn.tasks import Classification, Regression

__all__ = [
    "EmbeddingMixin",
    "LayerSizes",
    "MultimodalBase",
    "MultimodalClassifierBase",
    "MultimodalRegressorBase",
    "MultimodalModule",
    "fill_doc",
    "resolve_device",
    "torch_threads",
]


# ---------------------------------------------------------------------------
# Data on the device (or streamed to it), and batches made from it
# ---------------------------------------------------------------------------

#: Values of the ``data_placement`` parameter.
PLACEMENTS = ("auto", "device", "stream")


class Batch:
    """One batch: per-modality tensors, their sequence lengths and the mask.

    Attributes
    ----------
    xs : list of Tensor
        ``(b, d)`` or ``(b, T, d)`` per modality; missing rows are zeros.
    lengths : list of (Tensor or None)
        Valid timesteps per sample for sequences, ``None`` for 2D modalities.
    mask : bool Tensor of shape (b, M)
        Presence mask.
    """

    __slots__ = ("xs", "lengths", "mask")

    def __init__(self, xs, lengths, mask):
        self.xs, self.lengths, self.mask = xs, lengths, mask

    def __len__(self):
        return self.mask.shape[0]


def _as_tensor(array):
    """A CPU tensor over an in-memory array, sharing its memory (read, never written)."""
    with warnings.catch_warnings():  # a read-only array: skmm never writes to it
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.as_tensor(array)


def _fill_nan(x, has_nan, shared):
    """Zero the NaN of missing rows and padding where the batch is made."""
    if not has_nan:
        return x
    return x.nan_to_num(nan=0.0) if shared else x.nan_to_num_(nan=0.0)


class TensorData(torch.utils.data.Dataset):
    """Validated multimodal data held as tensors on one device.

    ``xs`` hold every row of the data set; a subset (``data[index]``, as the
    early-stopping split makes) shares them and records only which ``rows``
    it covers, so splitting copies no features. On the CPU, ``xs`` are the
    caller's float32 arrays themselves (no copy); where such an array has
    missing rows (NaN, ``has_nan``), each batch fills them with zeros.
    ``lengths``, ``mask`` and ``y`` are per covered row.
    """

    def __init__(self, xs, lengths, mask, y=None, *, has_nan=None, rows=None):
        self.xs, self.lengths, self.mask, self.y = xs, lengths, mask, y
        self.has_nan = tuple(has_nan) if has_nan is not None else (False,) * len(xs)
        self.rows = rows

    @classmethod
    def from_arrays(cls, data, y, device):
        """Put a :class:`~skmm._data.ModalityArrays` (and encoded ``y``) on ``device``.

        On the CPU an in-memory float32 array is used in place; any other array
        is copied to the device (an out-of-core one block by block), and its
        NaN are zeroed once in that copy.
        """

        def put(a):
            return None if a is None else torch.as_tensor(a).to(device)

        xs, has_nan = [], []
        for array, nan in zip(data.arrays, data.has_nan or (False,) * len(data.arrays)):
            if is_out_of_core(array):
                x = torch.empty(tuple(array.shape), dtype=torch.float32, device=device)
                step = _block_rows(array.shape, np.dtype(array.dtype).itemsize)
                for a in range(0, array.shape[0], step):
                    part = x[a : a + step]
                    part.copy_(_as_tensor(read_rows(array, a, a + part.shape[0])))
                    if nan:
                        part.nan_to_num_(nan=0.0)
                xs.append(x)
                has_nan.append(False)
                continue
            host = _as_tensor(array)
            x = host.to(device)
            if nan and x is not host:  # a copy of our own: fill it once
                x.nan_to_num_(nan=0.0)
            xs.append(x)
            has_nan.append(nan and x is host)
        return cls(
            xs,
            [put(n) for n in data.lengths],
            put(data.mask),
            None if y is None else put(np.asarray(y)),
            has_nan=has_nan,
        )

    def __len__(self):
        return self.mask.shape[0]

    def __getitem__(self, index):
        """Index samples; returns a :class:`TensorData` sharing the features."""
        rows = index if self.rows is None else self.rows[index]
        return TensorData(
            self.xs,
            [None if n is None else n[index] for n in self.lengths],
            self.mask[index],
            None if self.y is None else self.y[index],
            has_nan=self.has_nan,
            rows=rows,
        )

    def batch(self, index):
        """The :class:`Batch` and labels of positions ``index`` (a slice or a long tensor)."""
        rows = index if self.rows is None else self.rows[index]
        shared = isinstance(rows, slice)  # a view of the (caller's) data
        xs = [
            _fill_nan(x[rows] if shared else x.index_select(0, rows), nan, shared)
            for x, nan in zip(self.xs, self.has_nan)
        ]
        lengths = [None if n is None else n[index] for n in self.lengths]
        y = None if self.y is None else self.y[index]
        return Batch(xs, lengths, self.mask[index]), y

    def iter_batches(self, batch_size, shuffle):
        """``(Batch, y)`` per batch; a new random order each call when ``shuffle``."""
        n = len(self)
        order = torch.randperm(n, device=self.mask.device) if shuffle else None
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            yield self.batch(slice(start, stop) if order is None else order[start:stop])


class StreamData(TensorData):
    """Validated multimodal data kept on the host; each batch is copied to the device.

    The features stay where they are: the caller's in-memory arrays (used in
    place), or out-of-core sources (``np.memmap``, HDF5/zarr datasets) read
    in chunks. Each batch's rows are gathered on the host, into pinned memory
    when the device is a GPU, and copied with ``non_blocking=True`` while the
    previous batch computes; NaN of missing rows are zeroed on the device.
    ``lengths``, ``mask`` and ``y`` stay on the host too.

    Order of the rows in an epoch with ``shuffle``:

    * in-memory data: a uniform random permutation (the same one
      :class:`TensorData` draws, so both give the same batches);
    * out-of-core data: *shuffled chunks*. The rows are cut into chunks of
      consecutive rows of about ``chunk_bytes`` (8 MB, at least one batch);
      each epoch visits the chunks in a new random order, ``window_chunks``
      (8) chunks at a time, and shuffles the rows of those chunks uniformly
      among themselves. One window (64 MB) is in memory at a time. Each row
      is seen exactly once per epoch; a batch mixes rows of at most two
      windows. Reads are one sequential read per chunk. When
      the whole data set (or subset, such as the early-stopping split) fits
      in one window, the order is the one in-memory data takes, from the
      same random draw: both placements then train the same model.
    """

    chunk_bytes = 8 * 2**20
    window_chunks = 8

    def __init__(self, xs, lengths, mask, y=None, *, has_nan=None, rows=None, device="cpu"):
        super().__init__(xs, lengths, mask, y, has_nan=has_nan, rows=rows)
        self.device = torch.device(device)
        self.out_of_core = any(not isinstance(x, torch.Tensor) for x in xs)

    @classmethod
    def from_arrays(cls, data, y, device):
        """Keep a :class:`~skmm._data.ModalityArrays` on the host, for ``device``."""
        xs = [a if is_out_of_core(a) else _as_tensor(a) for a in data.arrays]
        return cls(
            xs,
            [None if n is None else torch.as_tensor(n) for n in data.lengths],
            torch.as_tensor(data.mask),
            None if y is None else torch.as_tensor(np.asarray(y)),
            has_nan=data.has_nan or (False,) * len(xs),
            device=device,
        )

    def __getitem__(self, index):
        part = super().__getitem__(index if isinstance(index, slice) else torch.as_tensor(index))
        return StreamData(
            part.xs, part.lengths, part.mask, part.y,
            has_nan=part.has_nan, rows=part.rows, device=self.device,
        )

    def _row_bytes(self):
        return sum(4 * math.prod(tuple(x.shape)[1:]) for x in self.xs)

    def _read(self, pos):
        """Host tensors per modality of positions ``pos`` (in increasing source order)."""
        source_rows = (pos if self.rows is None else self.rows[pos]).numpy()
        return [
            torch.from_numpy(take_rows(x, source_rows)) if not isinstance(x, torch.Tensor)
            else x.index_select(0, torch.from_numpy(source_rows))
            for x in self.xs
        ]

    def _windows(self, shuffle, batch_size):
        """Yield ``(buffers, local, pos)``: host tensors per modality, the rows of
        them in epoch order, and those rows' positions in this data set."""
        n = len(self)
        if not self.out_of_core:
            pos = torch.randperm(n) if shuffle else torch.arange(n)
            yield self.xs, (pos if self.rows is None else self.rows[pos]), pos
            return
        chunk = max(batch_size, self.chunk_bytes // max(1, self._row_bytes()))
        n_chunks = math.ceil(n / chunk)
        by_source = torch.arange(n) if self.rows is None else torch.argsort(self.rows)
        if n_chunks <= self.window_chunks:
            # One window: the order in-memory data takes (the same random draw), so both
            # give the same batches, for a subset (early stopping) too.
            perm = torch.randperm(n) if shuffle else torch.arange(n)
            yield self._read(by_source), _inverse(by_source)[perm], perm
            return
        if shuffle and n_chunks > self.window_chunks:
            chunk_order = torch.randperm(n_chunks)
        else:
            chunk_order = torch.arange(n_chunks)
        window = self.window_chunks if shuffle else 1
        for w in range(0, n_chunks, window):
            chunks = chunk_order[w : w + window].sort().values.tolist()
            pos = torch.cat([by_source[c * chunk : (c + 1) * chunk] for c in chunks])
            buffers = self._read(pos)
            local = torch.randperm(len(pos)) if shuffle else torch.arange(len(pos))
            yield buffers, local, pos[local]
            del buffers  # before the next window is read

    def _to_device(self, tensors):
        if self.device.type != "cuda":
            return tensors
        return [t.pin_memory().to(self.device, non_blocking=True) for t in tensors]

    def _make(self, pieces):
        """One batch on the device from ``(buffers, local, pos)`` pieces."""
        pin = self.device.type == "cuda"
        xs = []
        for m in range(len(self.xs)):
            parts = [
                buffers[m] if local is None else buffers[m].index_select(0, local)
                for buffers, local, _ in pieces
            ]
            if len(parts) == 1 and not pin:
                x = parts[0]
            else:
                shape = (sum(len(p) for p in parts),) + tuple(parts[0].shape[1:])
                x = torch.empty(shape, dtype=parts[0].dtype, pin_memory=pin)
                torch.cat(parts, out=x)
            if pin:
                x = x.to(self.device, non_blocking=True)
            xs.append(_fill_nan(x, self.has_nan[m], shared=False))
        pos = torch.cat([p for _, _, p in pieces]) if len(pieces) > 1 else pieces[0][2]
        small = [self.mask[pos]] + [None if n is None else n[pos] for n in self.lengths]
        small += [] if self.y is None else [self.y[pos]]
        small = [None if t is None else self._to_device([t])[0] for t in small]
        mask, lengths = small[0], small[1 : 1 + len(self.lengths)]
        y = small[-1] if self.y is not None else None
        return Batch(xs, lengths, mask), y

    def _iter_batches(self, batch_size, shuffle):
        pending, n_pending = [], 0
        for buffers, local, pos in self._windows(shuffle, batch_size):
            start, n = 0, len(local)
            while start < n:
                take = min(batch_size - n_pending, n - start)
                sel, rows = local[start : start + take], pos[start : start + take]
                start += take
                if not n_pending and take == batch_size:
                    yield self._make([(buffers, sel, rows)])
                    continue
                # A batch across two windows: gather this part now, so the window can go.
                pending.append(([b.index_select(0, sel) for b in buffers], None, rows))
                n_pending += take
                if n_pending == batch_size:
                    yield self._make(pending)
                    pending, n_pending = [], 0
            del buffers, local, pos  # before the next window is read
        if n_pending:
            yield self._make(pending)

    def iter_batches(self, batch_size, shuffle):
        """``(Batch, y)`` per batch; on a GPU the next batch's copy is issued first."""
        batches = self._iter_batches(batch_size, shuffle)
        if self.device.type != "cuda":
            yield from batches
            return
        ahead = next(batches, None)
        while ahead is not None:
            current, ahead = ahead, next(batches, None)
            yield current


def make_dataset(data, y, device, placement):
    """:class:`TensorData` (``placement="device"``) or :class:`StreamData` (``"stream"``)."""
    kind = StreamData if placement == "stream" else TensorData
    return kind.from_arrays(data, y, device)


def resolve_placement(placement, data, device):
    """Turn the ``data_placement`` parameter into ``"device"`` or ``"stream"``.

    ``"auto"`` streams out-of-core data and, on a GPU, data whose float32
    size is more than half the free device memory; otherwise it puts the
    data on the device.
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"data_placement must be one of {PLACEMENTS}, got {placement!r}.")
    if placement != "auto":
        return placement
    if any(is_out_of_core(a) for a in data.arrays):
        return "stream"
    device = torch.device(device)
    if device.type != "cuda":
        return "device"
    nbytes = sum(4 * math.prod(tuple(a.shape)) for a in data.arrays)
    free, _ = torch.cuda.mem_get_info(device)
    return "device" if nbytes <= free // 2 else "stream"


class BatchIterator:
    """Yields ``(Batch, y)`` batches of a :class:`TensorData` or :class:`StreamData`;
    reshuffles each epoch."""

    def __init__(self, dataset, batch_size, shuffle):
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        return self.dataset.iter_batches(self.batch_size, self.shuffle)


#: Largest inference batch (inference uses ``min(batch_size, _PREDICT_BATCH)`` rows).
_PREDICT_BATCH = 1024


def _inverse(permutation):
    """The inverse of a permutation tensor: ``_inverse(p)[p] == arange``."""
    inverse = torch.empty_like(permutation)
    inverse[permutation] = torch.arange(len(permutation))
    return inverse


def _pad_batch(batch, size):
    """``batch`` padded to ``size`` rows with copies of its first row.

    Every inference batch then has the same number of rows, so the float32
    kernels, which CPU libraries pick by shape, are the same for every batch:
    a sample's prediction does not depend on the other samples passed with it
    (scikit-learn's subset invariance, exactly).
    """
    extra = torch.zeros(size - len(batch), dtype=torch.long, device=batch.mask.device)

    def pad(t):
        return None if t is None else torch.cat([t, t.index_select(0, extra)])

    return Batch([pad(x) for x in batch.xs], [pad(n) for n in batch.lengths], pad(batch.mask))


def take(tensor, rows):
    """``tensor[rows]`` along the batch axis; ``rows=None`` is the identity."""
    return tensor if rows is None else tensor.index_select(0, rows)


# ---------------------------------------------------------------------------
# The module protocol
# ---------------------------------------------------------------------------


class MultimodalModule(nn.Module):
    """Base of the method modules.

    A method module splits its computation in two so that missing-pattern
    augmentation costs little: :meth:`encode` runs the per-modality encoders
    once per batch, and :meth:`losses` / :meth:`output` run the cheap fusion
    and prediction on any rows and presence mask derived from it.

    A module is task-neutral: it predicts ``n_outputs`` values per row and
    scores them with its ``task`` (:class:`skmm.nn.Classification`: class
    logits and the cross-entropy; :class:`skmm.nn.Regression`: standardized
    target values and the squared error), which the estimator's task layer
    passes to its constructor.

    Attributes
    ----------
    loss_terms : tuple of str
        Names of the loss terms :meth:`losses` returns besides ``"loss"``; each
        is recorded in the history under its own name, per batch and as the
        epoch mean (e.g. ``clf.history_[:, "loss_U"]``).
    """

    loss_terms = ()

    def encode(self, batch):
        """Per-modality encodings of a batch (any structure :meth:`losses` takes)."""
        raise NotImplementedError

    def output(self, encoded, mask):
        """The prediction from encodings and a presence mask (evaluation): class
        logits, or standardized target values; ``(b, n_outputs)``."""
        raise NotImplementedError

    def losses(self, encoded, y, rows, mask):
        """Training loss terms.

        Parameters
        ----------
        encoded : object
            Output of :meth:`encode` for the batch.
        y : Tensor of shape (b,) or (b, n_targets)
            Targets of the batch: encoded labels (long) or standardized
            values (float).
        rows : long Tensor or None
            Batch row of each (augmented) training row; ``None`` for identity.
            ``take(y, rows)`` gives the target of each training row.
        mask : bool Tensor of shape (n_rows, M)
            Presence mask of each training row, after augmentation.

        Returns
        -------
        dict
            ``"loss"`` (what is differentiated), ``"output"`` (the prediction
            for each row, as :meth:`output` gives it) and one scalar per name
            in :attr:`loss_terms`.
            Optionally ``"objective"``: the quantity recorded as
            ``train_loss``/``valid_loss`` and monitored for convergence, when
            it differs from ``"loss"`` (a term with a stop-gradient target is
            not minimized as a function of the parameters, so it can rise
            while training improves). Any other entries reach the
            ``on_batch_end`` callbacks.
        """
        raise NotImplementedError

    def forward(self, batch):
        return self.output(self.encode(batch), batch.mask)


def build_encoders(encoders, feature_shapes, hidden_sizes):
    """One encoder per modality from the ``encoders`` parameter."""
    encoders = encoders or {}
    unknown = [k for k in encoders if k not in feature_shapes]
    if unknown:
        raise ValueError(
            f"`encoders` names modalities {unknown} that are not in the data "
            f"(modalities: {list(feature_shapes)})."
        )
    return nn.ModuleList(
        make_encoder(encoders.get(name), shape, hidden_sizes, name=name)
        for name, shape in feature_shapes.items()
    )


# ---------------------------------------------------------------------------
# The private skorch net
# ---------------------------------------------------------------------------


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

    def train_step_single(self, batch, **fit_params):
        """The method's objective on an augmented, noised batch, and its gradient.

        Every term that :meth:`MultimodalModule.losses` returns reaches the
        ``on_batch_end`` callbacks (RedCore's regulation reads its per-modality
        imputation losses there).
        """
        self._set_training(True)
        xb, yb = batch
        if self.train_noise is not None:
            p, max_std = self.train_noise
            xb = Batch(add_train_noise(xb.xs, xb.mask, p, max_std), xb.lengths, xb.mask)
        encoded = self.module_.encode(xb)
        rows, mask = expand_patterns(xb.mask, self.augment)
        terms = self.module_.losses(encoded, yb, rows, mask)
        terms["loss"].backward()
        for name in self.module_.loss_terms:
            self.history.record_batch(name, terms[name].item())
        objective = terms.get("objective", terms["loss"]).detach()
        return {**terms, "loss": objective, "y_pred": terms["output"]}

    def validation_step(self, batch, **fit_params):
        """The method's objective on a validation batch, as it is (no augmentation or
        noise; eval mode), so that ``valid_loss`` and ``train_loss`` measure the same
        quantity. The task layer's callbacks score ``y_pred`` (``valid_acc``, ``valid_r2``)."""
        self._set_training(False)
        xb, yb = batch
        with torch.no_grad():
            terms = self.module_.losses(self.module_.encode(xb), yb, None, xb.mask)
        return {"loss": terms.get("objective", terms["loss"]), "y_pred": terms["output"]}


class _Convergence(EarlyStopping):
    """Stop when the monitored loss has not improved by ``tol`` for ``n_iter_no_change``
    epochs (scikit-learn's ``MLPClassifier`` rule), and remember whether it stopped.

    ``min_epochs``: no stop before this many epochs (the best epoch is still
    tracked), for objectives that change during the first epochs (an annealed
    weight).
    """

    def __init__(self, *args, min_epochs=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.min_epochs = min_epochs

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.stopped_ = False

    def on_epoch_end(self, net, **kwargs):
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:  # how skorch callbacks end training
            if len(net.history) >= self.min_epochs:
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


# ---------------------------------------------------------------------------
# The estimator base
# ---------------------------------------------------------------------------


def resolve_device(device):
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` into a torch device string.

    Raises a ``ValueError`` when CUDA is asked for and is not available.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str | torch.device):
        raise TypeError(f"device must be a string such as 'cpu', 'cuda' or 'auto', got {device!r}.")
    device = str(device)
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this machine; "
                "use device='cpu', or device='auto' to take a GPU only when there is one."
            )
        index = torch.device(device).index
        if index is not None and index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only {torch.cuda.device_count()} CUDA "
                "device(s) are visible."
            )
    elif device != "cpu":
        torch.device(device)  # raises for malformed names
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


def _check_training_input(estimator, X, data):
    """Training data that would fit silently but cannot train well."""
    never = [name for name, seen in zip(data.names, data.mask.any(0)) if not seen]
    if never:
        raise ValueError(
            f"Modality {never[0]!r} is missing (all NaN) for every training sample, so "
            f"{type(estimator).__name__} cannot learn anything from it; drop it from X or "
            "train on samples where it is present."
        )
    if estimator.early_stopping and getattr(X, "_copies_samples", False):
        raise ValueError(
            "X was resampled by MissingPatternAugmenter, which copies each sample: with "
            "early_stopping=True the validation split would hold copies of training samples. "
            "Use the estimator's own augment parameter (it augments after the split), or set "
            "early_stopping=False."
        )


#: Docstring fragment for the parameters every skmm classifier shares.
COMMON_PARAMETERS = """
    modalities : dict, default=None
        For a flat 2D ``X``: modality name -> column indices, slice or (for a
        DataFrame) column names. ``None``: dict input as given, or a flat
        array as one modality.
    encoders : dict, default=None
        Modality name -> encoder name or a ``torch.nn.Module`` with
        ``out_features``. Names: ``"mlp"`` for 2D features; ``"lstm"``,
        ``"textcnn"`` or ``"transformer"`` for sequences (3D input, see
        :mod:`skmm.nn`). Modalities not named get the default for their
        shape: ``"mlp"`` for 2D features, ``"lstm"`` for sequences.
    hidden_sizes : tuple of int, default=(256,)
        Layer widths of the built-in encoders: one ``"mlp"`` layer per size;
        a sequence encoder's output width is the last size (see
        :func:`skmm.nn.make_encoder`). Chosen by measurement against
        ``(128,)``, ``(512,)``, ``(128, 128)``, ``(256, 256)`` (the earlier
        default) and ``(512, 512)`` (:doc:`/defaults`).
    train_noise : float or (float, float), default=None
        Corruption-aware training: with probability ``p`` (0.5 when a single
        number is given) per sample and batch, add Gaussian noise of a std
        drawn from ``[0, max_std]`` to one random present modality. Applied on
        the device after any validation split. ``None`` (paper-exact) turns it
        off.
    lr : float, default=3e-4 (RedCore's estimators and the trusted ones: 1e-3)
        Adam learning rate (the RAML paper uses 1e-3, RedCore's 2e-4; see
        :class:`RedCoreClassifier`). The defaults of ``lr``,
        ``weight_decay``, ``batch_size``, ``max_epochs`` and
        ``early_stopping`` were chosen by measurement on data sets of 500 to
        50,000 samples and 2 to 100 classes: :doc:`/defaults`; a regressor
        has its classifier's, measured on regression data in
        :doc:`/user_guide/regression`.
    lr_schedule : {"constant", "adaptive"}, default="constant" (TrustedFusionClassifier: "adaptive")
        ``"constant"``: Adam at ``lr`` throughout. ``"adaptive"``: the rate is
        divided by 5 (as ``MLPClassifier(learning_rate="adaptive")`` does)
        whenever the monitored loss (see ``tol``) has not improved by ``tol``
        for three epochs; the rate of each epoch is recorded as ``event_lr``
        in ``history_``. The trusted estimator's default by measurement
        (:doc:`/defaults`); on the others it was not better.
    weight_decay : float, default=5e-4
        Adam weight decay (L2 penalty added to the gradient).
    batch_size : int, default=128
        Mini-batch size. Inference runs batches of ``min(batch_size, 1024)``
        rows, the last one padded to that size, so that a sample's prediction
        does not depend on the samples passed with it (bit for bit).
    max_epochs : int, default=200
        The most passes over the training data (scikit-learn's
        ``MLPClassifier`` default). Training stops earlier once it has
        converged (see ``tol``); a ``ConvergenceWarning`` says when
        ``max_epochs`` ended it first.
    tol : float or None, default=1e-4
        Convergence tolerance, as in scikit-learn's ``MLPClassifier``: when
        the monitored loss (the training objective, ``train_loss``; with
        ``early_stopping``, the same objective on the validation split,
        ``valid_loss``) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs, training stops. ``None``
        (as in scikit-learn's ``SGDClassifier``): no stopping rule, training
        runs ``max_epochs`` epochs and does not warn; with
        ``early_stopping`` the best epoch's weights are still restored at
        the end. For choosing ``max_epochs`` by cross-validation.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training data (stratified
        for a classifier, shuffled for a regressor), monitor the method's
        objective on it (``valid_loss``, computed without augmentation or
        noise, so that it measures what ``train_loss`` measures; the
        accuracy ``valid_acc`` or, for a regressor, the R² ``valid_r2`` is
        recorded beside it) and restore the
        weights of its best epoch when training stops. On by default
        (unlike ``MLPClassifier``): trained until the training objective
        converged, the networks overfit small or many-class data, e.g. RAML
        fell from 73% to 38% on 5,000 samples of 100 classes, while holding
        out 10% cost at most a point on the other measured sets (see
        :doc:`/defaults`). ``False`` trains on all rows until ``train_loss``
        converges.
    validation_fraction : float, default=0.1
        Held-out share for early stopping.
    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` before training stops.
    device : {"cpu", "cuda", "cuda:N", "auto"}, default="cpu"
        Where to train. ``"auto"`` takes a GPU when one is available.
    n_threads : int or None, default=1
        Torch CPU threads during ``fit``, ``predict`` and the other methods;
        the previous setting is restored afterwards. ``None`` keeps torch's
        own setting. One thread is the default because these networks are
        small: on 2 cores, 2 threads were at most 1.5x faster on an idle
        machine and 2.5x slower with one other busy process (up to 20x
        slower on a loaded machine), while one thread did not slow down.
    data_placement : {"auto", "device", "stream"}, default="auto"
        Where the data lives while training and predicting. ``"device"``: the
        whole data set is put on ``device`` once and batches are slices of it
        (the fastest when it fits; on the CPU the caller's float32 arrays are
        used in place, without a copy). ``"stream"``: the data stays in host
        memory, or on disk for a ``np.memmap`` or HDF5/zarr dataset, and each
        batch is gathered on the host (into pinned memory for a GPU) and copied
        to the device without blocking; out-of-core data is read in shuffled
        chunks (see :doc:`/scaling`). ``"auto"``: ``"stream"`` for out-of-core
        data and for data larger than half the free GPU memory, else
        ``"device"``. On the CPU the two differ only in that ``"stream"``
        copies each batch and reads out-of-core data chunk by chunk, where
        ``"device"`` loads it into memory.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, augmentation and noise; with
        an int, CPU results are repeatable. The global torch RNG state is
        left untouched.
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks (checkpoints, LR schedulers, ...).
    verbose : int, default=0
        0: silent; 1: a log line per epoch; 2: also a progress bar per epoch.
"""

_TRAINING_ATTRIBUTES = INPUT_ATTRIBUTES_DOC.rstrip("\n") + """
    data_placement_ : {"device", "stream"}
        The data placement used in ``fit`` (``data_placement`` resolved).
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the PyTorch module.
    history_ : skorch.History
        Per-epoch and per-batch training records (losses and each loss term).
    n_iter_ : int
        Number of epochs run.
"""

#: Docstring fragment for the fitted attributes of every skmm classifier.
COMMON_ATTRIBUTES = """
    classes_ : ndarray of shape (n_classes,)
        Class labels.""" + _TRAINING_ATTRIBUTES

#: Docstring fragment for the fitted attributes of every skmm regressor.
REGRESSOR_ATTRIBUTES = """
    n_outputs_ : int
        Number of targets (1 for a 1D ``y``).""" + _TRAINING_ATTRIBUTES


class EmbeddingMixin(TransformerMixin):
    """``fit_transform`` for classifiers whose ``transform`` returns their
    float32 embedding (sklearn's TransformerMixin, with the dtype tag set)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def fill_doc(cls):
    """Class decorator: put the shared parameter and attribute docs in a docstring.

    The docstring marks their places with lines holding only ``{common}`` and
    ``{attributes}``, indented like the parameters; a regressor gets the
    regressors' attributes.
    """
    attributes = REGRESSOR_ATTRIBUTES if issubclass(cls, RegressorMixin) else COMMON_ATTRIBUTES
    doc = cls.__doc__
    doc = doc.replace("    {common}\n", COMMON_PARAMETERS.lstrip("\n"))
    doc = doc.replace("    {attributes}\n", attributes.lstrip("\n"))
    cls.__doc__ = doc
    return cls


class LayerSizes(Options):
    """Parameter constraint: a sequence of positive ints (layer widths; ``()`` allowed).

    For ``_parameter_constraints`` next to scikit-learn's ``Interval`` and
    ``StrOptions``: ``hidden_sizes=(0,)`` or ``(-3,)`` is rejected at ``fit``
    with scikit-learn's ``InvalidParameterError``. (A subclass of sklearn's
    ``Options``, the constraint classes sklearn's validation accepts; it
    matches sequences, not a finite set.)
    """

    def __init__(self):
        super().__init__(tuple, set())

    def is_satisfied_by(self, val):
        if isinstance(val, str | bytes | dict) or not hasattr(val, "__iter__"):
            return False
        return all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in val)

    def __str__(self):
        return "a sequence of positive ints (layer widths)"


class _ShuffleSplit:
    """skorch ``train_split`` for early stopping: a shuffled hold-out of a
    :class:`TensorData` (a regressor's: targets are not classes, nothing to
    stratify). A class, not a closure, so that a fitted estimator pickles."""

    def __init__(self, fraction, seed):
        self.fraction, self.seed = fraction, seed

    def _split(self, dataset):
        return train_test_split(
            np.arange(len(dataset)), test_size=self.fraction, random_state=self.seed
        )

    def __call__(self, dataset, y=None, **fit_params):
        train, valid = self._split(dataset)
        device = dataset.mask.device
        return (
            dataset[torch.as_tensor(train, device=device)],
            dataset[torch.as_tensor(valid, device=device)],
        )


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


class _ValidAccuracy(Callback):
    """Records each validation batch's accuracy as ``valid_acc`` (a classifier's
    ``PassthroughScoring`` averages it over the epoch)."""

    def on_batch_end(self, net, batch=None, training=False, **step):
        if not training:
            correct = (step["y_pred"].argmax(1) == batch[1]).double().mean()
            net.history.record_batch("valid_acc", correct.item())


class _ValidR2(Callback):
    """Records the validation split's R² as ``valid_r2`` at the end of each epoch.

    The coefficient of determination of the whole split (not a mean of batch
    values), on the standardized targets, averaged over the targets as
    :func:`sklearn.metrics.r2_score` does by default (standardizing each target
    changes no R²).
    """

    def on_epoch_begin(self, net, **kwargs):
        self._sums = None

    def on_batch_end(self, net, batch=None, training=False, **step):
        if training:
            return
        y, pred = batch[1].double(), step["y_pred"].detach().double()
        sums = torch.stack([(y - pred).pow(2).sum(0), y.sum(0), y.pow(2).sum(0)])
        count = torch.tensor(float(len(y)), dtype=torch.float64, device=y.device)
        if self._sums is None:
            self._sums, self._count = sums, count
        else:
            self._sums, self._count = self._sums + sums, self._count + count

    def on_epoch_end(self, net, **kwargs):
        if self._sums is None:
            return
        sse, total, squares = self._sums
        sst = squares - total.pow(2) / self._count
        r2 = torch.where(sst > 0, 1.0 - sse / sst.clamp_min(1e-300), torch.zeros_like(sst))
        net.history.record("valid_r2", float(r2.mean()))
        self._sums = self._count = None  # no tensor outlives the epoch (pickling, devices)


class MultimodalBase(BaseEstimator):
    """The task-neutral machinery of skmm estimators (not for direct use).

    It validates multimodal input, builds a PyTorch module from the data's
    modality shapes and trains it with a private skorch net. A task layer
    (:class:`MultimodalClassifierBase`, :class:`MultimodalRegressorBase`)
    turns the targets into tensors (``_fit_targets``), names the task the
    module is built for (``_task``: :class:`skmm.nn.Classification` or
    :class:`skmm.nn.Regression`), chooses the early-stopping split and the
    validation score recorded in the history, and turns the module's output
    into predictions. A method declares its own parameters' constraints by
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
        "hidden_sizes": [LayerSizes()],
        "train_noise": [Interval(Real, 0, None, closed="left"), "array-like", None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"constant", "adaptive"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "callbacks": [list, tuple, None],
        "verbose": ["verbose"],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "data_placement": [StrOptions(set(PLACEMENTS))],
    }

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

    def _after_training(self, net, dataset):
        """Set a method's own fitted attributes from the trained ``net`` and the training
        ``dataset`` (validated, targets encoded; ``net.train_split(dataset)`` gives the
        early-stopping split). Runs in ``fit`` with its torch threads."""

    # -- what a task layer provides ------------------------------------------

    def _fit_targets(self, y):
        """Validate ``y``, set the task's fitted attributes; return ``(targets, n_outputs)``:
        the training targets as an array of the dtype the task's loss takes."""
        raise NotImplementedError

    def _task_callbacks(self):
        """``(name, callback)`` pairs recording the task's validation score."""
        return []

    def _split(self):
        """The class of the early-stopping split (a ``train_split`` for skorch)."""
        raise NotImplementedError

    # -- training -----------------------------------------------------------

    def _callbacks(self, loss_terms):
        callbacks = [
            (f"train_{name}", PassthroughScoring(name=name, on_train=True)) for name in loss_terms
        ]
        callbacks += self._method_callbacks()
        if self.early_stopping:
            callbacks += self._task_callbacks()
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        for i, cb in enumerate(self.callbacks or []):
            callbacks.append(cb if isinstance(cb, tuple) else (f"user_{i}_{type(cb).__name__}", cb))
        monitor = "valid_loss" if self.early_stopping else "train_loss"
        tol = 0.0 if self.tol is None else self.tol
        if self.lr_schedule == "adaptive":
            callbacks.append(
                ("lr_schedule", _AdaptiveLR(monitor, tol, min_epochs=self._min_epochs()))
            )
        # MLPClassifier's rule: on the training objective, or on the same objective on the
        # validation split with early stopping (then the best epoch's weights come back);
        # tol=None never stops (SGDClassifier's tol=None) but still restores the best epoch.
        # Last, so that every other callback has seen the epoch that ends training.
        callbacks.append(
            (
                "convergence",
                _Convergence(
                    monitor=monitor,
                    patience=self.n_iter_no_change if self.tol is not None else np.inf,
                    threshold=tol,
                    threshold_mode="abs",
                    load_best=bool(self.early_stopping),
                    min_epochs=self._min_epochs(),
                    sink=print if self.verbose >= 1 else noop,
                ),
            )
        )
        return callbacks

    def _train_split(self, seed):
        if not self.early_stopping:
            return None
        return self._split()(self.validation_fraction, seed)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train on multimodal data.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels (any labels sklearn accepts) for a classifier;
            target values for a regressor.

        Returns
        -------
        self
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        data = validate_multimodal(self, X, reset=True, modalities=self.modalities, copy=False)
        _check_training_input(self, X, data)
        check_consistent_length(data.mask, y)
        targets, n_outputs = self._fit_targets(y)
        train_noise = _check_train_noise(self.train_noise)
        augment = getattr(self, "augment", None)
        device = resolve_device(self.device)
        placement = resolve_placement(self.data_placement, data, device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        fork_devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch_threads(self.n_threads), torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)
            task = self._task()
            module = self._build_module(self.feature_shapes_, n_outputs, task)
            net = _MultimodalNet(
                module=module,
                criterion=task,  # the per-row loss the module applies to its terms
                optimizer=torch.optim.Adam,
                lr=self.lr,
                optimizer__weight_decay=self.weight_decay,
                batch_size=self.batch_size,
                max_epochs=self.max_epochs,
                train_split=self._train_split(seed),
                callbacks=self._callbacks(module.loss_terms),
                device=device,
                verbose=int(self.verbose >= 1),
                augment=augment,
                train_noise=train_noise,
            )
            dataset = make_dataset(data, targets, device, placement)
            net.fit(dataset, None)
            self._after_training(net, dataset)
        self.data_placement_ = placement
        self.net_ = net
        self.history_ = net.history
        self.n_iter_ = len(net.history)
        convergence = dict(net.callbacks_)["convergence"]
        if self.tol is not None and not convergence.stopped_:
            warnings.warn(
                f"{type(self).__name__}: max_epochs={self.max_epochs} ended training before "
                f"it converged ({convergence.monitor} still improved by more than "
                f"tol={self.tol} within the last n_iter_no_change={self.n_iter_no_change} "
                "epochs). Raise max_epochs or lr.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    # -- inference ---------------------------------------------------------

    def _forward(self, X, fn):
        """Apply ``fn(module, batch) -> Tensor`` to every batch of ``X``; numpy result."""
        check_is_fitted(self, "net_")
        data = validate_multimodal(self, X, reset=False, modalities=self.modalities, copy=False)
        net = self.net_
        placement = resolve_placement(self.data_placement, data, net.device)
        dataset = make_dataset(data, None, net.device, placement)
        module = net.module_
        module.eval()
        n, size = len(dataset), min(self.batch_size, _PREDICT_BATCH)
        out, start = None, 0
        with torch_threads(self.n_threads), torch.no_grad():
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
    """

    _task = Classification

    def _fit_targets(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} can't train when only one class is present "
                f"(got only {_py(self.classes_[0])!r})."
            )
        return y_encoded.astype(np.int64), len(self.classes_)

    def _split(self):
        return _StratifiedSplit

    def _task_callbacks(self):
        return [
            ("valid_acc_batches", _ValidAccuracy()),
            ("valid_acc", PassthroughScoring(name="valid_acc")),
        ]

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
    ``fit`` (each target to mean 0 and std 1 over the training rows), so that
    the default learning rates work whatever the targets' scale; the module
    is built for :class:`skmm.nn.Regression` with ``n_targets`` outputs and
    ``predict`` restores the scale. The early-stopping split is a shuffled
    hold-out and its R² is recorded as ``valid_r2``.
    """

    _task = Regression

    def _fit_targets(self, y):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # DataConversionWarning, as sklearn's regressors
        if y.ndim not in (1, 2) or y.shape[-1] == 0:
            raise ValueError(
                f"{type(self).__name__} needs y of shape (n_samples,) or (n_samples, n_targets); "
                f"got shape {y.shape}."
            )
        self._y_1d = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        self.n_outputs_ = y2.shape[1]
        self._y_mean = y2.mean(0)
        scale = y2.std(0)
        # a constant target: scale 1, so that the model learns the constant
        self._y_scale = np.where(scale > 0, scale, 1.0)
        return ((y2 - self._y_mean) / self._y_scale).astype(np.float32), self.n_outputs_

    def _split(self):
        return _ShuffleSplit

    def _task_callbacks(self):
        return [("valid_r2", _ValidR2())]

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
