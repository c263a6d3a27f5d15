"""Sequence modalities: RAMLClassifier with LSTM encoders against a bare PyTorch loop.

Data shaped like CMU-MOSEI's utterance features: three sequence modalities of
T=50 timesteps, audio (74 features, COVAREP), video (35, Facet) and text (768,
BERT), 3,000 samples by default, with lengths drawn uniformly from [10, 50]
(NaN padding after them) and each modality missing in 20% of the samples
(every sample keeps one). Synthetic values: only the shapes matter for timing.

Timing: ``RAMLClassifier`` (default LSTM encoder for 3D input, one LSTM layer
and max-pooling, ``augment="all"``) is fitted for one epoch (warm-up); then
its skorch net trains one epoch at a time (``net_.fit_loop(dataset,
epochs=1)``, the loop ``fit`` runs; the time is the epoch's ``dur`` in the
history), alternating with the bare PyTorch loop of ``benchmarks/_common.py``
that trains a fresh copy of the same module (built by the estimator's
``_build_module``) on the same tensors:
same batch size, random batch order, the same calls (``module.encode``,
``expand_patterns(mask, "all")``, ``module.losses``, backward, Adam step).
Alternating epoch by epoch lets both see the same machine load; the medians
and the median of the per-epoch ratios are reported.

Also (``--micro``): forward+backward time of one LSTMEncoder batch, padded and
trimmed (the implementation), padded untrimmed, and ``pack_padded_sequence``.

Run from the repository root, e.g.::

    python benchmarks/bench_sequences.py                      # CPU, 1 thread, ~3 min
    python benchmarks/bench_sequences.py --device cuda

Results go to benchmarks/results/sequences_<device>.{txt,json} (``--quick``: a smoke
run in the temp folder).
"""

import argparse
import os
import platform
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import BareLoop, environment, sync, write_results  # noqa: E402

from skmm import ModalityDropout, RAMLClassifier  # noqa: E402
from skmm._batching import TensorData  # noqa: E402
from skmm._data import validate_multimodal  # noqa: E402
from skmm._training import resolve_device  # noqa: E402
from skmm.nn import LSTMEncoder  # noqa: E402

MODALITIES = {"audio": 74, "video": 35, "text": 768}  # CMU-MOSEI feature sizes


