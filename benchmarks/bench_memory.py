"""Peak memory and epoch time of ``fit`` and ``predict`` against the number of rows.

Two modalities of 512 and 1,024 float32 features (image and text embeddings),
two classes. For each case a fresh Python process builds the data (in memory,
or an ``np.memmap`` over a ``.npy`` file on disk), runs a warm-up ``fit`` and
``predict_proba`` on 2,000 rows so that the torch runtime, the allocator pools
and the imports are already resident, and then measures:

* **extra peak** of ``fit`` (one epoch) and of ``predict_proba``: the peak
  resident set size during the call minus the resident set size just before
  it. Linux keeps the peak in ``VmHWM`` (``/proc/self/status``); writing ``5``
  to ``/proc/self/clear_refs`` resets it to the current size, so the peak is
  that of the call alone. RSS sees every allocation (numpy, torch, the C
  library), which ``tracemalloc`` does not. For in-memory data the data
  itself is resident before the call and is not counted; for a memmap it is on
  disk, and the peak is also given as an absolute value (``peak RSS``).
* **epoch time**: skorch's ``dur`` of the epoch (training only).

The same is measured for a bare PyTorch loop (the ConcatFusion network,
Adam, batches of 128) that reads contiguous batches of the same memmap
through the mapping in a random batch order: the obvious hand-written loop.

Missing rows: 20% of the rows of each modality are NaN (disjoint rows).

``--placement-timing`` instead compares ``data_placement="device"`` with
``"stream"`` on in-memory data: the epoch time and the ``predict_proba`` time
of ConcatFusion and RAML, both placements interleaved in one process (so that
a busy machine slows both alike), median of ``--repeats`` runs after a
warm-up fit; results in ``results/placement_<device>.{md,json}``.

Runs with one torch thread (``OMP_NUM_THREADS=1``). Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_memory.py            # 10k, 100k, 1M
    OMP_NUM_THREADS=1 python benchmarks/bench_memory.py --sizes 10000 100000
    python benchmarks/bench_memory.py --data-dir /tmp/skmm_mem     # where the memmaps go
    OMP_NUM_THREADS=1 python benchmarks/bench_memory.py --placement-timing --n 20000
    python benchmarks/bench_memory.py --placement-timing --device cuda --n 1000000
    python benchmarks/bench_memory.py --quick                       # smoke run, temp folder
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # one epoch, by design

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)  # the skmm of this checkout

DIMS = {"image": 512, "text": 1024}
WARMUP_ROWS = 2000
BATCH = 128
#: Encoder widths of the estimators measured (the bare network below has the same
#: layers): the earlier default, with which the published results were measured.
HIDDEN = (256, 256)


# -- measuring, inside the child process --------------------------------------


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB -> bytes
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _measure(fn):
    """(result, extra peak bytes, peak RSS bytes, seconds) of ``fn()``."""
    before = _status("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    peak = _status("VmHWM")
    return out, peak - before, peak, seconds


def _fill(arr, seed, missing, offset):
    """Fill ``arr`` in chunks (no full-size temporary): normal values, NaN rows."""
    rng = np.random.default_rng(seed)
    step = 16384
    for a in range(0, arr.shape[0], step):
        b = min(a + step, arr.shape[0])
        arr[a:b] = rng.standard_normal((b - a, arr.shape[1]), dtype=np.float32)
        if missing:
            rows = np.arange(a, b)
            arr[a:b][(rows % 5) == offset] = np.nan
    return arr


def _labels(n):
    return (np.arange(n) % 2).astype(np.int64)


def _paths(data_dir, n, missing):
    tag = f"{n}_{'miss' if missing else 'full'}"
    return {k: os.path.join(data_dir, f"{k}_{tag}.npy") for k in DIMS}


def make_memmaps(data_dir, n, missing):
    """Write the ``.npy`` files once (chunk by chunk); returns their paths."""
    paths = _paths(data_dir, n, missing)
    for i, (name, path) in enumerate(paths.items()):
        if os.path.exists(path):
            continue
        tmp = path + ".part"
        arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, DIMS[name]))
        _fill(arr, i, missing, i)
        arr.flush()
        del arr
        os.replace(tmp, path)
    return paths


def _estimator(name):
    from skmm import ConcatFusionClassifier, RAMLClassifier

    cls = {"concat": ConcatFusionClassifier, "raml": RAMLClassifier}[name]
    return cls(hidden_sizes=HIDDEN, max_epochs=1, batch_size=BATCH, random_state=0)


def child(args):
    import torch

    torch.set_num_threads(1)
    n, missing = args.n, args.missing
    if args.source == "memmap":
        paths = _paths(args.data_dir, n, missing)
        X = {k: np.load(p, mmap_mode="r") for k, p in paths.items()}
    else:
        X = {k: _fill(np.empty((n, d), np.float32), i, missing, i)
             for i, (k, d) in enumerate(DIMS.items())}
    y = _labels(n)
    data_bytes = sum(a.nbytes for a in X.values())
    rng = np.random.default_rng(1)
    warm = {k: _fill(np.empty((WARMUP_ROWS, d), np.float32), 9, missing, i)
            for i, (k, d) in enumerate(DIMS.items())}
    result = {"model": args.model, "n": n, "source": args.source, "missing": missing,
              "data_bytes": data_bytes}
    if args.model == "bare":
        result.update(_bare_loop(X, y, warm, rng, torch))
    else:
        clf = _estimator(args.model)
        clf.fit(warm, _labels(WARMUP_ROWS)).predict_proba(warm)
        clf = _estimator(args.model)
        _, fit_extra, fit_peak, fit_s = _measure(lambda: clf.fit(X, y))
        proba, pred_extra, pred_peak, pred_s = _measure(lambda: clf.predict_proba(X))
        assert proba.shape == (n, 2) and np.allclose(proba.sum(1), 1)
        result.update(
            placement=getattr(clf, "data_placement_", "device (before data_placement)"),
            fit_extra=fit_extra, fit_peak=fit_peak, fit_s=fit_s,
            epoch_s=float(clf.history_[-1, "dur"]),
            predict_extra=pred_extra, predict_peak=pred_peak, predict_s=pred_s,
        )
    print("RESULT " + json.dumps(result))


def _bare_loop(X, y, warm, rng, torch):
    """ConcatFusion's network, trained by hand on contiguous memmap batches."""
    from torch import nn

    class Net(nn.Module):
        # The same layers as the ConcatFusionClassifier measured beside it: an MLP
        # (256, 256) per modality (HIDDEN), concatenation, Linear(512, 256), ReLU,
        # Linear(256, 2).
        def __init__(self):
            super().__init__()
            self.encoders = nn.ModuleList(
                nn.Sequential(nn.Linear(d, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU())
                for d in DIMS.values()
            )
            self.head = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 2))

        def forward(self, xs):
            return self.head(torch.cat([e(x) for e, x in zip(self.encoders, xs)], dim=1))

    def net():
        torch.manual_seed(0)
        return Net()

    def epoch(model, data, labels):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=5e-4)
        n = labels.shape[0]
        starts = rng.permutation(np.arange(0, n, BATCH))
        t0 = time.perf_counter()
        for s in starts:
            xb = [torch.from_numpy(np.array(data[k][s:s + BATCH])).nan_to_num_(0.0)
                  for k in DIMS]
            yb = torch.from_numpy(labels[s:s + BATCH])
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - t0

    epoch(net(), warm, _labels(WARMUP_ROWS))
    epoch_s, fit_extra, fit_peak, _ = _measure(lambda: epoch(net(), X, y))
    return {"placement": "memmap slices", "fit_extra": fit_extra, "fit_peak": fit_peak,
            "epoch_s": epoch_s}


