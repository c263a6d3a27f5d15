"""The ``skmm`` command.

``skmm benchmark`` trains multimodal classifiers (or regressors, on a
regression data set) and prints how they hold up when modalities are missing
or corrupted at test time::

    skmm benchmark                                  # embedded digits, default estimators
    skmm benchmark --dataset uci --data-home DIR    # UCI Multiple Features
    skmm benchmark --dataset my_data.npz --estimators raml,concat --plot out.png
    skmm benchmark --dataset diabetes               # regressors: R² and MAE tables

Also available as ``python -m skmm``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
import warnings

import numpy as np

__all__ = ["main"]


@functools.cache
def _cli_estimators(task="classifier"):
    """Command-line name -> (public class name in skmm, extra parameters, description):
    :func:`skmm.utils.estimator_presets`. The two tasks have one table each (the
    data set decides which one ``--estimators`` reads). Built on first use
    (``skmm.cli.ESTIMATORS``, the classifiers), since finding the estimators
    imports torch: ``skmm --version`` and argument errors stay fast.
    """
    from skmm.utils import estimator_presets

    return {
        key: (cls.__name__, params, description)
        for key, (cls, params, description) in estimator_presets(task).items()
    }


def __getattr__(name):
    if name == "ESTIMATORS":
        return _cli_estimators()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Placeholders of the estimator lists in the benchmark's help, filled when it is shown.
_ESTIMATOR_LIST = "<estimators>"
_REGRESSOR_LIST = "<regressors>"


def _estimator_help(task):
    estimators = _cli_estimators(task)
    width = max(map(len, estimators))
    return "\n".join(
        f"  {k.ljust(width)}  {v[2]} ({v[0]}{_fmt_params(v[1])})"
        for k, v in estimators.items()
    )


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Puts the estimator lists in the help only when the help is shown."""

    def add_text(self, text):
        if text and _ESTIMATOR_LIST in text:
            text = text.replace(_ESTIMATOR_LIST, _estimator_help("classifier"))
        if text and _REGRESSOR_LIST in text:
            text = text.replace(_REGRESSOR_LIST, _estimator_help("regressor"))
        super().add_text(text)

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
skmm: scikit-learn estimators for multimodal classification and regression on
imperfect data (missing or corrupted modalities).
"""
_EPILOG = "Run 'skmm benchmark --help' for the options of the benchmark."

_BENCHMARK_DESCRIPTION = """\
Train multimodal classifiers (or regressors) and measure their robustness.

