"""Smoke runs of the benchmark scripts.

The scripts only call library functions, so an API change that breaks one of
them (a renamed parameter) shows here instead of in a long run weeks later.
Each runs its ``--quick`` mode (one seed, a few epochs), which must leave the
saved results in ``benchmarks/results`` as they are.
"""

import os
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "benchmarks")
RESULTS = os.path.join(BENCHMARKS, "results")


def _snapshot():
    if not os.path.isdir(RESULTS):
        return {}
    return {name: os.stat(os.path.join(RESULTS, name)).st_mtime_ns
            for name in os.listdir(RESULTS)}


@pytest.mark.parametrize(
    "script, expected",
    [
        # the report's rows: both combination rules and LateFusion, beside the published
        ("bench_trusted_uci.py", ["| Trusted(dempster) | 1 |", "| Trusted(average) | 1 |",
                                  "| LateFusion | 1 |", "| RCML (published) |",
                                  "Table II protocol"]),
        ("bench_defaults.py", ["| TrustedFusionClassifier | gen-500-2 |",
                               "| RAMLClassifier | digits |"]),
        ("bench_raml_uci.py", ["RAML"]),
        ("bench_noise.py", ["RAML"]),
        ("bench_raml_sigma.py", ["RAML"]),
        ("bench_speed.py", ["bare"]),
        ("bench_widths.py", ["| gen-500-2 | RAMLClassifier |", "hidden_sizes=(8,)"]),
        # every skmm regressor beside scikit-learn on the concatenation
        ("bench_regression.py", ["| diabetes | RAMLRegressor | 0 |",
                                 "| gen-500 | ConcatFusionRegressor | 0 |",
                                 "| diabetes | MLPRegressor (concat) | 0 |",
                                 "| gen-500 | HistGradientBoostingRegressor (concat) | 0 |",
                                 "Command: `python benchmarks/bench_regression.py --quick`"]),
    ],
)
def test_quick_run(script, expected, uci_home):
    before = _snapshot()
    run = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS, script), "--quick"],
        capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    for text in expected:
        assert text in run.stdout, (text, run.stdout[-3000:])
    assert _snapshot() == before, "a --quick run changed benchmarks/results"
