"""Tensor data and batches: validated multimodal data on a device (or streamed to it).

The data never goes through a ``DataLoader`` and is never copied whole on the
host: float32 arrays are used as they are, and missing rows are zero-filled
per batch. With ``data_placement="device"`` the data is moved to the device
once and each batch is a slice of those tensors (:class:`TensorData`); with
``"stream"`` it stays on the host (or on disk) and each batch is gathered
there and copied to the device (:class:`StreamData`). Inference pads its last
batch (:func:`_pad_batch`) so that a row's prediction does not depend on the
rows passed with it.
"""

import math
import warnings

import numpy as np
import torch

from skmm._data import _block_rows, is_out_of_core, read_rows, take_rows

#: Values of the ``data_placement`` parameter.
PLACEMENTS = ("auto", "device", "stream")


class Batch:
    """One batch: per-modality tensors, their sequence lengths, the mask and, in
    weighted training, the rows' weights.

    Attributes
    ----------
    xs : list of Tensor
        ``(b, d)`` or ``(b, T, d)`` per modality; missing rows are zeros.
    lengths : list of (Tensor or None)
        Valid timesteps per sample for sequences, ``None`` for 2D modalities.
    mask : bool Tensor of shape (b, M)
        Presence mask.
    sample_weight : float Tensor of shape (b,) or None
        Training weight of each row (``sample_weight`` times ``class_weight``,
        rescaled by ``fit``); ``None`` when unweighted, and at inference.
    """

    __slots__ = ("xs", "lengths", "mask", "sample_weight")

    def __init__(self, xs, lengths, mask, sample_weight=None):
        self.xs, self.lengths, self.mask = xs, lengths, mask
        self.sample_weight = sample_weight

    def __len__(self):
        return self.mask.shape[0]


def _as_tensor(array):
    """A CPU tensor over an in-memory array, sharing its memory (read, never written)."""
    if array.flags.writeable:  # no warning to silence (catching it costs a one-row predict)
        return torch.as_tensor(array)
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
    ``lengths``, ``mask``, ``y`` and ``sample_weight`` (the training weights,
    or ``None``) are per covered row.
    """

    def __init__(
        self, xs, lengths, mask, y=None, *, has_nan=None, rows=None, sample_weight=None
    ):
        self.xs, self.lengths, self.mask, self.y = xs, lengths, mask, y
        self.has_nan = tuple(has_nan) if has_nan is not None else (False,) * len(xs)
        self.rows = rows
        self.sample_weight = sample_weight

    @classmethod
    def from_arrays(cls, data, y, device, sample_weight=None):
        """Put a :class:`~skmm._data.ModalityArrays` (and encoded ``y``, and the rows'
        training weights) on ``device``.

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
            sample_weight=put(sample_weight),
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
            sample_weight=None if self.sample_weight is None else self.sample_weight[index],
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
        weight = None if self.sample_weight is None else self.sample_weight[index]
        return Batch(xs, lengths, self.mask[index], weight), y

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

    def __init__(
        self, xs, lengths, mask, y=None, *, has_nan=None, rows=None, sample_weight=None,
        device="cpu",
    ):
        super().__init__(
            xs, lengths, mask, y, has_nan=has_nan, rows=rows, sample_weight=sample_weight
        )
        self.device = torch.device(device)
        self.out_of_core = any(not isinstance(x, torch.Tensor) for x in xs)

    @classmethod
    def from_arrays(cls, data, y, device, sample_weight=None):
        """Keep a :class:`~skmm._data.ModalityArrays` on the host, for ``device``."""
        xs = [a if is_out_of_core(a) else _as_tensor(a) for a in data.arrays]
        return cls(
            xs,
            [None if n is None else torch.as_tensor(n) for n in data.lengths],
            torch.as_tensor(data.mask),
            None if y is None else torch.as_tensor(np.asarray(y)),
            has_nan=data.has_nan or (False,) * len(xs),
            sample_weight=None if sample_weight is None else torch.as_tensor(sample_weight),
            device=device,
        )

    def __getitem__(self, index):
        part = super().__getitem__(index if isinstance(index, slice) else torch.as_tensor(index))
        return StreamData(
            part.xs, part.lengths, part.mask, part.y,
            has_nan=part.has_nan, rows=part.rows, sample_weight=part.sample_weight,
            device=self.device,
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
        small += [None if self.sample_weight is None else self.sample_weight[pos]]
        small += [] if self.y is None else [self.y[pos]]
        small = [None if t is None else self._to_device([t])[0] for t in small]
        mask, lengths = small[0], small[1 : 1 + len(self.lengths)]
        weight = small[1 + len(self.lengths)]
        y = small[-1] if self.y is not None else None
        return Batch(xs, lengths, mask, weight), y

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


def make_dataset(data, y, device, placement, sample_weight=None):
    """:class:`TensorData` (``placement="device"``) or :class:`StreamData` (``"stream"``);
    ``sample_weight``: the rows' training weights (float32), or ``None``."""
    kind = StreamData if placement == "stream" else TensorData
    return kind.from_arrays(data, y, device, sample_weight)


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
#: Rows of the one inference batch of a call with this many rows or fewer: single-row
#: prediction then computes 8 rows, not 128. Measured on the CPU (AMD EPYC, torch 2.13,
#: one thread): every estimator's outputs for a row are bit-identical in batches of 4 to
#: 1024 rows and differ at 1 or 2 (kernels picked by shape); 8 leaves a margin, and
#: ``tests/test_common.py`` checks the identity on the machine that runs the tests.
_SMALL_BATCH = 8


def inference_batch_size(n_rows, batch_size):
    """The rows every inference batch of a call on ``n_rows`` rows is padded to
    (:func:`_pad_batch`): ``min(batch_size, _PREDICT_BATCH)``, or :data:`_SMALL_BATCH`
    when all the rows fit in that."""
    size = min(batch_size, _PREDICT_BATCH)
    return _SMALL_BATCH if n_rows <= _SMALL_BATCH < size else size


def _inverse(permutation):
    """The inverse of a permutation tensor: ``_inverse(p)[p] == arange``."""
    inverse = torch.empty_like(permutation)
    inverse[permutation] = torch.arange(len(permutation))
    return inverse


def _pad_batch(batch, size):
    """``batch`` padded to ``size`` rows with copies of its first row.

    Every inference batch then has one of two numbers of rows
    (:func:`inference_batch_size`), for which the float32 kernels, which CPU
    libraries pick by shape, give the same result: a sample's prediction does
    not depend on the other samples passed with it (scikit-learn's subset
    invariance, exactly).
    """
    extra = size - len(batch)

    def pad(t):  # the copies are a broadcast view of the first row: one copy, in cat
        return None if t is None else torch.cat([t, t[:1].expand(extra, *t.shape[1:])])

    return Batch([pad(x) for x in batch.xs], [pad(n) for n in batch.lengths], pad(batch.mask))
