"""Tests of the ``skmm`` command (run in-process through ``skmm.cli.main``)."""

import itertools
import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from skmm.cli import main
from skmm.datasets import make_multimodal_classification


def _tables(text):
    """The rows of every table in the output: list of lists of cells, per table."""
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("---"):
            current = []
            tables.append(current)
        elif current is not None and line.strip() and not line.startswith(("Test", "Training")):
            current.append(line.split())
        else:
            current = None
    return tables


def _check_tables(text, modalities, estimators, levels, counts=None):
    patterns, noise = _tables(text)
    if counts is not None:  # an "n" column: samples scored per pattern
        assert [int(row[1]) for row in patterns[:-1]] == counts
        patterns = [row[:1] + row[2:] for row in patterns[:-1]] + [patterns[-1]]
    expected = [
        "+".join(c) for k in range(1, len(modalities) + 1)
        for c in itertools.combinations(modalities, k)
    ]
    assert [row[0] for row in patterns] == expected + ["average"]
    scores = np.array([[float(v) for v in row[1:]] for row in patterns])
    assert scores.shape == (len(expected) + 1, len(estimators))
    assert ((scores >= 0) & (scores <= 1)).all()
    np.testing.assert_allclose(scores[-1], scores[:-1].mean(0), atol=2e-3)  # rounding
    assert [(row[0], float(row[1])) for row in noise] == [
        (m, s) for m in modalities for s in levels
    ]
    noisy = np.array([[float(v) for v in row[2:]] for row in noise])
    assert noisy.shape == (len(modalities) * len(levels), len(estimators))
    assert ((noisy >= 0) & (noisy <= 1)).all()
    # std 0 is the clean score of the full pattern
    for i in range(0, len(noise), len(levels)):
        np.testing.assert_array_equal(noisy[i], scores[len(expected) - 1])
    return scores, noisy


