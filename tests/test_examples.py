"""Every script in examples/ runs end to end with its quick settings.

The scripts are loaded in-process (runpy, so torch and the rest are imported
once, with conftest's one thread and Agg backend) and their ``main`` is called
with ``--quick --out tmp_path``, with every warning a user would see (UserWarning,
which includes scikit-learn's ConvergenceWarning, FutureWarning and RuntimeWarning)
turned into an error: an example runs clean, its quick settings included.
"""

import ast
import os
import runpy
import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("pandas")

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def run_example(name, tmp_path, *extra):
    module = runpy.run_path(os.path.join(EXAMPLES, name))  # not as __main__: no run yet
    with warnings.catch_warnings():
        for category in (UserWarning, FutureWarning, RuntimeWarning):
            warnings.simplefilter("error", category)  # as python -W error::UserWarning ...
        return module["main"](["--quick", "--out", str(tmp_path), *extra])


def test_every_example_is_tested():
    scripts = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".py"))
    assert scripts == [
        "plot_corruption.py", "plot_missing_patterns.py", "plot_regression_uncertainty.py",
        "quickstart.py",
    ]


def test_examples_are_gallery_scripts():
    """The documentation's gallery (sphinx-gallery) needs a README and, in every
    script, a docstring that starts with an RST title."""
    assert os.path.isfile(os.path.join(EXAMPLES, "README.rst"))
    for name in sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".py")):
        with open(os.path.join(EXAMPLES, name)) as f:
            title, underline, *_ = ast.get_docstring(ast.parse(f.read())).splitlines()
        assert set(underline) == {"="} and len(underline) >= len(title), name


def test_missing_patterns_example(tmp_path, capsys):
    scores = run_example("plot_missing_patterns.py", tmp_path)
    out = capsys.readouterr().out
    assert list(scores.columns) == ["RAML", "Concat", "Concat+aug", "Late"]
    assert list(scores.index) == [
        "top", "bottom", "profile", "top+bottom", "top+profile", "bottom+profile",
        "top+bottom+profile",
    ]
    values = scores.to_numpy()
    assert ((values >= 0) & (values <= 1)).all()
    # Even 3 epochs on 210 digits beat chance (0.1) with all modalities present.
    assert values[-1].max() > 0.3
    assert "Mean accuracy by number of present modalities" in out
    assert "[--quick] smoke-test settings: the numbers below are not meaningful." in out
    assert (tmp_path / "missing_patterns.png").stat().st_size > 1000


def test_corruption_example(tmp_path, capsys):
    scores = run_example("plot_corruption.py", tmp_path, "--noise-levels", "0,8")
    out = capsys.readouterr().out
    assert list(scores.columns) == [
        "RAML", "RAML+train_noise", "Concat+aug", "Concat+aug+train_noise"
    ]
    assert list(scores.index) == [0.0, 8.0]
    # Noise of 8 standard deviations on one of three modalities hurts every model.
    assert (scores.loc[8.0] < scores.loc[0.0] + 1e-9).all()
    assert "Mean RAML fusion weight of 'top' (equal weights: 0.333)" in out
    assert "the numbers below are not meaningful" in out
    for name in ("corruption_curves.png", "fusion_weights.png"):
        assert (tmp_path / name).stat().st_size > 1000


def test_quickstart_example(tmp_path, capsys):
    table = run_example("quickstart.py", tmp_path)
    out = capsys.readouterr().out
    assert "n_samples=300" in out
    assert "the numbers below are not meaningful" in out
    assert "best parameters: {'ramlclassifier__lambda1'" in out
    assert len(table) == 7
    # "profile" was made missing for ~30% of the samples: its pattern scores fewer.
    n_samples = dict(zip(table["pattern"], table["n_samples"]))
    assert n_samples[("top",)] == 90
    assert 50 < n_samples[("profile",)] < 85
    assert np.isfinite(table["score"].to_numpy(dtype=float)).all()
    assert (tmp_path / "quickstart_patterns.png").stat().st_size > 1000


def test_regression_uncertainty_example(tmp_path, capsys):
    r2, coverage = run_example("plot_regression_uncertainty.py", tmp_path)
    out = capsys.readouterr().out
    assert list(r2.columns) == ["Trusted", "RAML", "Concat"]
    assert list(r2.index) == ["demographics", "serum", "demographics+serum"]
    assert list(coverage.columns) == ["coverage", "mean width", "NLL"]
    assert ((coverage["coverage"] >= 0) & (coverage["coverage"] <= 1)).all()
    assert (coverage["mean width"] > 0).all()
    assert "353 training and 89 test samples" in out
    assert "the numbers below are not meaningful" in out
    assert (tmp_path / "regression_uncertainty.png").stat().st_size > 1000
