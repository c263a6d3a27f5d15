"""The README's commands are the ones CI runs, and they exist; the user
guide's examples run.

The README's Python blocks themselves run as doctests (``--doctest-glob``
in setup.cfg, README.md in ``testpaths``); the ``>>>`` examples of the
documentation pages run here.
"""

import doctest
import glob
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")


def read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


def blocks(language):
    """The contents of the README's fenced code blocks of a language."""
    return re.findall(rf"^```{language}\n(.*?)^```", read("README.md"), flags=re.S | re.M)


def commands():
    """Shell commands of the README's bash blocks, without their comments."""
    return [
        line.split("#")[0].strip()
        for block in blocks("bash")
        for line in block.splitlines()
        if line.split("#")[0].strip()
    ]


#: The one address the README may name: PyTorch's CPU-only wheels, the alternative
#: first line of the set-up block (issue 14: without it pip may fetch a CUDA build).
CPU_TORCH = "pip install torch --index-url https://download.pytorch.org/whl/cpu"


def test_readme_set_up_commands():
    cmds = commands()
    assert cmds[:2] == [CPU_TORCH, 'pip install -e ".[test]"']
    assert "python -m pytest -q" in cmds
    assert 'pip install -e ".[docs]"' in read("README.md")


def test_ci_runs_the_readme_test_command_verbatim():
    (test_command,) = [c for c in commands() if "pytest" in c]
    ci_lines = [line.strip() for line in read(".ci", "run").splitlines()]
    assert test_command in ci_lines


def test_readme_python_blocks_are_doctests():
    python = blocks("python")
    assert python, "the README has no Python block"
    for block in python:
        # A block without prompts would not run under --doctest-glob.
        assert block.lstrip().startswith(">>> "), block[:60]
    assert "--doctest-glob=README.md" in read("setup.cfg")


def test_readme_names_no_download_host_but_pytorch_cpu_wheels():
    assert re.findall(r"https?://\S+", read("README.md")) == [
        "https://download.pytorch.org/whl/cpu"
    ]


def test_readme_benchmark_options_exist(capsys):
    from skmm.cli import ESTIMATORS, main

    with pytest.raises(SystemExit) as exc:
        main(["benchmark", "--help"])
    assert exc.value.code == 0
    help_text = capsys.readouterr().out
    bench = [c.split() for c in commands() if c.startswith("skmm ")]
    assert bench and all(words[1] == "benchmark" for words in bench)
    for words in bench:
        for i, word in enumerate(words):
            if word.startswith("--"):
                assert word in help_text, word
            if word == "--estimators":
                assert set(words[i + 1].split(",")) <= set(ESTIMATORS)


def test_readme_files_exist():
    text = read("README.md")
    for name in re.findall(r"`(\w+\.py)`", text):
        assert os.path.isfile(os.path.join(ROOT, "examples", name)), name
    assert os.path.isfile(os.path.join(ROOT, "docs", "conf.py"))


DOC_PAGES = sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.rst"), recursive=True))


@pytest.mark.parametrize(
    "page", [p for p in DOC_PAGES if ">>> " in open(p).read()], ids=os.path.basename
)
def test_documentation_examples_run(page):
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    result = doctest.testfile(page, module_relative=False, optionflags=flags, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) failed in {page}"


# -- the numbers of "What to expect" come from the result files they name ------------

RESULTS = os.path.join(ROOT, "benchmarks", "results")


def _rows(lines):
    """{first cell: cells} of the Markdown table rows in ``lines`` (first occurrence)."""
    rows = {}
    for line in lines:
        if line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows.setdefault(cells[0], cells)
    return rows


def table(name, after=None):
    """The rows of the first table in a result file (after the line starting ``after``)."""
    lines = read("benchmarks", "results", name).splitlines()
    if after is not None:
        lines = lines[next(i for i, line in enumerate(lines) if line.startswith(after)):]
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")),
               len(lines))
    return _rows(lines[start:end])


def cell(rows, row, column):
    """The value of a cell, the part before ``±``, by row and column name."""
    header = next(iter(rows.values()))
    return rows[row][header.index(column)].split("±")[0].strip().strip("*%")


def _summary(name, method):
    """The imbalanced-rate average of a method in a bench_redcore_uci.py summary."""
    match = re.search(rf"^  {re.escape(method)} +\(a\) imbalanced kar/fou/mor: ([\d.]+)",
                      read("benchmarks", "results", name), flags=re.M)
    return match.group(1)


def _datasets():
    """The training rows and the classes of the defaults' data sets."""
    rows = table("defaults.md", after="| data set | rows train/test |")
    train = [int(r[1].split("/")[0]) for key, r in rows.items() if key != "data set"]
    classes = [int(r[2]) for key, r in rows.items() if key != "data set"]
    return train, classes