def placement_timing(n, repeats, device):
    """Epoch and predict times, "device" against "stream", interleaved; medians."""
    import torch

    from skmm import ConcatFusionClassifier, RAMLClassifier

    torch.set_num_threads(1)
    X = {k: _fill(np.empty((n, d), np.float32), i, True, i)
         for i, (k, d) in enumerate(DIMS.items())}
    y = _labels(n)
    rows = []
    for name, cls in (("ConcatFusion", ConcatFusionClassifier), ("RAML", RAMLClassifier)):
        times = {p: {"epoch_s": [], "predict_s": []} for p in ("device", "stream")}
        for rep in range(repeats + 1):  # the first round is a warm-up
            for placement in ("device", "stream"):
                clf = cls(hidden_sizes=HIDDEN, max_epochs=1, batch_size=BATCH, random_state=0,
                          device=device, data_placement=placement).fit(X, y)
                t0 = time.perf_counter()
                clf.predict_proba(X)
                if rep:
                    times[placement]["epoch_s"].append(float(clf.history_[-1, "dur"]))
                    times[placement]["predict_s"].append(time.perf_counter() - t0)
        med = {p: {k: float(np.median(v)) for k, v in t.items()} for p, t in times.items()}
        rows.append({"model": name, "n": n, "device": device, "repeats": repeats,
                     "times": times, "median": med})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def placement_markdown(rows, env):
    from _common import markdown_table

    table = markdown_table(
        ["model", "rows", "device", "epoch s, device", "epoch s, stream", "stream / device",
         "predict s, device", "predict s, stream"],
        [[r["model"], f"{r['n']:,}", r["device"],
          f"{r['median']['device']['epoch_s']:.2f}", f"{r['median']['stream']['epoch_s']:.2f}",
          f"{r['median']['stream']['epoch_s'] / r['median']['device']['epoch_s']:.3f}",
          f"{r['median']['device']['predict_s']:.2f}", f"{r['median']['stream']['predict_s']:.2f}"]
         for r in rows],
    )
    return (
        "# data_placement: on the device against streamed batches\n\n"
        "In-memory data, 512 + 1,024 float32 features, 20% missing rows per modality; one "
        f"epoch, batch 128; medians of {rows[0]['repeats']} interleaved runs after a warm-up. "
        "See `benchmarks/bench_memory.py --placement-timing`.\n\n" + table + "\n\n"
        + ", ".join(f"{k}: {v}" for k, v in env.items()) + "\n"
    )


