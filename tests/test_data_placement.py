"""No copies of the data, streamed batches and out-of-core input (issue #15)."""

import numpy as np
import pytest
import torch

import skmm._data as data_mod
from skmm import ConcatFusionClassifier, RAMLClassifier, check_multimodal
from skmm._batching import StreamData, TensorData, make_dataset
from skmm._data import is_out_of_core, read_rows, take_rows


class RowSliced:
    """A minimal out-of-core array-like (like an h5py or zarr dataset): rows by slice only."""

    def __init__(self, array):
        self._array = array
        self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim
        self.reads = []

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError(f"row slices only, got {index!r}")
        self.reads.append((index.start, index.stop))
        return self._array[index].copy()

    def __array__(self, *args, **kwargs):
        raise AssertionError("an out-of-core source must never be loaded whole")


def _data(n=240, seed=0, missing=True, dtype=np.float32):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    a = (rng.standard_normal((n, 6)) + y[:, None]).astype(dtype)
    b = (rng.standard_normal((n, 5)) - y[:, None]).astype(dtype)
    if missing:
        a[np.arange(n) % 5 == 0] = np.nan
        b[np.arange(n) % 5 == 1] = np.nan
    return {"a": a, "b": b}, y


def _small(cls=ConcatFusionClassifier, **kw):
    return cls(**{"hidden_sizes": (8,), "max_epochs": 3, "batch_size": 32, "random_state": 0,
                  "early_stopping": False, **kw})


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 3 rows and windows of 2 chunks of 32 rows, to exercise every seam."""
    monkeypatch.setattr(data_mod, "BLOCK_BYTES", 3 * 6 * 4)
    monkeypatch.setattr(StreamData, "chunk_bytes", 1)  # a chunk is one batch
    monkeypatch.setattr(StreamData, "window_chunks", 2)


# -- the data layer: no copy where none is needed -----------------------------------


def test_float32_input_is_passed_through_uncopied_and_unchanged():
    X, _ = _data()
    before = {k: v.copy() for k, v in X.items()}
    X["a"].flags.writeable = False
    data = check_multimodal(X, copy=False)
    assert data.arrays[0] is X["a"] and data.arrays[1] is X["b"]
    assert data.has_nan == (True, True)
    for k in X:
        np.testing.assert_array_equal(X[k], before[k])  # NaN rows still NaN
    assert data.mask[:, 0].tolist() == (np.arange(240) % 5 != 0).tolist()
    # The default keeps returning filled copies (what the transformers need).
    filled = check_multimodal(X)
    assert filled.arrays[0] is not X["a"] and filled.has_nan == (False, False)
    assert filled.arrays[0][0].tolist() == [0.0] * 6


def test_other_dtypes_are_converted_once_and_filled():
    X, _ = _data(dtype=np.float64)
    data = check_multimodal(X, copy=False)
    assert data.arrays[0].dtype == np.float32 and data.arrays[0] is not X["a"]
    assert data.has_nan == (False, False) and data.arrays[0][0].tolist() == [0.0] * 6
    assert np.isnan(X["a"][0]).all()


def test_block_validation_matches_whole_array_validation(monkeypatch):
    X, _ = _data(n=50)
    seq = np.random.default_rng(1).standard_normal((50, 4, 3))
    seq[np.arange(50) % 7 == 0, 2:] = np.nan  # padding
    seq[np.arange(50) % 11 == 0] = np.nan  # missing
    X["s"] = seq
    whole = check_multimodal(X)
    monkeypatch.setattr(data_mod, "BLOCK_BYTES", 1)  # one row per block
    blocks = check_multimodal(X)
    np.testing.assert_array_equal(blocks.mask, whole.mask)
    np.testing.assert_array_equal(blocks.lengths[2], whole.lengths[2])
    for x, y in zip(blocks.arrays, whole.arrays):
        np.testing.assert_array_equal(x, y)
    # Error messages name rows from every block, with the total count.
    bad = X["a"].copy()
    bad[[3, 17, 22, 31, 43, 44], 1] = np.nan
    with pytest.raises(ValueError, match=r"'a' has partial NaN in rows \[3, 17, 22, 31, 43, "
                                         r"\.\.\. \(6 rows in all\)\]"):
        check_multimodal({"a": bad, "b": X["b"]}, copy=False)
    bad[44, 2] = np.inf
    with pytest.raises(ValueError, match=r"'a' contains inf .* in rows \[44\]"):
        check_multimodal({"a": bad, "b": X["b"]}, copy=False)


def test_fit_and_predict_never_change_read_only_caller_arrays():
    X, y = _data()
    before = {k: v.copy() for k, v in X.items()}
    for v in X.values():
        v.flags.writeable = False
    for placement in ("device", "stream"):
        clf = _small(RAMLClassifier, train_noise=0.5, data_placement=placement).fit(X, y)
        proba = clf.predict_proba(X)
        assert np.isfinite(proba).all() and np.allclose(proba.sum(1), 1.0)
        for k in X:
            np.testing.assert_array_equal(X[k], before[k])


def test_fit_and_predict_get_the_callers_arrays(monkeypatch):
    import skmm.base as base

    X, y = _data()
    seen, make = [], base.make_dataset
    monkeypatch.setattr(base, "make_dataset", lambda data, *a: seen.append(data) or make(data, *a))
    _small().fit(X, y).predict(X)
    assert len(seen) == 2
    assert all(d.arrays[0] is X["a"] and d.arrays[1] is X["b"] for d in seen)


def test_device_dataset_shares_the_callers_memory_on_cpu():
    X, y = _data()
    data = check_multimodal(X, copy=False)
    ds = make_dataset(data, y, "cpu", "device")
    assert isinstance(ds, TensorData) and not isinstance(ds, StreamData)
    assert ds.xs[0].data_ptr() == X["a"].ctypes.data
    # A subset (the early-stopping split) shares the features too.
    part = ds[torch.tensor([5, 2, 9])]
    assert part.xs[0] is ds.xs[0] and part.y.tolist() == [1, 0, 1]
    batch, yb = part.batch(slice(0, 3))
    for m, k in enumerate("ab"):
        np.testing.assert_array_equal(batch.xs[m].numpy(), np.nan_to_num(X[k][[5, 2, 9]]))
    assert batch.xs[0][0].tolist() == [0.0] * 6 and np.isnan(X["a"][5]).all()  # row 5 missing


# -- streaming -----------------------------------------------------------------------


@pytest.mark.parametrize("cls", [ConcatFusionClassifier, RAMLClassifier])
def test_stream_gives_the_same_model_as_device_on_cpu(cls):
    X, y = _data()
    probas = {}
    for placement in ("device", "stream"):
        clf = _small(cls, data_placement=placement, early_stopping=True, n_iter_no_change=2)
        probas[placement] = clf.fit(X, y).predict_proba(X)
        assert clf.data_placement_ == placement
    np.testing.assert_array_equal(probas["stream"], probas["device"])


def test_data_placement_auto_and_errors():
    X, y = _data()
    assert _small(data_placement="auto").fit(X, y).data_placement_ == "device"
    with pytest.raises(ValueError, match=r"The 'data_placement' parameter of ConcatFusionClassifier "
                                         r"must be a str among .*\. Got 'gpu' instead\."):
        _small(data_placement="gpu").fit(X, y)


# -- out-of-core input ------------------------------------------------------------------


def _memmaps(tmp_path, X, mode="r"):
    out = {}
    for k, v in X.items():
        path = tmp_path / f"{k}.npy"
        np.save(path, v)
        out[k] = np.load(path, mmap_mode=mode)
    return out


def test_memmap_trains_and_predicts_like_the_array(tmp_path):
    X, y = _data()
    M = _memmaps(tmp_path, X)
    assert is_out_of_core(M["a"]) and not is_out_of_core(M["a"][:10]) and not is_out_of_core(X["a"])
    for early_stopping in (False, True):
        ref = _small(RAMLClassifier, early_stopping=early_stopping).fit(X, y)
        clf = _small(RAMLClassifier, early_stopping=early_stopping).fit(M, y)
        assert clf.data_placement_ == "stream"
        # One shuffle window holds all 240 rows: the same uniform order, the same model,
        # also on the early-stopping subset (its rows are not in source order).
        np.testing.assert_array_equal(clf.predict_proba(M), ref.predict_proba(X))
        np.testing.assert_array_equal(ref.predict_proba(M), ref.predict_proba(X))
    for k in X:
        np.testing.assert_array_equal(np.asarray(M[k]), X[k])


def test_row_sliceable_source_is_read_in_chunks_never_whole(small_blocks):
    X, y = _data()
    R = {k: RowSliced(v) for k, v in X.items()}
    clf = _small(early_stopping=True, n_iter_no_change=5, max_epochs=20).fit(R, y)
    assert clf.data_placement_ == "stream"
    assert clf.score(X, y) > 0.8  # a learnable task (chance is 0.5)
    np.testing.assert_array_equal(clf.predict_proba(R), clf.predict_proba(X))
    spans = [b - a for a, b in R["a"].reads]
    assert max(spans) <= 3 and len(spans) > 240 // 3
    # "device" loads it block by block, zero-filling the missing rows once.
    ds = make_dataset(check_multimodal(R, copy=False), y, "cpu", "device")
    np.testing.assert_array_equal(ds.xs[0].numpy(), np.nan_to_num(X["a"]))
    assert ds.has_nan == (False, False)


def test_shuffled_chunks_guarantee(small_blocks):
    X, _ = _data(n=300)
    y = np.arange(300)  # labels = row numbers, to read the order back
    ds = make_dataset(check_multimodal({k: RowSliced(v) for k, v in X.items()}, copy=False),
                      y, "cpu", "stream")
    torch.manual_seed(0)
    epochs = []
    for _ in range(2):
        batches = [(b, yb) for b, yb in ds.iter_batches(32, shuffle=True)]
        order = torch.cat([yb for _, yb in batches]).numpy()
        assert sorted(order.tolist()) == list(range(300))  # each row once per epoch
        assert [len(yb) for _, yb in batches] == [32] * 9 + [12]
        # Rows come with their features, zero-filled where missing.
        for b, yb in batches:
            np.testing.assert_array_equal(b.xs[0].numpy(), np.nan_to_num(X["a"][yb.numpy()]))
        # Chunks of 32 consecutive rows (the last has 12), visited 2 at a time:
        # the epoch is 5 windows, each the rows of exactly 2 whole chunks.
        sizes = {c: min(32, 300 - 32 * c) for c in range(10)}
        p, windows = 0, []
        while p < 300:
            for size in range(1, 301 - p):
                chunks = set((order[p : p + size] // 32).tolist())
                if sum(sizes[c] for c in chunks) == size:
                    break
            windows.append(sorted(chunks))
            p += size
        assert [len(w) for w in windows] == [2] * 5
        assert windows != [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]  # chunks shuffled
        epochs.append((order, windows))
    assert epochs[0][1] != epochs[1][1]  # a new chunk order each epoch


def test_memmap_reads_see_unflushed_and_copy_on_write_changes(tmp_path):
    X, _ = _data(missing=False)
    for mode in ("r+", "c"):
        M = _memmaps(tmp_path, X, mode=mode)
        M["a"][7] = 42.0  # not flushed; with "c", only in this mapping
        np.testing.assert_array_equal(read_rows(M["a"], 5, 9)[2], [42.0] * 6)
        np.testing.assert_array_equal(take_rows(M["a"], [1, 7, 200])[1], [42.0] * 6)
