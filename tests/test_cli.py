"""Tests of the ``skmm`` command (run in-process through ``skmm.cli.main``)."""

import itertools
import json
import os
import subprocess
import sys
import warnings

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
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the command's output is its own: no raw warning
        assert main(["benchmark", "--quick", "--no-progress"]) == 0
    out = capsys.readouterr().out
    # five epochs on purpose: the estimators' ConvergenceWarnings are one line of output
    assert out.splitlines()[-2] == (
        "Convergence: RAMLClassifier reached max_epochs=5 before converging; "
        "RedCoreClassifier reached max_epochs=5 before converging; ConcatFusionClassifier "
        "reached max_epochs=5 before converging; LateFusionClassifier reached max_epochs=5 "
        "before converging (--quick trains briefly on purpose)."
    )
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
         r"unknown estimator\(s\) \['svm'\]; choose from concat, concat-aug, "),
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

    err = capsys.readouterr().err
    assert re.search(match, err)
    if argv[0] == "--estimators":  # every registered name
        from skmm.cli import _cli_estimators

        assert "choose from " + ", ".join(_cli_estimators()) in err


@pytest.mark.parametrize("option", ["--json", "--plot"])
def test_output_paths_are_checked_before_training(option, tmp_path, capsys, monkeypatch):
    """An output file that cannot be written used to end the run with a raw
    FileNotFoundError after all the training."""
    import skmm.evaluation

    if option == "--plot":
        pytest.importorskip("matplotlib")

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking the output paths")

    monkeypatch.setattr(skmm.evaluation, "robustness_report", no_training)
    name = "x.json" if option == "--json" else "x.png"
    missing = os.path.join(str(tmp_path), "nonexistent", name)
    for path, message in [
        (missing, f"argument {option}: cannot write {missing!r}: the directory "
                  f"{os.path.dirname(missing)!r} does not exist"),
        (str(tmp_path), f"argument {option}: {str(tmp_path)!r} is a directory; give a file "
                        "name"),
    ]:
        with pytest.raises(SystemExit) as exc:
            main(["benchmark", "--quick", option, path])
        assert exc.value.code == 2
        captured = capsys.readouterr()
        assert captured.err.rstrip().endswith(message)
        assert captured.out == ""  # nothing loaded, nothing trained
    if option == "--plot":
        bad = str(tmp_path / "x.pngg")
        with pytest.raises(SystemExit) as exc:
            main(["benchmark", "--quick", option, bad])
        assert exc.value.code == 2
        assert f"cannot save a figure as {bad!r}: matplotlib does not know the extension " \
            "'pngg' (use one of " in capsys.readouterr().err


def test_unknown_device_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", "--device", "gpu"])
    assert exc.value.code == 2
    assert "skmm benchmark: error: --device: device='gpu' is not a device skmm knows; use one " \
        "of 'cpu', 'cuda', 'cuda:N' (N: the index of a GPU) or 'auto'" in capsys.readouterr().err


def test_convergence_warnings_become_one_line_and_others_pass(recwarn):
    from sklearn.exceptions import ConvergenceWarning

    from skmm.cli import _training_notes

    caught = [
        warnings.WarningMessage(message, category, __file__, 1) for message, category in [
            ("LateFusionClassifier: max_epochs=200 ended training before it converged "
             "(valid_loss still improved by more than tol=0.0001 within the last "
             "n_iter_no_change=10 epochs). Raise max_epochs or lr.", ConvergenceWarning),
            ("RAMLClassifier did not learn: in 3 epochs its best train_acc was 0.157, where a "
             "constant prediction scores 0.105. Raise max_epochs or lr, or check that the "
             "modalities carry information about y.", ConvergenceWarning),
            ("something else", UserWarning),
            ("TrustedFusionRegressor: std_calibration='validation' needs a split. "
             "Set early_stopping=True.", UserWarning),
        ]
    ]
    names = {"LateFusionClassifier", "RAMLClassifier", "TrustedFusionRegressor"}
    assert _training_notes(caught, quick=False, names=names) == [
        "Convergence: LateFusionClassifier reached max_epochs=200 before converging; "
        "RAMLClassifier did not learn in 3 epochs (best train_acc 0.157; a constant prediction "
        "scores 0.105) (more epochs (--max-epochs) may score higher).",
        "Note: TrustedFusionRegressor: std_calibration='validation' needs a split.",
    ]
    assert [str(w.message) for w in recwarn] == ["something else"]  # issued again
    assert _training_notes([], quick=True) == []


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
    import skmm.datasets._loaders as ds

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