def make_data(n, t, missing_rate, seed):
    """Synthetic MOSEI-shaped sequences with NaN padding and missing modalities."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    X = {}
    for name, d in MODALITIES.items():
        x = rng.randn(n, t, d).astype(np.float32) + 0.1 * y[:, None, None]
        x[np.arange(t) >= rng.randint(10, t + 1, n)[:, None]] = np.nan  # padding
        X[name] = x
    return ModalityDropout(missing_rate, random_state=seed).corrupt(X), y


def micro_lstm(device, d=74, hidden=128, b=128, t=50, reps=5):
    """ms per forward+backward of one LSTMEncoder batch, three ways."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    from skmm.nn.encoders import _masked_max, _sequence_mask, _zero_missing

    class Packed(LSTMEncoder):
        def forward(self, x, lengths=None):
            x, eff, valid, present = _sequence_mask(x, lengths, self.trim)
            packed = pack_padded_sequence(x, eff.cpu(), batch_first=True, enforce_sorted=False)
            h, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True,
                                       total_length=x.shape[1])
            return _zero_missing(_masked_max(h, valid), present)

    torch.manual_seed(0)
    variants = {
        "padded, trimmed (used)": LSTMEncoder(d, hidden).to(device),
        "padded, untrimmed": LSTMEncoder(d, hidden, trim=False).to(device),
        "pack_padded_sequence": Packed(d, hidden).to(device),
    }
    out = {}
    for longest in (t, 30):
        x = torch.randn(b, t, d, device=device)
        lengths = torch.randint(10, longest + 1, (b,), device=device)
        for name, enc in variants.items():
            for _ in range(2):
                enc(x, lengths).sum().backward()
            sync(device)
            t0 = time.perf_counter()
            for _ in range(reps):
                enc(x, lengths).sum().backward()
            sync(device)
            out[f"longest {longest}: {name}"] = 1000 * (time.perf_counter() - t0) / reps
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--n-samples", type=int, default=3000)
    parser.add_argument("--timesteps", type=int, default=50)
    parser.add_argument("--hidden", type=int, default=128, help="LSTM width (hidden_sizes)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs of each")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-micro", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 200 samples, T=10, 2 epochs, no micro, temp folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.timesteps, args.epochs, args.no_micro = 200, 12, 2, True
        args.out = os.path.join(tempfile.mkdtemp(prefix="skmm_bench_"), "sequences")
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    start = time.time()

    X, y = make_data(args.n_samples, args.timesteps, 0.2, seed=0)
    # One fit epoch (warm-up), then skorch's own training loop one epoch at a time,
    # alternating with the bare loop so that both see the same machine load.
    clf = RAMLClassifier(
        hidden_sizes=(args.hidden,),
        latent_dim=128,
        batch_size=args.batch_size,
        max_epochs=1,
        device=device,
        random_state=0,
    ).fit(X, y)
    assert all(isinstance(e, LSTMEncoder) for e in clf.net_.module_.encoders)
    data = validate_multimodal(clf, X, reset=False)
    dataset = TensorData.from_arrays(data, np.searchsorted(clf.classes_, y), device)
    bare = BareLoop(clf, X, y, device)
    bare.epoch()  # warm-up
    skmm_times, bare_times = [], []
    for e in range(args.epochs):
        clf.net_.fit_loop(dataset, epochs=1)
        skmm_times.append(clf.net_.history[-1, "dur"])
        bare_times.append(bare.epoch())
        print(f"epoch {e}: skmm {skmm_times[-1]:.2f} s, bare {bare_times[-1]:.2f} s", flush=True)
    skmm_epoch, bare_epoch = float(np.median(skmm_times)), float(np.median(bare_times))
    paired = float(np.median(np.array(skmm_times) / np.array(bare_times)))

    micro = {} if args.no_micro else micro_lstm(device)
    lines = [
        "Sequence modalities: RAMLClassifier (LSTM encoders) vs a bare PyTorch loop",
        f"device {device}, torch {torch.__version__}, {args.threads} thread(s), "
        f"{platform.machine()}, load average at start {os.getloadavg()[0]:.1f}",
        f"data: {args.n_samples} samples, T={args.timesteps}, modalities "
        + ", ".join(f"{k} d={d}" for k, d in MODALITIES.items())
        + ", lengths U[10, T], 20% missing per modality",
        f"model: one-layer LSTM width {args.hidden} + max-pool per modality, latent 128, "
        f"augment='all' (7 patterns), batch {args.batch_size}",
        f"time per epoch (median of {args.epochs} epochs each, alternating, after one "
        "warm-up epoch each):",
        f"  RAMLClassifier (skorch loop)  {skmm_epoch:8.3f} s",
        f"  bare PyTorch loop             {bare_epoch:8.3f} s",
        f"  ratio of medians              {skmm_epoch / bare_epoch:8.3f}",
        f"  median of per-epoch ratios    {paired:8.3f}",
    ]
    if micro:
        lines.append(
            f"LSTMEncoder forward+backward, one batch of {128} (d=74, width 128, T=50, "
            "lengths U[10, longest]), ms:"
        )
        lines += [f"  {k:40s} {v:8.1f}" for k, v in micro.items()]
    lines.append(f"total benchmark time {time.time() - start:.0f} s")
    text = "\n".join(lines)
    print(text)

    out = args.out or f"sequences_{device.split(':')[0]}"
    paths = write_results(
        out,
        dict(
            args=vars(args), device=device, torch=torch.__version__, environment=environment(),
            skmm_epoch_s=skmm_epoch, bare_epoch_s=bare_epoch,
            ratio=skmm_epoch / bare_epoch, paired_ratio=paired, skmm_epochs_s=skmm_times,
            bare_epochs_s=bare_times, micro_ms=micro,
        ),
        text, ext=".txt",
    )
    print("wrote", *paths)

if __name__ == "__main__":
    main()
