"""Encoder widths: every estimator with its defaults but ``hidden_sizes``, over seeds.

For each data set, width and seed, the test accuracy of each estimator with
every other parameter at its default (``random_state`` = the seed). The data
sets and splits are those of ``bench_defaults.py`` (``load_dataset``); by
default the two real sets with room above a linear model, where depth could
matter: ``mfeat-fzm`` (three of UCI Multiple Features' six views, 1,600
training rows; a logistic regression on them scores about 89%) and
``digits-300`` (300 training rows of ``load_digits_multimodal``).

    python benchmarks/bench_widths.py                            # 256,256 vs 256, 3 seeds
    python benchmarks/bench_widths.py --datasets gen-5000-100 --widths 256 512 --seeds 0
    python benchmarks/bench_widths.py --quick                    # smoke run (temp folder)

Writes ``benchmarks/results/widths.{json,md}`` (``--out``) after every fit.
"""

import argparse
import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import DEFAULT_UCI_HOME, environment, markdown_table, write_results  # noqa: E402
from bench_defaults import ESTIMATORS, fit_default, load_dataset  # noqa: E402


def _width(text):
    return tuple(int(w) for w in text.split(","))


def to_markdown(payload):
    widths = [tuple(w) for w in payload["widths"]]
    acc = {}
    for r in payload["results"]:
        acc.setdefault((r["dataset"], r["estimator"], tuple(r["hidden_sizes"])), []).append(
            100 * r["accuracy"]
        )
    rows = []
    for name in payload["datasets"]:
        for key in payload["estimators"]:
            cells = []
            for w in widths:
                values = acc.get((name, ESTIMATORS[key], w))
                cells.append(
                    f"{np.mean(values):.1f} ({' / '.join(f'{v:.1f}' for v in values)})"
                    if values else ""
                )
            rows.append([name, ESTIMATORS[key], *cells])
    header = ["data set", "estimator", *(f"hidden_sizes={w}" for w in widths)]
    return (
        "# Encoder widths\n\n"
        "Test accuracy (%) of each estimator with its defaults but `hidden_sizes`: the mean "
        f"over seeds {payload['seeds']} (`random_state`), then each seed. One torch thread.\n\n"
        + markdown_table(header, rows) + "\n"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["mfeat-fzm", "digits-300"])
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS))
    parser.add_argument("--widths", type=_width, nargs="+", default=[(256, 256), (256,)],
                        help="comma-separated layer widths, e.g. 256,256 256")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--uci-home", default=DEFAULT_UCI_HOME)
    parser.add_argument("--out", default="widths")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: gen-500-2, tiny widths, 2 epochs, temp folder")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    extra = {}
    if args.quick:
        args.datasets, args.widths, args.seeds = ["gen-500-2"], [(8, 8), (8,)], [0]
        args.out = os.path.join(tempfile.mkdtemp(prefix="skmm_bench_"), "widths")
        extra = dict(max_epochs=2)
    payload = dict(environment=environment(), widths=args.widths, seeds=args.seeds,
                   estimators=args.estimators, datasets={}, results=[])
    for name in args.datasets:
        data = load_dataset(name, args.uci_home)
        payload["datasets"][name] = data[4]
        for key in args.estimators:
            for width in args.widths:
                for seed in args.seeds:
                    params = dict(extra, hidden_sizes=width, random_state=seed)
                    fit = fit_default(key, data, params)
                    del fit["train_loss"]
                    payload["results"].append(
                        dict(dataset=name, estimator=ESTIMATORS[key], hidden_sizes=width,
                             seed=seed, **fit)
                    )
                    print(f"{name:12s} {ESTIMATORS[key]:24s} {str(width):10s} seed {seed} "
                          f"{fit['accuracy']:.4f} ({fit['epochs']} ep)", flush=True)
                    write_results(args.out, payload, to_markdown(payload))
    if args.quick:
        print(to_markdown(payload))


if __name__ == "__main__":
    main()
