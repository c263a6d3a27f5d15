"""Utilities: the registry of skmm's estimators.

:func:`all_estimators` finds every public estimator class by walking skmm's
modules, as :func:`sklearn.utils.discovery.all_estimators` does for
scikit-learn: a new method in a new file is listed, importable as
``skmm.<Name>``, tested by the common estimator checks, offered by ``skmm
benchmark`` and the benchmark scripts (:func:`estimator_presets`) and required
on the API page without being registered anywhere by hand.
"""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

__all__ = ["all_estimators", "estimator_presets"]

#: ``type_filter`` values and the test each one applies to a class.
_TYPES = {
    "classifier": lambda cls: issubclass(cls, ClassifierMixin),
    "regressor": lambda cls: issubclass(cls, RegressorMixin),
    "transformer": lambda cls: hasattr(cls, "transform") or hasattr(cls, "fit_transform"),
    "sampler": lambda cls: hasattr(cls, "fit_resample"),
}

#: Modules not searched: the command line and the figures (matplotlib is optional).
_SKIPPED = ("skmm.cli", "skmm.plotting", "skmm.__main__")


def _modules():
    import skmm

    for info in pkgutil.walk_packages(skmm.__path__, prefix="skmm."):
        name = info.name
        if name in _SKIPPED or any(part.startswith("_") for part in name.split(".")[1:]):
            continue
        try:
            yield importlib.import_module(name)
        except ImportError:  # a module needing an optional dependency that is not installed
            continue


def all_estimators(type_filter=None):
    """Every public estimator class of skmm.

    Walks skmm's public modules and returns the classes that derive from
    :class:`sklearn.base.BaseEstimator`, are defined in skmm, are public
    (no leading underscore) and are not bases (``...Base``, ``...Mixin``,
    abstract classes or anything in :mod:`skmm.base`).

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "sampler"}, list of those or None, \
            default=None
        Keep only classifiers, regressors, transformers (a ``transform`` or
        ``fit_transform`` method; the classifiers whose ``transform`` returns
        their embedding are transformers too) or samplers (a ``fit_resample``
        method, imbalanced-learn's protocol). A list keeps the union.
        ``None`` keeps every estimator.

    Returns
    -------
    list of (str, type)
        ``(class name, class)`` pairs, sorted by name.

    Examples
    --------
    >>> from skmm.utils import all_estimators
    >>> [name for name, _ in all_estimators("classifier")]  # doctest: +SKIP
    ['ConcatFusionClassifier', 'LateFusionClassifier', 'RAMLClassifier', 'RedCoreClassifier']
    >>> "MissingPatternAugmenter" in dict(all_estimators("sampler"))
    True
    """
    if type_filter is None:
        tests = None
    else:
        kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
        unknown = [k for k in kinds if k not in _TYPES]
        if unknown or not kinds:
            raise ValueError(
                f"type_filter must be None, one of {sorted(_TYPES)} or a list of them, got "
                f"{type_filter!r}."
            )
        tests = [_TYPES[k] for k in kinds]
    found = {}
    for module in _modules():
        if module.__name__ == "skmm.base":
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                not issubclass(cls, BaseEstimator)
                or not cls.__module__.startswith("skmm.")
                or cls.__module__ == "skmm.base"
                or name.startswith("_")
                or name.endswith(("Base", "Mixin"))
                or inspect.isabstract(cls)
            ):
                continue
            if tests is None or any(test(cls) for test in tests):
                found[name] = cls
    return sorted(found.items())


def estimator_presets(task="classifier"):
    """Short names of the classifiers or regressors, and of their presets.

    Each estimator of :func:`all_estimators` is named by its class name
    without ``Classifier`` / ``Regressor`` and ``Fusion``, lower-cased
    (``RAMLClassifier`` -> ``"raml"``, ``RAMLRegressor`` -> ``"raml"``), so a
    name means the same method for both tasks. A class adds named settings of
    its own in a class attribute ``_presets`` (name -> ``(params,
    description)``), e.g. ``TrustedFusionClassifier``'s ``"tmc"``
    (``combine="dempster"``). The command line (``skmm benchmark
    --estimators``) and the benchmark scripts read their estimators here.

    Parameters
    ----------
    task : {"classifier", "regressor"}, default="classifier"
        Which estimators.

    Returns
    -------
    dict
        Short name -> ``(class, params, description)``: the class, the
        parameters the name sets (``{}`` for the defaults) and the first line
        of the class's docstring (a preset's own description).

    Examples
    --------
    >>> from skmm.utils import estimator_presets
    >>> cls, params, _ = estimator_presets()["tmc"]
    >>> cls.__name__, params
    ('TrustedFusionClassifier', {'combine': 'dempster'})
    >>> estimator_presets("regressor")["raml"][0].__name__
    'RAMLRegressor'
    """
    if task not in ("classifier", "regressor"):
        raise ValueError(f"task must be 'classifier' or 'regressor', got {task!r}.")
    suffix = task.capitalize()
    out = {}
    for name, cls in all_estimators(task):
        key = name.removesuffix(suffix).removesuffix("Fusion").lower()
        out[key] = (cls, {}, cls.__doc__.strip().splitlines()[0].rstrip("."))
        for preset, (params, description) in getattr(cls, "_presets", {}).items():
            out[preset] = (cls, dict(params), description)
    return out