# ---------------------------------------------------------------------------
# Regression data sets: regressors, R² and MAE tables
# ---------------------------------------------------------------------------

CALIFORNIA_HOME = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "california_housing"
)


def _regression_tables(text, modalities, estimators, levels, counts=None):
    """R² and MAE per pattern, then per noise level: four tables, checked against each
    other; returns ``(r2, mae, noisy_r2, noisy_mae)`` as arrays (rows x estimators)."""
    tables = _tables(text)
    assert len(tables) == 4
    expected = [
        "+".join(c) for k in range(1, len(modalities) + 1)
        for c in itertools.combinations(modalities, k)
    ]
    out = []
    for patterns in tables[:2]:
        if counts is not None:
            assert [int(row[1]) for row in patterns[:-1]] == counts
            patterns = [row[:1] + row[2:] for row in patterns[:-1]] + [patterns[-1]]
        assert [row[0] for row in patterns] == expected + ["average"]
        scores = np.array([[float(v) for v in row[1:]] for row in patterns])
        assert scores.shape == (len(expected) + 1, len(estimators))
        np.testing.assert_allclose(scores[-1], scores[:-1].mean(0), atol=2e-3)  # rounding
        out.append(scores)
    for noise, clean in zip(tables[2:], out[:]):
        assert [(row[0], float(row[1])) for row in noise] == [
            (m, s) for m in modalities for s in levels
        ]
        noisy = np.array([[float(v) for v in row[2:]] for row in noise])
        assert noisy.shape == (len(modalities) * len(levels), len(estimators))
        for i in range(0, len(noise), len(levels)):  # std 0: the full pattern's score
            np.testing.assert_array_equal(noisy[i], clean[len(expected) - 1])
        out.append(noisy)
    r2, mae, noisy_r2, noisy_mae = out
    assert (r2 <= 1).all() and (noisy_r2 <= 1).all()
    assert (mae > 0).all() and (noisy_mae > 0).all()
    return r2, mae, noisy_r2, noisy_mae


def test_regressor_names_are_derived_like_the_classifiers():
    from skmm.cli import _cli_estimators
    from skmm.utils import all_estimators

    regressors = _cli_estimators("regressor")
    expected = {
        name.removesuffix("Regressor").removesuffix("Fusion").lower(): name
        for name, _ in all_estimators("regressor")
    }
    assert {k: v[0] for k, v in regressors.items() if k != "concat-aug"} == expected
    assert regressors["concat-aug"][:2] == ("ConcatFusionRegressor", {"augment": "all"})
    assert {"raml", "redcore", "concat", "late"} <= set(regressors)  # the default list
    # the classifiers' table is unchanged (skmm.cli.ESTIMATORS)
    assert all(v[0].endswith("Classifier") for v in _cli_estimators().values())