The data set is split into a training and test part (stratified for
classification), and every modality is standardized on the training part
(PerModality(StandardScaler())). Each estimator is trained once on the clean
training data and then scored on the test data (classifiers: accuracy;
regressors: R² and mean absolute error, in the target's units):

  * missing-modality patterns: for every non-empty subset of modalities, the
    test set with only those modalities present (the others set to NaN rows);
    the last row is the average over all patterns;
  * noise: Gaussian noise of each std in --noise-levels added to one
    modality at a time (standardized units); modalities missing in the test
    set stay missing.

The protocol is skmm.evaluation.robustness_report; progress bars (on stderr)
appear only when stderr is a terminal.

Classification data sets: 'digits' (default; scikit-learn's 8x8 digits split
into the top and bottom halves and the projection profiles, no download), 'uci'
(UCI Multiple Features, six views, downloaded to --data-home on first use).
Regression data sets (the regressors below are trained instead): 'diabetes'
(scikit-learn's diabetes data, demographics and serum, no download),
'california' (California housing by location, house and people, read from or
downloaded to --data-home). Or the path of a .npz file of named arrays: 'y'
holds the labels (or a continuous target: a regression) and every other array
is a modality (2D, or 3D for a sequence), with NaN rows for missing modalities.
"""

#: --dataset names of the regression data sets.
_REGRESSION_DATASETS = ("diabetes", "california")


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
    """Names, checked against the table of the data set's task once it is known."""
    names = [v.strip() for v in text.split(",") if v.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"no estimator in {text!r}")
    return list(dict.fromkeys(names))


def _check_estimators(names, task, parser):
    known = _cli_estimators(task)
    unknown = [n for n in names if n not in known]
    if unknown:
        what = "regressor" if task == "regressor" else "estimator"
        parser.error(
            f"argument --estimators: unknown {what}(s) {unknown!r}; choose from "
            f"{', '.join(known)}"
        )


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


def _check_output_path(path, option, parser, extensions=None):
    """Fail before any training when an output file cannot be written: a usage error
    (exit status 2) naming the path."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        parser.error(f"argument {option}: {path!r} is a directory; give a file name")
    if not os.path.isdir(folder):
        parser.error(
            f"argument {option}: cannot write {path!r}: the directory {folder!r} does not exist"
        )
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        parser.error(f"argument {option}: cannot write {path!r}: permission denied")
    ext = os.path.splitext(path)[1][1:].lower()
    if extensions is not None and ext and ext not in extensions:
        parser.error(
            f"argument {option}: cannot save a figure as {path!r}: matplotlib does not know "
            f"the extension {ext!r} (use one of {', '.join(sorted(extensions))})"
        )


def _convergence_note(message):
    """A ConvergenceWarning of an estimator, shortened to a clause of the summary line."""
    found = re.match(r"(\w+): max_epochs=(\d+) ended training before it converged", message)
    if found:
        return f"{found[1]} reached max_epochs={found[2]} before converging"
    found = re.match(
        r"(\w+) did not learn: in (\d+) epochs its best (\S+) was (\S+), where a constant "
        r"prediction scores (\S+?)\.(?:\s|$)", message,
    )
    if found:
        return (f"{found[1]} did not learn in {found[2]} epochs (best {found[3]} "
                f"{found[4]}; a constant prediction scores {found[5]})")
    return message.split(". ")[0].rstrip(".")


def _training_notes(caught, quick, names=()):
    """The warnings caught while training, as lines of the command's own output: the
    ConvergenceWarnings in one line, then one line per other warning of a trained
    estimator (its message starts with a class name in ``names``), shortened to its
    first sentence (the rest advises on parameters that the command does not expose).
    Any other warning is issued again, to the filters in force."""
    from sklearn.exceptions import ConvergenceWarning

    notes, others = [], []
    for w in caught:
        message = str(w.message)
        if issubclass(w.category, ConvergenceWarning):
            notes.append(_convergence_note(message))
        elif message.split(":")[0].split(" ")[0] in names:
            others.append("Note: " + message.split(". ")[0].rstrip(".") + ".")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    lines = []
    if notes:
        advice = ("--quick trains briefly on purpose" if quick
                  else "more epochs (--max-epochs) may score higher")
        lines.append(f"Convergence: {'; '.join(dict.fromkeys(notes))} ({advice}).")
    return lines + list(dict.fromkeys(others))


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
    epilog = "estimators (classification):\n" + _ESTIMATOR_LIST
    epilog += "\n\nestimators (regression: diabetes, california, .npz with a continuous y):\n"
    epilog += _REGRESSOR_LIST
    epilog += (
        "\n\nexamples:\n"
        "  skmm benchmark --quick\n"
        "  skmm benchmark --dataset uci --data-home ~/data --estimators raml,concat "
        "--plot uci.png\n"
        "  skmm benchmark --dataset my_data.npz --device auto --max-epochs 50\n"
        "  skmm benchmark --dataset california --data-home ~/data --estimators raml,concat"
    )
    bench = sub.add_parser(
        "benchmark",
        help="train classifiers or regressors and score them with every missing-modality "
        "pattern and with Gaussian noise on each modality",
        description=_BENCHMARK_DESCRIPTION,
        epilog=epilog,
        formatter_class=_HelpFormatter,
    )
    bench.add_argument(
        "--dataset",
        default="digits",
        metavar="{digits,uci,diabetes,california,PATH.npz}",
        help="data set to use (default: digits); diabetes and california are regression "
        "data sets",
    )
    bench.add_argument(
        "--data-home",
        default=None,
        metavar="DIR",
        help="cache folder of the 'uci' and 'california' data sets (default: scikit-learn's "
        "data home)",
    )
    bench.add_argument(
        "--estimators",
        type=_estimator_list,
        default=DEFAULT_ESTIMATORS,  # a string: argparse converts it with `type` when used
        metavar="LIST",
        help="comma-separated estimators, listed below (classifiers or regressors, by the "
        f"data set; default: {DEFAULT_ESTIMATORS})",
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
        default=1,
        metavar="N",
        help="torch CPU threads of each estimator (its n_threads; default: 1, the estimators' "
        "default: several threads gain little on these small networks and lose much on a "
        "busy machine)",
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
        "--no-progress", action="store_true",
        help="hide the progress bars (on stderr; shown only when stderr is a terminal)",
    )
    bench.set_defaults(command_parser=bench)
    return parser


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def _task_of(y):
    """``"regressor"`` for a continuous target (scikit-learn's ``type_of_target``), else
    ``"classifier"``."""
    from sklearn.utils.multiclass import type_of_target

    try:
        kind = type_of_target(y)
    except ValueError:
        return "classifier"  # let the classifiers report what is wrong with the labels
    return "regressor" if kind.startswith("continuous") else "classifier"


def _load_dataset(args, parser):
    """``(name, X, y, task)`` for ``--dataset``; ``task``: ``"classifier"`` or
    ``"regressor"``."""
    from skmm.datasets import (
        fetch_california_housing_multimodal,
        fetch_multiple_features,
        load_diabetes_multimodal,
        load_digits_multimodal,
    )

    name = args.dataset
    if name == "digits":
        X, y = load_digits_multimodal(return_X_y=True)
        return "digits (scikit-learn, 3 views)", X, y, "classifier"
    if name == "uci":
        try:
            X, y = fetch_multiple_features(data_home=args.data_home, return_X_y=True)
        except OSError as exc:
            parser.error(f"could not load the UCI Multiple Features data set: {exc}")
        return "UCI Multiple Features (6 views)", X, y, "classifier"
    if name == "diabetes":
        X, y = load_diabetes_multimodal(return_X_y=True)
        return "diabetes (scikit-learn, 2 modalities)", X, y, "regressor"
    if name == "california":
        try:
            X, y = fetch_california_housing_multimodal(data_home=args.data_home,
                                                       return_X_y=True)
        except OSError as exc:
            parser.error(f"could not load the California housing data set: {exc}")
        return "California housing (3 modalities, target in $100,000)", X, y, "regressor"
    if not os.path.isfile(name):
        parser.error(
            f"--dataset {name!r} is neither 'digits', 'uci', 'diabetes', 'california' nor an "
            "existing .npz file"
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
    from skmm._data import check_multimodal

    try:
        X = MultimodalData(arrays)
        # Checked here, on the whole file, so that errors give the file's row numbers.
        check_multimodal(X, dtype=None)
    except (ValueError, TypeError) as exc:
        parser.error(f"{name!r} (rows are numbered from 0 in the file): {exc}")
    if len(y) != len(X):
        parser.error(f"{name!r}: 'y' has {len(y)} labels but the modalities have {len(X)} rows")
    return f"{os.path.basename(name)} ({len(arrays)} modalities)", X, y, _task_of(y)


# ---------------------------------------------------------------------------
# Estimators and progress
# ---------------------------------------------------------------------------


def _make_estimator(key, args, show_progress, task="classifier"):
    import skmm

    class_name, extra, _ = _cli_estimators(task)[key]
    estimator = getattr(skmm, class_name)()
    accepted = estimator.get_params(deep=False)
    params = dict(extra, random_state=args.seed, device=args.device, n_threads=args.threads)
    if args.quick:
        params.update({k: v for k, v in _QUICK_PARAMS.items() if k in accepted})
    if args.max_epochs is not None:
        params["max_epochs"] = args.max_epochs
    if show_progress and "callbacks" in accepted:
        params["callbacks"] = [_epoch_callback(f"{key}: training")]
    return estimator.set_params(**params)


def _epoch_callback(desc):
    """A skorch callback showing a bar of the training epochs (created at train begin)."""
    from skorch.callbacks import Callback

    class _EpochBar(Callback):
        def __init__(self, desc):
            self.desc = desc

        def on_train_begin(self, net, **kwargs):
            from tqdm.auto import tqdm

            self.bar_ = tqdm(total=net.max_epochs, desc=self.desc, unit="epoch",
                             file=sys.stderr, leave=False)

        def on_epoch_end(self, net, **kwargs):
            self.bar_.update(1)
            loss = net.history[-1].get("train_loss")
            if loss is not None:
                self.bar_.set_postfix(loss=f"{loss:.3f}")

        def on_train_end(self, net, **kwargs):
            self.bar_.close()

    return _EpochBar(desc)


def _environment(args, estimators):
    """Settings and package versions recorded in the JSON output."""
    import platform

    import sklearn
    import skorch
    import torch

    import skmm
    from skmm._training import resolve_device

    return {
        "epochs": {k: est.get_params().get("max_epochs") for k, est in estimators.items()},
        "threads": args.threads,
        "device": args.device,
        "device_used": str(resolve_device(args.device)),
        "test_size": args.test_size,
        "noise_levels": args.noise_levels,
        "versions": {
            "skmm": skmm.__version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "skorch": skorch.__version__,
            "torch": torch.__version__,
        },
    }


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


def _by_estimator(table, keys, column="score"):
    """A report table's ``column`` per estimator, as ``{name: float array}``."""
    from skmm._tables import _columns

    cols = _columns(table)
    return {k: cols[column][cols["estimator"] == k].astype(float) for k in keys}, cols


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
        from matplotlib.backend_bases import FigureCanvasBase

        _check_output_path(args.plot, "--plot", parser,
                           extensions=set(FigureCanvasBase.get_supported_filetypes()))
    if args.json is not None:  # checked before the training, which takes minutes
        _check_output_path(args.json, "--json", parser)
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from skmm import PerModality
    from skmm._data import check_multimodal
    from skmm._training import resolve_device
    from skmm.evaluation import robustness_report, summarize_by_size

    try:
        resolve_device(args.device)
    except (ValueError, TypeError, RuntimeError) as exc:
        parser.error(f"--device: {exc}")

    title, X, y, task = _load_dataset(args, parser)
    keys = list(args.estimators)
    _check_estimators(keys, task, parser)
    regression = task == "regressor"
    stratify = None if regression else y
    if args.quick and len(y) > _QUICK_SAMPLES:
        keep, _ = train_test_split(
            np.arange(len(y)), train_size=_QUICK_SAMPLES, stratify=stratify,
            random_state=args.seed,
        )
        X, y = X[np.sort(keep)], y[np.sort(keep)]
        stratify = None if regression else y
    train, test = train_test_split(
        np.arange(len(y)), test_size=args.test_size, stratify=stratify, random_state=args.seed
    )
    X_test, y_test = X[test], y[test]
    modalities = list(X)
    shapes = ", ".join(f"{k} {v.shape[1:]}" for k, v in X.items())
    if regression:
        n_outputs = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        target = f"a continuous target ({n_outputs} output{'s' * (n_outputs > 1)})"
    else:
        target = f"{len(np.unique(y))} classes"
    print(f"Data set: {title}: {len(y)} samples, {target}")
    print(f"Modalities: {shapes}")
    print(
        f"Split: {len(train)} training / {len(test)} test samples (seed {args.seed})"
        + (" [--quick: small networks and few epochs, the scores are not meaningful]"
           if args.quick else "")
    )
    show_progress = not args.no_progress and sys.stderr.isatty()
    estimators = {k: _make_estimator(k, args, show_progress, task) for k in keys}
    # (column of the report, name in the output, key in the JSON, sign): a regressor is
    # scored with R² and the mean absolute error (scikit-learn's scorer is its negative).
    if regression:
        scoring = {"r2": "r2", "mae": "neg_mean_absolute_error"}
        metrics = [("score_r2", "R²", "r2", 1.0),
                   ("score_mae", "mean absolute error", "mae", -1.0)]
    else:
        scoring, metrics = None, [("score", "accuracy", None, 1.0)]
    # Each modality standardized on the training split (missing rows stay NaN), before
    # the noise: the noise stds are in standardized units.
    # The estimators' warnings become lines of the output (below), not raw warnings:
    # every warning is recorded here, and those of no trained estimator issued again.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = robustness_report(
            estimators, X[train], y[train], X_test, y_test,
            preprocess=PerModality(StandardScaler()), noise_levels=args.noise_levels,
            random_state=args.seed, progress=show_progress, scoring=scoring,
        )
    notes = _training_notes(caught, args.quick, {type(e).__name__ for e in estimators.values()})

    pattern_scores, averages, noise_scores = {}, {}, {}
    for column, _, _, sign in metrics:
        scores, cols = _by_estimator(report["missing_patterns"], keys, column)
        pattern_scores[column] = {k: sign * v for k, v in scores.items()}
        averages[column] = {}
        for k in keys:
            mine = {c: v[cols["estimator"] == k] for c, v in cols.items()}
            averages[column][k] = sign * float(
                np.asarray(summarize_by_size(mine)[column], dtype=float)[-1])
        scores, noise_cols = _by_estimator(report["noise"], keys, column)
        noise_scores[column] = {k: sign * v for k, v in scores.items()}
    first = cols["estimator"] == keys[0]
    patterns, counts = list(cols["pattern"][first]), cols["n_samples"][first].astype(int)
    noise_rows_of = noise_cols["estimator"] == keys[0]
    noise_index = list(zip(noise_cols["modality"][noise_rows_of],
                           noise_cols["std"][noise_rows_of].astype(float)))
    fit_times, _ = _by_estimator(report["fit_time"], keys, "fit_time_s")
    fmt = "{:.3f}".format
    # Show how many test samples each pattern scores when the test set has missing values.
    all_present = bool(check_multimodal(X_test).mask.all())
    show_counts = not all_present
    header = ["modalities"] + (["n"] if show_counts else []) + keys
    where = (
        "all present" if all_present
        else "the test set's own missing modalities stay missing"
    )
    for column, metric, _, _ in metrics:
        rows = [
            ["+".join(p)]
            + ([str(c)] if show_counts else [])
            + [fmt(pattern_scores[column][k][i]) for k in keys]
            for i, (p, c) in enumerate(zip(patterns, counts))
        ]
        rows.append(["average"] + ([""] if show_counts else [])
                    + [fmt(averages[column][k]) for k in keys])
        print(f"\nTest {metric} with only the listed modalities present ({len(test)} samples):")
        print(_table(header, rows))
    for column, metric, _, _ in metrics:
        print(f"\nTest {metric} with Gaussian noise of std s on one modality ({where}):")
        noise_rows = [
            [m, f"{level:g}"] + [fmt(noise_scores[column][k][i]) for k in keys]
            for i, (m, level) in enumerate(noise_index)
        ]
        print(_table(["noisy modality", "s"] + keys, noise_rows))
    print("\nTraining time (s): " + ", ".join(f"{k} {fit_times[k][0]:.1f}" for k in keys))
    for line in notes:
        print(line)
    if args.quick:
        print("[--quick] smoke-test settings: these numbers are not meaningful.")
    if args.plot is not None:
        from skmm.plotting import plot_robustness_report

        column, metric = metrics[0][:2]
        fig = plot_robustness_report(report, title=f"{title}, test {metric}",
                                     score=None if column == "score" else column)
        fig.savefig(args.plot, dpi=100)
        print(f"Figure saved to {args.plot}")
    if args.json is not None:

        def per_estimator(scores, i):
            if not regression:
                return {k: float(scores["score"][k][i]) for k in keys}
            return {k: {name: float(scores[c][k][i]) for c, _, name, _ in metrics}
                    for k in keys}

        result = {
            "dataset": title,
            "task": "regression" if regression else "classification",
            "metrics": [name for _, _, name, _ in metrics] if regression else ["accuracy"],
            "modalities": modalities,
            "n_train": len(train),
            "n_test": len(test),
            "seed": args.seed,
            "quick": args.quick,
            "estimators": keys,
            **_environment(args, estimators),
            "missing_patterns": [
                {
                    "modalities": list(p),
                    "n_samples": int(c),
                    **per_estimator(pattern_scores, i),
                }
                for i, (p, c) in enumerate(zip(patterns, counts))
            ],
            "average": (
                {k: {name: averages[c][k] for c, _, name, _ in metrics} for k in keys}
                if regression else averages["score"]
            ),
            "noise_all_present": all_present,
            "noise": [
                {"modality": str(m), "std": level, **per_estimator(noise_scores, i)}
                for i, (m, level) in enumerate(noise_index)
            ],
            "fit_time_s": {k: float(fit_times[k][0]) for k in keys},
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
