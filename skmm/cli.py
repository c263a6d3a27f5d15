"""The ``skmm`` command.

``skmm benchmark`` trains multimodal classifiers on a data set and prints how
they hold up when modalities are missing or corrupted at test time::

    skmm benchmark                                  # embedded digits, all four methods
    skmm benchmark --dataset uci --data-home DIR    # UCI Multiple Features
    skmm benchmark --dataset my_data.npz --estimators raml,concat --plot out.png

Also available as ``python -m skmm``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

__all__ = ["main"]

#: Command-line name -> (public class name in skmm, extra parameters, description).
ESTIMATORS = {
    "raml": ("RAMLClassifier", {}, "RAML, redundancy-adaptive fusion"),
    "redcore": ("RedCoreClassifier", {}, "RedCore, cross-modal imputation"),
    "concat": ("ConcatFusionClassifier", {}, "concatenation fusion"),
    "concat-aug": (
        "ConcatFusionClassifier",
        {"augment": "all"},
        "concatenation fusion, trained with missing-pattern augmentation",
    ),
    "late": ("LateFusionClassifier", {}, "late fusion (mean of unimodal softmaxes)"),
    "tmc": (
        "TrustedFusionClassifier",
        {"combine": "dempster"},
        "trusted fusion, Dempster's rule (TMC)",
    ),
    "rcml": (
        "TrustedFusionClassifier",
        {"combine": "average"},
        "trusted fusion, evidence averaging (RCML)",
    ),
}
DEFAULT_ESTIMATORS = "raml,redcore,concat,late"
DEFAULT_NOISE = "0,0.5,1,2"

#: Small networks and few epochs for smoke tests (``--quick``); set where the
#: estimator has the parameter.
_QUICK_PARAMS = {
    "max_epochs": 5,
    "lr": 1e-2,  # RedCore's paper rate, 2e-4, barely moves in 5 epochs
    "hidden_sizes": (32,),
    "latent_dim": 16,
    "cross_hidden_sizes": (32,),
    "decoder_hidden_sizes": (),
    "classifier_hidden": 32,
    "batch_size": 32,
}
_QUICK_SAMPLES = 400

_DESCRIPTION = """\
skmm: scikit-learn estimators for multimodal classification on imperfect data
(missing or corrupted modalities).
"""
_EPILOG = "Run 'skmm benchmark --help' for the options of the benchmark."

_BENCHMARK_DESCRIPTION = """\
Train multimodal classifiers and measure their robustness.

The data set is split into a stratified training and test part, and every
modality is standardized on the training part (PerModality(StandardScaler())).
Each estimator is trained once on the clean training data and then scored
(accuracy) on the test data:

  * missing-modality patterns: for every non-empty subset of modalities, the
    test set with only those modalities present (the others set to NaN rows);
    the last row is the average over all patterns;
  * noise: Gaussian noise of each std in --noise-levels added to one
    modality at a time (standardized units), all modalities present.