def _coverage():
    rows = table("regression_california_patterns.md", after="TrustedFusionRegressor: coverage")
    return [float(cell(rows, r, "coverage")) for r in rows if r != "present"]


def _conflictive():
    """(conflictive accuracy, model) of every estimator run in trusted_uci.md."""
    rows = table("trusted_uci.md")
    return [(float(cell(rows, r, "conflictive acc")), r) for r in rows
            if r != "model" and "published" not in r and not r.startswith("RCML code")]


def _pattern_r2(row, column):
    return cell(table("regression_california_patterns.md", after="R²:"), row, column)


#: Each number the README's "What to expect" cites, and where it is checked.
README_NUMBERS = {
    # the defaults' data sets (defaults.md)
    "80": lambda: min(_datasets()[0]) == 80,
    "40,000": lambda: max(_datasets()[0]) == 40_000,
    "2": lambda: min(_datasets()[1]) == 2,
    "100": lambda: max(_datasets()[1]) == 100,
    # missing views at test time (raml_uci.md)
    "63": lambda: "mean of 63" in table("raml_uci.md")["model"],
    "20": lambda: "max_epochs=20" in read("benchmarks", "results", "raml_uci.md"),
    "95.8": lambda: cell(table("raml_uci.md"), "RAML", "mean of 63") == "95.8",
    "95.4": lambda: cell(table("raml_uci.md"), "ConcatFusion+aug", "mean of 63") == "95.4",
    "94.7": lambda: cell(table("raml_uci.md"), "LateFusion", "mean of 63") == "94.7",
    "88.1": lambda: cell(table("raml_uci.md"), "ConcatFusion", "mean of 63") == "88.1",
    "63.3": lambda: cell(table("raml_uci.md"), "ConcatFusion", "1 view") == "63.3",
    # noise (raml_sigma.md, the UCI table)
    "0.902": lambda: cell(table("raml_sigma.md", after="### uci"), "paper",
                          "acc under noise (std 0.5-4)") == "0.902",
    "0.971": lambda: cell(table("raml_sigma.md", after="### uci"), "lambda1=0",
                          "acc under noise (std 0.5-4)") == "0.971",
    # imbalanced training missing rates (redcore_uci_stopgrad.txt, redcore_uci.txt)
    "87.9": lambda: _summary("redcore_uci_stopgrad.txt", "RedCore") == "87.9",
    "87.7": lambda: _summary("redcore_uci_stopgrad.txt", "Core") == "87.7",
    "88.8": lambda: _summary("redcore_uci.txt", "ConcatFusion+aug") == "88.8",
    # regression (regression_california_patterns.md; the headline of regression_defaults.md)
    "0.796": lambda: (_pattern_r2("location+house+people", "ConcatFusionRegressor") == "0.796"
                      and "R² 0.796" in read("benchmarks", "results", "regression_defaults.md")),
    "0.770": lambda: _pattern_r2("location+house+people", "MLPRegressor (concat)") == "0.770",
    "0.835": lambda: _pattern_r2("location+house+people",
                                 "HistGradientBoostingRegressor (concat)") == "0.835",
    "7": lambda: "mean of 7" in table("regression_california_patterns.md", after="R²:"),
    "0.558": lambda: _pattern_r2("mean of 7", "RAMLRegressor") == "0.558",
    "0.273": lambda: _pattern_r2("mean of 7", "HistGradientBoostingRegressor (concat)")
    == "0.273",
    "90": lambda: "coverage of the 90% interval" in read(
        "benchmarks", "results", "regression_california_patterns.md"),
    "89.4": lambda: f"{100 * min(_coverage()):.1f}" == "89.4",
    "89.9": lambda: f"{100 * max(_coverage()):.1f}" == "89.9",
    # conflicting views (trusted_uci.md)
    # "every estimator beat the published RCML (94.40%), LateFusion most (98.80%)"
    "94.40": lambda: (cell(table("trusted_uci.md"), "RCML (published)", "conflictive acc")
                      == "94.40" and min(_conflictive())[0] > 94.40),
    "98.80": lambda: max(_conflictive()) == (98.80, "LateFusion"),
    "97.45": lambda: cell(table("trusted_uci.md"), "Trusted(dempster)", "conflictive acc")
    == "97.45",
}


def what_to_expect():
    """The README's "What to expect" section without its code spans."""
    text = read("README.md")
    section = text[text.index("## What to expect"):text.index("## More")]
    return re.sub(r"`[^`]*`", "", section)


def test_readme_numbers_are_all_checked():
    cited = set(re.findall(r"(?<![\w.])\d[\d,]*(?:\.\d+)?", what_to_expect()))
    assert cited == set(README_NUMBERS), (cited - set(README_NUMBERS),
                                          set(README_NUMBERS) - cited)


@pytest.mark.parametrize("number", sorted(README_NUMBERS))
def test_readme_number_matches_its_result_file(number):
    assert README_NUMBERS[number](), number
