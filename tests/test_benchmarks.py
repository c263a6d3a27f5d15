"""Smoke runs of the benchmark scripts, and the provenance of their results.

The scripts only call library functions, so an API change that breaks one of
them (a renamed parameter) shows here instead of in a long run weeks later.
Each runs its ``--quick`` mode (one seed, a few epochs), which must leave the
saved results in ``benchmarks/results`` as they are. Every file in
``benchmarks/results`` is listed in its index (``benchmarks/results/README.md``)
and every JSON there says where it comes from (a ``provenance`` block).
"""

import glob
import json
import os
import re
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "benchmarks")
RESULTS = os.path.join(BENCHMARKS, "results")
INDEX = os.path.join(RESULTS, "README.md")


def _snapshot():
    if not os.path.isdir(RESULTS):
        return {}
    return {name: os.stat(os.path.join(RESULTS, name)).st_mtime_ns
            for name in os.listdir(RESULTS)}


#: Every benchmark script and what its ``--quick`` run must print.
QUICK_RUNS = {
    # the report's rows: both combination rules and LateFusion, beside the published
    "bench_trusted_uci.py": ["| Trusted(dempster) | 1 |", "| Trusted(average) | 1 |",
                             "| LateFusion | 1 |", "| RCML (published) |",
                             "Table II protocol"],
    "bench_defaults.py": ["| TrustedFusionClassifier | gen-500-2 |",
                          "| RAMLClassifier | digits |"],
    "bench_raml_uci.py": ["RAML"],
    "bench_noise.py": ["RAML"],
    "bench_raml_sigma.py": ["RAML"],
    "bench_speed.py": ["bare"],
    "bench_latency.py": ["| LateFusionClassifier | 1 |", "| RAMLRegressor | 100 |"],
    "bench_widths.py": ["| gen-500-2 | RAMLClassifier |", "hidden_sizes=(8,)"],
    # every skmm regressor beside scikit-learn on the concatenation
    "bench_regression.py": ["| diabetes | RAMLRegressor | 0 |",
                            "| gen-500 | ConcatFusionRegressor | 0 |",
                            "| diabetes | MLPRegressor (concat) | 0 |",
                            "| gen-500 | HistGradientBoostingRegressor (concat) | 0 |",
                            "Command: `python benchmarks/bench_regression.py --quick`"],
    "bench_memory.py": ['"model": "concat"', '"model": "raml"'],
    "bench_parallel.py": ["| serial |", "| loky |"],
    "bench_redcore_uci.py": ["RedCore", "bare PyTorch loop"],
    "bench_sequences.py": ["RAMLClassifier (skorch loop)", "bare PyTorch loop"],
}


def test_every_script_has_a_quick_run():
    scripts = {os.path.basename(p) for p in glob.glob(os.path.join(BENCHMARKS, "bench_*.py"))}
    assert scripts == set(QUICK_RUNS)


@pytest.mark.parametrize("script", sorted(QUICK_RUNS))
def test_quick_run(script, uci_home):
    before = _snapshot()
    run = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS, script), "--quick"],
        capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    for text in QUICK_RUNS[script]:
        assert text in run.stdout, (text, run.stdout[-3000:])
    assert _snapshot() == before, "a --quick run changed benchmarks/results"


def test_write_results_records_provenance(tmp_path):
    sys.path.insert(0, BENCHMARKS)
    try:
        from _common import write_results
    finally:
        sys.path.remove(BENCHMARKS)
    json_path, txt_path = write_results(str(tmp_path / "x"), {"a": 1}, "table", ext=".txt")
    with open(json_path) as f:
        prov = json.load(f)["provenance"]
    assert re.fullmatch(r"[0-9a-f]{40}", prov["commit"])
    assert isinstance(prov["dirty"], bool)
    assert prov["argv"] == sys.argv and prov["command"].startswith("python ")
    assert prov["date"].endswith(" UTC")
    assert {"cpus", "platform", "python", "torch", "sklearn", "skorch",
            "torch_threads"} <= set(prov["machine"])
    with open(txt_path) as f:
        header, blank, table = f.read().splitlines()
    assert header.startswith(f"Provenance: commit {prov['commit'][:7]}") and not blank
    assert table == "table"