Data sets: 'digits' (default; scikit-learn's 8x8 digits split into the top and
bottom halves and the projection profiles, no download), 'uci' (UCI Multiple
Features, six views, downloaded to --data-home on first use), or the path of a
.npz file of named arrays: 'y' holds the labels and every other array is a
modality (2D, or 3D for a sequence), with NaN rows for missing modalities.
"""


# ---------------------------------------------------------------------------
# Argument parsing
# ---------------------------------------------------------------------------


def _csv_floats(text):
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected non-negative numbers, got {text!r}")
    return values


def _estimator_list(text):
    names = [v.strip() for v in text.split(",") if v.strip()]
    unknown = [n for n in names if n not in ESTIMATORS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown estimator(s) {unknown or text!r}; choose from {', '.join(ESTIMATORS)}"
        )
    return list(dict.fromkeys(names))


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _test_size(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction in (0, 1), got {text!r}")
    return value


def _fmt_params(params):
    return "".join(f", {k}={v!r}" for k, v in params.items())


def _build_parser():
    from skmm import __version__

    parser = argparse.ArgumentParser(
        prog="skmm",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"skmm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>", title="commands")
    width = max(map(len, ESTIMATORS))
    epilog = "estimators:\n" + "\n".join(
        f"  {k.ljust(width)}  {v[2]} ({v[0]}{_fmt_params(v[1])})" for k, v in ESTIMATORS.items()
    )
    epilog += (
        "\n\nexamples:\n"
        "  skmm benchmark --quick\n"
        "  skmm benchmark --dataset uci --data-home ~/data --estimators raml,concat "
        "--plot uci.png\n"
        "  skmm benchmark --dataset my_data.npz --device auto --max-epochs 50"
    )
    bench = sub.add_parser(
        "benchmark",
        help="train classifiers and score them with every missing-modality pattern and "
        "with Gaussian noise on each modality",
        description=_BENCHMARK_DESCRIPTION,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument(
        "--dataset",
        default="digits",
        metavar="{digits,uci,PATH.npz}",
        help="data set to use (default: digits)",
    )
    bench.add_argument(
        "--data-home",
        default=None,
        metavar="DIR",
        help="cache folder of the 'uci' data set (default: scikit-learn's data home)",
    )
    bench.add_argument(
        "--estimators",
        type=_estimator_list,
        default=_estimator_list(DEFAULT_ESTIMATORS),
        metavar="LIST",
        help=f"comma-separated estimators, listed below (default: {DEFAULT_ESTIMATORS})",
    )
    bench.add_argument(
        "--test-size",
        type=_test_size,
        default=0.3,
        metavar="FRACTION",
        help="share of the samples held out for scoring (default: 0.3)",
    )
    bench.add_argument(
        "--noise-levels",
        type=_csv_floats,
        default=_csv_floats(DEFAULT_NOISE),
        metavar="LIST",
        help=f"comma-separated noise stds, in standardized units (default: {DEFAULT_NOISE})",
    )
    bench.add_argument(
        "--max-epochs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="training epochs of every estimator (default: each estimator's own, or "
        f"{_QUICK_PARAMS['max_epochs']} with --quick)",
    )
    bench.add_argument(
        "--device",
        default="cpu",
        help="'cpu', 'cuda', 'cuda:N' or 'auto' (a GPU when there is one); default: cpu",
    )
    bench.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        metavar="N",
        help="number of torch CPU threads (default: torch's own choice; on a small or busy "
        "machine, 1 is often much faster)",
    )
    bench.add_argument(
        "--seed", type=int, default=0, help="seed of the split, the training and the noise"
    )
    bench.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke-test settings: at most {_QUICK_SAMPLES} samples, small networks, "
        f"{_QUICK_PARAMS['max_epochs']} epochs",
    )
    bench.add_argument(
        "--plot",
        default=None,
        metavar="OUT.png",
        help="also save a figure of both tables (needs matplotlib)",
    )
    bench.add_argument(
        "--json",
        default=None,
        metavar="OUT.json",
        help="also save the scores and settings as JSON",
    )
    bench.add_argument(
        "--no-progress", action="store_true", help="hide the progress bars (on stderr)"
    )
    bench.set_defaults(command_parser=bench)
    return parser


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def _load_dataset(args, parser):
    """``(name, X, y)`` for ``--dataset``."""
    from skmm.datasets import fetch_multiple_features, load_digits_multimodal

    name = args.dataset
    if name == "digits":
        X, y = load_digits_multimodal(return_X_y=True)
        return "digits (scikit-learn, 3 views)", X, y
    if name == "uci":
        try:
            X, y = fetch_multiple_features(data_home=args.data_home, return_X_y=True)
        except OSError as exc:
            parser.error(f"could not load the UCI Multiple Features data set: {exc}")
        return "UCI Multiple Features (6 views)", X, y
    if not os.path.isfile(name):
        parser.error(
            f"--dataset {name!r} is neither 'digits', 'uci' nor an existing .npz file"
        )
    try:
        with np.load(name, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as exc:
        parser.error(f"could not read {name!r} as a .npz file: {exc}")
    if "y" not in arrays:
        parser.error(f"{name!r} has no array named 'y' (found: {sorted(arrays)})")
    y = arrays.pop("y")
    if not arrays:
        parser.error(f"{name!r} holds only 'y': every other array is a modality, none found")
    from skmm import MultimodalData

    try:
        X = MultimodalData(arrays)
    except ValueError as exc:
        parser.error(f"{name!r}: {exc}")
    return f"{os.path.basename(name)} ({len(arrays)} modalities)", X, y


# ---------------------------------------------------------------------------
# Estimators and progress
# ---------------------------------------------------------------------------


def _make_estimator(key, args, callbacks):
    import skmm

    class_name, extra, _ = ESTIMATORS[key]
    estimator = getattr(skmm, class_name)()
    accepted = estimator.get_params(deep=False)
    params = dict(extra, random_state=args.seed, device=args.device)
    if args.quick:
        params.update({k: v for k, v in _QUICK_PARAMS.items() if k in accepted})
    if args.max_epochs is not None:
        params["max_epochs"] = args.max_epochs
    if "callbacks" in accepted:
        params["callbacks"] = callbacks
    return estimator.set_params(**params)


def _epoch_callback(bar):
    """A skorch callback advancing ``bar`` once per training epoch."""
    from skorch.callbacks import Callback

    class _EpochBar(Callback):
        def on_epoch_end(self, net, **kwargs):
            bar.update(1)
            loss = net.history[-1].get("train_loss")
            if loss is not None:
                bar.set_postfix(loss=f"{loss:.3f}")

    return _EpochBar()


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def _table(header, rows):
    """Plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r, row in enumerate([header, *rows]):
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(c).rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if r == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _plot(path, pattern_tables, noise_tables):
    """Save a figure: per estimator the pattern scores, per modality the noise curves."""
    from matplotlib.figure import Figure

    from skmm.plotting import plot_pattern_scores, plot_robustness_curve

    keys = list(pattern_tables)
    modalities = list(next(iter(noise_tables.values())))
    n_cols = max(len(keys), len(modalities))
    fig = Figure(figsize=(3.2 * n_cols, 7), layout="constrained")
    axes = fig.subplots(2, n_cols, squeeze=False)
    for j, key in enumerate(keys):
        ax = plot_pattern_scores(pattern_tables[key], ax=axes[0, j])
        ax.tick_params(axis="x", labelrotation=90)
        ax.set_ylim(0, 1)
        ax.set_ylabel("test accuracy")
        ax.set_title(key)
    for j, modality in enumerate(modalities):
        ax = axes[1, j]
        for key in keys:
            plot_robustness_curve(noise_tables[key][modality], ax=ax, label=key)
        ax.set_ylim(0, 1)
        ax.set_ylabel("test accuracy")
        ax.set_xlabel(f"noise std on {modality}")
    for row, used in ((0, len(keys)), (1, len(modalities))):
        for ax in axes[row, used:]:
            ax.set_visible(False)
    fig.savefig(path, dpi=100)


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def _benchmark(args, parser):
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error(
                "--plot needs matplotlib, which is not installed; install it with "
                "'pip install matplotlib' (or 'pip install skmm[plot]')"
            )
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    from tqdm.auto import tqdm

    from skmm import GaussianNoise, PerModality
    from skmm.base import resolve_device
    from skmm.evaluation import corruption_scores, missing_pattern_scores, summarize_by_size

    try:
        resolve_device(args.device)
    except (ValueError, TypeError, RuntimeError) as exc:
        parser.error(f"--device: {exc}")

    title, X, y = _load_dataset(args, parser)
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    if args.quick and len(y) > _QUICK_SAMPLES:
        keep, _ = train_test_split(
            np.arange(len(y)), train_size=_QUICK_SAMPLES, stratify=y, random_state=args.seed
        )
        X, y = X[np.sort(keep)], y[np.sort(keep)]
    train, test = train_test_split(
        np.arange(len(y)), test_size=args.test_size, stratify=y, random_state=args.seed
    )
    # Standardize each modality on the training split (missing rows stay NaN).
    scaler = PerModality(StandardScaler()).fit(X[train])
    X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
    y_train, y_test = y[train], y[test]
    modalities = list(X)
    shapes = ", ".join(f"{k} {v.shape[1:]}" for k, v in X.items())
    out = sys.stdout
    print(f"Data set: {title}: {len(y)} samples, {len(np.unique(y))} classes", file=out)
    print(f"Modalities: {shapes}", file=out)
    print(
        f"Split: {len(train)} training / {len(test)} test samples (seed {args.seed})"
        + (" [--quick]" if args.quick else ""),
        file=out,
    )

    pattern_tables, noise_tables, fit_times = {}, {}, {}
    disable = args.no_progress
    overall = tqdm(
        args.estimators, desc="estimators", unit="est", file=sys.stderr, disable=disable
    )
    for key in overall:
        overall.set_postfix_str(key)
        epochs = tqdm(
            desc=f"{key}: training", unit="epoch", file=sys.stderr, leave=False, disable=disable
        )
        estimator = _make_estimator(key, args, [_epoch_callback(epochs)])
        epochs.total = estimator.get_params()["max_epochs"]
        start = time.perf_counter()
        estimator.fit(X_train, y_train)
        fit_times[key] = time.perf_counter() - start
        epochs.close()
        pattern_tables[key] = missing_pattern_scores(estimator, X_test, y_test)
        noise_tables[key] = {
            modality: corruption_scores(
                estimator,
                X_test,
                y_test,
                GaussianNoise(modalities=modality, random_state=args.seed),
                "std",
                args.noise_levels,
            )
            for modality in modalities
        }
    overall.close()

    keys = list(args.estimators)
    first = pattern_tables[keys[0]]
    patterns = list(first["pattern"])
    counts = np.asarray(first["n_samples"], dtype=int)
    pattern_scores = {k: np.asarray(pattern_tables[k]["score"], dtype=float) for k in keys}
    averages = {
        k: float(np.asarray(summarize_by_size(pattern_tables[k])["score"], dtype=float)[-1])
        for k in keys
    }
    noise_scores = {
        k: {m: np.asarray(noise_tables[k][m]["score"], dtype=float) for m in modalities}
        for k in keys
    }
    fmt = "{:.3f}".format
    # Show how many test samples each pattern scores when the test set has missing values.
    show_counts = bool((counts != len(test)).any())
    header = ["modalities"] + (["n"] if show_counts else []) + keys
    rows = [
        ["+".join(p)]
        + ([str(c)] if show_counts else [])
        + [fmt(pattern_scores[k][i]) for k in keys]
        for i, (p, c) in enumerate(zip(patterns, counts))
    ]
    rows.append(["average"] + ([""] if show_counts else []) + [fmt(averages[k]) for k in keys])
    print(f"\nTest accuracy with only the listed modalities present ({len(test)} samples):")
    print(_table(header, rows))
    print("\nTest accuracy with Gaussian noise of std s on one modality (all present):")
    noise_rows = [
        [m, f"{level:g}"] + [fmt(noise_scores[k][m][i]) for k in keys]
        for m in modalities
        for i, level in enumerate(args.noise_levels)
    ]
    print(_table(["noisy modality", "s"] + keys, noise_rows))
    print("\nTraining time (s): " + ", ".join(f"{k} {fit_times[k]:.1f}" for k in keys))
    if args.plot is not None:
        _plot(args.plot, pattern_tables, noise_tables)
        print(f"Figure saved to {args.plot}")
    if args.json is not None:
        result = {
            "dataset": title,
            "modalities": modalities,
            "n_train": len(train),
            "n_test": len(test),
            "seed": args.seed,
            "quick": args.quick,
            "estimators": keys,
            "missing_patterns": [
                {
                    "modalities": list(p),
                    "n_samples": int(c),
                    **{k: float(pattern_scores[k][i]) for k in keys},
                }
                for i, (p, c) in enumerate(zip(patterns, counts))
            ],
            "average": averages,
            "noise": [
                {
                    "modality": m,
                    "std": level,
                    **{k: float(noise_scores[k][m][i]) for k in keys},
                }
                for m in modalities
                for i, level in enumerate(args.noise_levels)
            ],
            "fit_time_s": fit_times,
        }
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"Scores saved to {args.json}")
    return 0


def main(argv=None):
    """Entry point of the ``skmm`` command.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments without the program name; ``None`` reads
        ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status (0 on success).
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return _benchmark(args, args.command_parser)
