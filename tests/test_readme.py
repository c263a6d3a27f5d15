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