# -- the driver ------------------------------------------------------------------


def run_case(model, n, source, missing, data_dir):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--model", model,
           "--n", str(n), "--source", source, "--data-dir", data_dir]
    if missing:
        cmd.append("--missing")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{cmd} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")


def cases(sizes):
    """(model, n, source, missing): the N curve, missing rows at 100k, memmaps, bare loop."""
    out = []
    for n in sizes:
        source = "memmap" if n >= 1_000_000 else "memory"
        for model in ("concat", "raml"):
            out.append((model, n, source, False))
        if n == 100_000:
            out += [("concat", n, "memory", True), ("raml", n, "memory", True),
                    ("concat", n, "memmap", False), ("bare", n, "memmap", False)]
        if n >= 1_000_000:
            out.append(("bare", n, "memmap", False))
    return out


def _mb(b):
    return f"{b / 2**20:.0f}"


def markdown(results, env):
    from _common import markdown_table

    rows = []
    for r in results:
        def ratio(key, r=r):
            return f"{r[key] / r['data_bytes']:.3f}" if key in r else "-"

        rows.append([
            {"concat": "ConcatFusion", "raml": "RAML", "bare": "bare PyTorch loop"}[r["model"]],
            f"{r['n']:,}", r["source"] + (" (20% missing rows)" if r["missing"] else ""),
            r["placement"], _mb(r["data_bytes"]),
            _mb(r["fit_extra"]), ratio("fit_extra"), _mb(r["fit_peak"]), f"{r['epoch_s']:.1f}",
            _mb(r["predict_extra"]) if "predict_extra" in r else "-", ratio("predict_extra"),
            f"{r['predict_s']:.1f}" if "predict_s" in r else "-",
        ])
    table = markdown_table(
        ["model", "rows", "data", "placement", "data MB", "fit extra peak MB", "/ data",
         "fit peak RSS MB", "epoch s", "predict extra peak MB", "/ data", "predict s"],
        rows,
    )
    return (
        "# Peak memory and epoch time against N\n\n"
        "Two modalities, 512 + 1,024 float32 features; one epoch, batch 128, one torch "
        "thread. *Extra peak*: peak RSS during the call (VmHWM after resetting it through "
        "/proc/self/clear_refs) minus the RSS just before it, in a fresh process after a "
        "warm-up fit on 2,000 rows. *Peak RSS*: the absolute peak during the call (for a "
        "memmap the data is on disk, not resident before). See "
        "`benchmarks/bench_memory.py`.\n\n" + table + "\n\n"
        + ", ".join(f"{k}: {v}" for k, v in env.items()) + "\n"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--data-dir", default="/tmp/skmm_bench_memory")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--missing", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--name", default="memory")
    parser.add_argument("--placement-timing", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 3,000 rows in memory (with --placement-timing: "
                        "2,000 rows, 1 repeat), temp folder")
    args = parser.parse_args()
    if args.child:
        return child(args)
    out_dir = None
    if args.quick:
        out_dir = tempfile.mkdtemp(prefix="skmm_bench_")
        args.sizes, args.n, args.repeats = [3_000], args.n or 2_000, 1
        args.name = os.path.join(out_dir, "memory")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _common import environment, write_results

    if args.placement_timing:
        rows = placement_timing(args.n or 20_000, args.repeats, args.device)
        env = environment()
        name = f"placement_{args.device.split(':')[0]}"
        return write_results(os.path.join(out_dir, name) if out_dir else name,
                             {"results": rows, "environment": env}, placement_markdown(rows, env))

    os.makedirs(args.data_dir, exist_ok=True)
    results = []
    for model, n, source, missing in cases(args.sizes):
        if source == "memmap":
            make_memmaps(args.data_dir, n, missing)
        r = run_case(model, n, source, missing, args.data_dir)
        print(json.dumps(r), flush=True)
        results.append(r)
        env = environment()
        write_results(args.name, {"results": results, "environment": env},
                      markdown(results, env))


if __name__ == "__main__":
    main()