def _index_rows():
    """``(stem, files, cited by)`` of each row of the index: one row per result, its
    files written ``name.{json,md}``, the documents citing it as backticked paths."""
    with open(INDEX) as f:
        rows = [line for line in f if line.startswith("| `")]
    out = []
    for row in rows:
        m = re.match(r"\| `([\w-]+)\.(?:\{([\w,]+)\}|(\w+))` \| .* \| (.*) \|$", row.strip())
        assert m, row
        stem, exts = m.group(1), (m.group(2) or m.group(3)).split(",")
        cited = re.findall(r"`([^`]+)`(?: \([^)]*\))?", m.group(4))  # "(included)": a note
        out.append((stem, [f"{stem}.{e}" for e in exts], cited))
    return out


def _indexed_files():
    """The file names listed in the first column of the index's table."""
    return [name for _, files, _ in _index_rows() for name in files]


#: Where a result is cited: the docs, the READMEs and the docstrings.
_CITING = ["docs/**/*.rst", "README.md", "benchmarks/README.md", "skmm/**/*.py"]


def _citing_files(stem):
    """The files that name a result (``stem.md``, ``stem.json``, ``stem.*``,
    ``stem.{json,md}``), relative to the repository."""
    import glob

    root = os.path.join(BENCHMARKS, "..")
    pattern = re.compile(r"(?<![\w-])" + re.escape(stem) + r"\.(?:json|md|txt|\*|\{)")
    found = set()
    for spec in _CITING:
        for path in glob.glob(os.path.join(root, spec), recursive=True):
            rel = os.path.relpath(path, root)
            if rel.startswith(("docs/generated", "docs/auto_examples", "docs/_build")):
                continue
            with open(path) as f:
                if pattern.search(f.read()):
                    found.add(rel)
    return sorted(found)


def test_results_index_names_the_documents_that_cite_each_result():
    """The index's "cited by" column is what the documents actually cite (a result no
    document cites has "none")."""
    for stem, _, cited in _index_rows():
        assert cited == _citing_files(stem), stem


def test_results_index_lists_every_file():
    listed = _indexed_files()
    present = sorted(f for f in os.listdir(RESULTS) if f != "README.md")
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert sorted(listed) == present
    assert len(present) + 1 <= 40, "benchmarks/results holds more than 40 files"


@pytest.mark.parametrize(
    "name", sorted(f for f in os.listdir(RESULTS) if f.endswith(".json")))
def test_result_has_provenance(name):
    with open(os.path.join(RESULTS, name)) as f:
        prov = json.load(f)["provenance"]
    assert re.fullmatch(r"[0-9a-f]{7,40}", prov["commit"]), prov["commit"]
    assert prov["command"].startswith("python benchmarks/bench_"), prov["command"]
    assert re.match(r"\d{4}-\d\d-\d\d", prov["date"]), prov["date"]
    assert prov["machine"]["cpus"] and prov["machine"]["torch"]
    # the table beside it says the same in its first line
    base = os.path.join(RESULTS, name[:-5])
    (table,) = [base + ext for ext in (".md", ".txt") if os.path.exists(base + ext)]
    with open(table) as f:
        assert f.readline().startswith(f"Provenance: commit {prov['commit'][:7]}")


def test_gpu_check_names_models_the_speed_benchmark_knows():
    """The prepared GPU check runs where no test can (a lent GPU): at least the models it
    asks ``bench_speed.py`` for must exist, or its one run is lost to a usage error."""
    with open(os.path.join(BENCHMARKS, "gpu_check.sh")) as f:
        script = f.read()
    models = re.search(r"--models ([\w -]+?) --out", script).group(1).split()
    sys.path.insert(0, BENCHMARKS)
    try:
        import bench_speed
    finally:
        sys.path.remove(BENCHMARKS)
    assert models and set(models) <= set(bench_speed.MODELS), models