def test_benchmark_quick_on_digits(capsys):
    assert main(["benchmark", "--quick", "--no-progress"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("modalities"))
    assert header.split() == ["modalities", "raml", "redcore", "concat", "late"]
    scores, noisy = _check_tables(
        out, ["top", "bottom", "profile"], ["raml", "redcore", "concat", "late"], [0, 0.5, 1, 2]
    )
    assert "Data set: digits" in out and "280 training / 120 test samples" in out
    # Even five quick epochs learn something: the concat baseline, all modalities present,
    # is well above chance (0.1).
    assert scores[-2, 2] > 0.3
    # Strong noise on a modality hurts the concat baseline on average.
    assert noisy[3::4, 2].mean() < noisy[0::4, 2].mean()


def test_benchmark_on_npz_with_missing_values_plot_and_json(tmp_path, capsys):
    X, y = make_multimodal_classification(
        300, 3, {"img": 8, "txt": 5}, missing_rates={"txt": 0.2}, sequence={"txt": (2, 6)},
        random_state=0,
    )
    path = tmp_path / "data.npz"
    np.savez(path, img=X["img"], y=y, txt=X["txt"])
    png, out_json = tmp_path / "out.png", tmp_path / "out.json"
    argv = [
        "benchmark", "--dataset", str(path), "--estimators", "concat-aug", "--quick",
        "--noise-levels", "0,3", "--plot", str(png), "--json", str(out_json),
        "--seed", "1",
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "Modalities: img (8,), txt (6, 5)" in out
    # Not a terminal: no progress bars at all (issue 14).
    assert "training" not in captured.err and "robustness" not in captured.err
    assert "Gaussian noise of std s on one modality (the test set's own missing" in out
    assert "(all present)" not in out
    # The command's split; the pattern "txt" is scored on the test samples that have "txt".
    _, test = train_test_split(np.arange(300), test_size=0.3, stratify=y, random_state=1)
    counts = [90, int((~np.isnan(X["txt"][test]).all((1, 2))).sum()), 90]
    assert counts[1] < 90
    scores, _ = _check_tables(out, ["img", "txt"], ["concat-aug"], [0, 3], counts=counts)
    assert scores[-2, 0] > 0.6  # chance: 1/3
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = json.loads(out_json.read_text())
    assert result["modalities"] == ["img", "txt"]
    assert result["estimators"] == ["concat-aug"]
    assert [p["modalities"] for p in result["missing_patterns"]] == [
        ["img"], ["txt"], ["img", "txt"]
    ]
    assert [p["n_samples"] for p in result["missing_patterns"]] == counts
    assert result["average"]["concat-aug"] == pytest.approx(scores[-1, 0], abs=5e-4)
    assert result["missing_patterns"][2]["concat-aug"] == pytest.approx(scores[2, 0], abs=5e-4)
    assert [(r["modality"], r["std"]) for r in result["noise"]] == [
        ("img", 0), ("img", 3), ("txt", 0), ("txt", 3)
    ]
    assert result["noise_all_present"] is False
    assert result["epochs"] == {"concat-aug": 5}
    assert result["threads"] >= 1 and result["device"] == "cpu" and result["test_size"] == 0.3
    assert result["device_used"] == "cpu"
    assert set(result["versions"]) >= {"skmm", "torch", "skorch", "scikit-learn", "numpy"}
    assert result["fit_time_s"]["concat-aug"] > 0


def test_benchmark_plot_has_title_legends_and_no_empty_panel(tmp_path, capsys):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import skmm.plotting

    figures = []
    original = skmm.plotting.plot_robustness_report

    def spy(*args, **kwargs):
        figures.append(original(*args, **kwargs))
        return figures[-1]

    X, y = make_multimodal_classification(120, 2, {"a": 3, "b": 2}, random_state=0)
    path = tmp_path / "d.npz"
    np.savez(path, y=y, **X)
    import unittest.mock

    with unittest.mock.patch.object(skmm.plotting, "plot_robustness_report", spy):
        argv = ["benchmark", "--dataset", str(path), "--estimators", "concat,late", "--quick",
                "--max-epochs", "1", "--noise-levels", "0,1", "--plot", str(tmp_path / "p.png")]
        assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Gaussian noise of std s on one modality (all present)" in out
    assert "not meaningful" in out
    (fig,) = figures
    assert fig._suptitle.get_text().startswith("d.npz (2 modalities)")
    patterns, noise = fig.subfigs
    assert [ax.get_title() for ax in patterns.axes] == ["concat", "late"]
    assert len(noise.axes) == 2 and all(ax.get_visible() for ax in fig.get_axes())
    assert patterns.axes[-1].get_legend() is not None  # colours: modalities present
    labels = [t.get_text() for t in noise.axes[0].get_legend().get_texts()]
    assert labels == ["concat", "late"]


@pytest.mark.parametrize("what", ["partial", "all-missing"])
def test_npz_with_bad_rows_gives_an_error_line_with_file_rows(tmp_path, capsys, what):
    X, y = make_multimodal_classification(100, 2, {"a": 3, "b": 2}, random_state=0)
    a, b = X["a"].copy(), X["b"].copy()
    if what == "partial":
        a[87, 1] = np.nan
        message = "Modality 'a' has partial NaN in rows [87]"
    else:
        a[93], b[93] = np.nan, np.nan
        message = "Rows [93] have every modality missing"
    path = tmp_path / "bad.npz"
    np.savez(path, y=y, a=a, b=b)
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", "--dataset", str(path), "--quick"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and message in err and "Traceback" not in err


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "benchmark" in out and "missing-modality" in out.replace("\n", " ")
    with pytest.raises(SystemExit):
        main(["benchmark", "--help"])
    out = capsys.readouterr().out
    for option in ["--dataset", "--data-home", "--estimators", "--max-epochs", "--device",
                   "--seed", "--quick", "--plot", "--noise-levels"]:
        assert option in out
    # the estimator list comes from skmm.utils.all_estimators(): every classifier, described
    # by its docstring's first line
    assert "raml        Redundancy-Adaptive Multimodal Learning (RAML) classifier (RAMLClassifier)" in out
    assert "concat-aug  The same, with augment='all' (ConcatFusionClassifier, augment='all')" in out
    assert "PerModality(StandardScaler())" in out
    assert main([]) == 2  # no command: help, non-zero status
    assert "benchmark" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--estimators", "raml,svm"],
         r"unknown estimator\(s\) \['svm'\]; choose from concat, concat-aug, late, raml, redcore"),
        (["--dataset", "nowhere.npz"], r"--dataset 'nowhere.npz' is neither 'digits', 'uci'"),
        (["--noise-levels", "0,x"], r"expected comma-separated numbers, got '0,x'"),
        (["--max-epochs", "0"], r"expected a positive integer, got '0'"),
        (["--test-size", "1.5"], r"expected a fraction in \(0, 1\), got '1.5'"),
        (["--device", "cuda:99"], r"--device: device='cuda:99' was requested but"),
    ],
)
def test_benchmark_argument_errors(argv, match, capsys):
    if argv[0] == "--device":
        pytest.importorskip("torch")
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", *argv])
    assert exc.value.code == 2
    import re

    assert re.search(match, capsys.readouterr().err)


def test_npz_errors(tmp_path, capsys):
    no_y = tmp_path / "no_y.npz"
    np.savez(no_y, a=np.zeros((4, 2)))
    only_y = tmp_path / "only_y.npz"
    np.savez(only_y, y=np.zeros(4))
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    for path, message in [
        (no_y, "has no array named 'y' (found: ['a'])"),
        (only_y, "holds only 'y': every other array is a modality"),
        (text, "could not read"),
    ]:
        with pytest.raises(SystemExit):
            main(["benchmark", "--dataset", str(path)])
        assert message in capsys.readouterr().err


def test_uci_without_data(tmp_path, capsys, monkeypatch):
    import skmm.datasets as ds

    def offline(url, path):
        raise OSError("no network")

    monkeypatch.setattr(ds, "_download", offline)
    with pytest.raises(SystemExit):
        main(["benchmark", "--dataset", "uci", "--data-home", str(tmp_path)])
    assert "could not load the UCI Multiple Features data set: no network" in (
        capsys.readouterr().err
    )


def test_plot_without_matplotlib(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", "--plot", "out.png"])
    assert exc.value.code == 2
    assert "--plot needs matplotlib, which is not installed" in capsys.readouterr().err


def test_python_dash_m_skmm():
    result = subprocess.run(
        [sys.executable, "-m", "skmm", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("skmm ")


def test_version_and_argument_errors_do_not_import_torch():
    """The estimator list (which imports torch to find the estimators) is built only when
    it is used: ``skmm --version`` stays fast."""
    code = (
        "import sys, contextlib\n"
        "from skmm.cli import main\n"
        "with contextlib.suppress(SystemExit):\n"
        "    main(['--version'])\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "False"