def test_benchmark_quick_regression_on_diabetes(tmp_path, capsys):
    out_json = tmp_path / "out.json"
    argv = ["benchmark", "--dataset", "diabetes", "--quick", "--no-progress",
            "--noise-levels", "0,2", "--json", str(out_json)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Data set: diabetes" in out and "400 samples, a continuous target (1 output)" in out
    assert "280 training / 120 test samples" in out  # 400 quick samples, not stratified
    assert "Test R² with only the listed modalities present (120 samples):" in out
    assert "Test mean absolute error with only the listed modalities present" in out
    assert "accuracy" not in out
    header = next(line for line in out.splitlines() if line.startswith("modalities"))
    keys = ["raml", "redcore", "concat", "late"]
    assert header.split() == ["modalities", *keys]  # one column per estimator
    r2, mae, noisy_r2, noisy_mae = _regression_tables(
        out, ["demographics", "serum"], keys, [0, 2]
    )
    # five quick epochs already explain part of the variance with both modalities ...
    assert (r2[2] > 0.1).all()
    # ... and strong noise on a modality hurts on average
    assert noisy_r2[1::2].mean() < noisy_r2[0::2].mean()
    assert noisy_mae[1::2].mean() > noisy_mae[0::2].mean()
    result = json.loads(out_json.read_text())
    assert result["task"] == "regression" and result["metrics"] == ["r2", "mae"]
    assert result["estimators"] == keys
    assert [p["modalities"] for p in result["missing_patterns"]] == [
        ["demographics"], ["serum"], ["demographics", "serum"]
    ]
    for i, k in enumerate(keys):
        assert result["missing_patterns"][2][k]["r2"] == pytest.approx(r2[2, i], abs=5e-4)
        assert result["missing_patterns"][0][k]["mae"] == pytest.approx(mae[0, i], abs=5e-4)
        assert result["average"][k]["r2"] == pytest.approx(r2[-1, i], abs=5e-4)
        assert result["noise"][1][k]["mae"] == pytest.approx(noisy_mae[1, i], abs=5e-4)
    assert set(result["fit_time_s"]) == set(keys)


def test_benchmark_regression_on_npz_with_a_continuous_target(tmp_path, capsys):
    from skmm.datasets import make_multimodal_regression

    X, y = make_multimodal_regression(
        200, {"a": 4, "b": 3}, missing_rates={"b": 0.2}, random_state=0
    )
    path = tmp_path / "reg.npz"
    np.savez(path, y=y, **X)
    png = tmp_path / "reg.png"
    argv = ["benchmark", "--dataset", str(path), "--estimators", "concat,trusted", "--quick",
            "--max-epochs", "2", "--noise-levels", "0,1", "--no-progress"]
    if _has_matplotlib():
        argv += ["--plot", str(png)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the estimators' warnings are lines of the output
        assert main(argv) == 0
    out = capsys.readouterr().out
    assert "200 samples, a continuous target (1 output)" in out
    assert ("Note: TrustedFusionRegressor: std_calibration='validation' needs the "
            "early-stopping validation split, which early_stopping='auto' leaves out below 20 "
            "validation rows; the standard deviations are the model's own, not recalibrated."
            ) in out.splitlines()
    _, test = train_test_split(np.arange(200), test_size=0.3, random_state=0)
    counts = [60, int((~np.isnan(X["b"][test]).all(1)).sum()), 60]
    assert counts[1] < 60
    _regression_tables(out, ["a", "b"], ["concat", "trusted"], [0, 1], counts=counts)
    if _has_matplotlib():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _has_matplotlib():
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        return False
    return True


@pytest.mark.skipif(
    not os.path.isfile(os.path.join(CALIFORNIA_HOME, "california_housing.csv")),
    reason="California housing CSV not in ../shared/data/california_housing",
)
def test_benchmark_quick_regression_on_california(capsys):
    argv = ["benchmark", "--dataset", "california", "--data-home", CALIFORNIA_HOME,
            "--quick", "--estimators", "concat,late", "--noise-levels", "0", "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Data set: California housing" in out and "400 samples" in out
    r2, mae, _, _ = _regression_tables(
        out, ["location", "house", "people"], ["concat", "late"], [0]
    )
    assert r2[-2, 0] > 0.2  # all three modalities, concatenation


def test_regression_argument_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", "--dataset", "diabetes", "--estimators", "raml,tmc"])
    assert exc.value.code == 2
    # the classifiers' extra names are not regressors
    assert ("argument --estimators: unknown regressor(s) ['tmc']; choose from concat, "
            "concat-aug, late, raml, redcore") in capsys.readouterr().err

    import skmm.datasets as ds

    def offline(*args, **kwargs):
        raise OSError("no network")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ds, "fetch_california_housing_multimodal", offline)
        with pytest.raises(SystemExit):
            main(["benchmark", "--dataset", "california", "--data-home", str(tmp_path)])
    assert "could not load the California housing data set: no network" in (
        capsys.readouterr().err
    )


def test_help_lists_regression_data_sets_and_regressors(capsys):
    with pytest.raises(SystemExit):
        main(["benchmark", "--help"])
    out = capsys.readouterr().out
    assert "{digits,uci,diabetes,california,PATH.npz}" in out
    assert "'diabetes'" in out and "'california'" in out
    assert "R² and mean absolute error" in out.replace("\n", " ")
    assert "estimators (regression: diabetes, california, .npz with a continuous y):" in out
    assert "raml        Redundancy-Adaptive Multimodal Learning (RAML) regressor (RAMLRegressor)" in out
    assert "concat-aug  The same, with augment='all' (ConcatFusionRegressor, augment='all')" in out
    assert "skmm benchmark --dataset california" in out
