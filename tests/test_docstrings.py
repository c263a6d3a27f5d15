"""Every public class documents its parameters as its signature has them.

As scikit-learn's ``test_docstring_parameters``: the ``Parameters`` section of
each public class's docstring (parsed by numpydoc) names the ``__init__``
parameters in order, and each ``default=`` it states is the signature's
default. The parameters shared by the estimators are written once
(:mod:`skmm._docstrings`), with each class's own default filled in from its
signature; this test catches a hand-written default that drifts.
"""

import ast
import importlib
import importlib.util
import inspect
import os
import re

import numpy as np
import pytest
from numpydoc.docscrape import ClassDoc

from skmm._docstrings import COMMON_PARAMETERS, format_default
from skmm.base import MultimodalBase
from skmm.utils import all_estimators

#: Modules whose ``__all__`` holds public classes (besides the estimators).
_MODULES = ("skmm", "skmm.nn", "skmm.raml", "skmm.redcore", "skmm.baselines", "skmm.trusted",
            "skmm.trusted_regression", "skmm.compose", "skmm.corruption", "skmm.augmentation")


def _public_classes():
    found = dict(all_estimators())
    for module in _MODULES:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name, None)
            if inspect.isclass(obj) and obj.__module__.startswith("skmm"):
                found.setdefault(name, obj)
    return sorted(found.items())


CLASSES = _public_classes()


def _signature(cls):
    """Parameter name as numpydoc writes it (``**arrays``) -> ``inspect.Parameter``; empty
    for a class that keeps its base's ``__init__`` (a torch module's ``*args, **kwargs``)."""
    if not getattr(cls.__init__, "__module__", "").startswith("skmm"):
        return {}
    stars = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    return {
        stars.get(p.kind, "") + name: p
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self"
    }


def _documented_default(type_text):
    """The text after ``default=`` in a numpydoc type line, or ``None``."""
    if "default=" not in type_text:
        return None
    return type_text.split("default=", 1)[1].strip()


def _same(text, value):
    if text == format_default(value):
        return True
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    if isinstance(value, float | int) and isinstance(parsed, float | int):
        return bool(np.isclose(parsed, value, rtol=0, atol=0) or parsed == value)
    return parsed == value and type(parsed) is type(value)


def test_the_classes_are_found():
    names = dict(CLASSES)
    assert {"RAMLClassifier", "TrustedFusionRegressor", "PerModality", "MultimodalData",
            "MLPEncoder", "RAMLModule"} <= set(names)


@pytest.mark.parametrize("name, cls", CLASSES, ids=[n for n, _ in CLASSES])
def test_documented_parameters_match_the_signature(name, cls):
    signature = _signature(cls)
    if not signature:
        return
    documented = ClassDoc(cls)["Parameters"]
    names = [n.strip() for p in documented for n in p.name.split(",")]
    assert names == list(signature), f"{name}: documented {names}, signature {list(signature)}"
    for p in documented:
        text = _documented_default(p.type)
        for param in (n.strip() for n in p.name.split(",")):
            default = signature[param].default
            if default is inspect.Parameter.empty:  # required, or *args / **kwargs
                assert text is None, f"{name}.{param} is required but documents default={text}"
            else:
                assert text is not None, f"{name}.{param}: no default= documented"
                assert _same(text, default), (
                    f"{name}.{param}: documented default={text}, signature {default!r}"
                )


# -- the shared parameters, declared once -------------------------------------------

_EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "docs", "user_guide", "mean_fusion.py")


def _example_classes():
    """The "Writing a method" example's estimators (the page's file, as users copy it)."""
    spec = importlib.util.spec_from_file_location("skmm_docs_mean_fusion_doc", _EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [module.MeanFusionClassifier, module.MeanFusionRegressor]


MODELS = [cls for _, cls in all_estimators(["classifier", "regressor"])] + _example_classes()


def test_the_shared_parameters_are_declared_once():
    """The declared defaults, the constraints and the shared docs name the same parameters."""
    documented = re.findall(r"(?m)^    (\w+) : ", COMMON_PARAMETERS)
    assert documented == list(MultimodalBase._common_defaults)
    assert set(MultimodalBase._parameter_constraints) == set(documented)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_shared_defaults_are_the_declared_ones(cls):
    """Every estimator has the declared shared defaults, except those it names as its own
    (and those must then differ: a method's own default that equals the shared one is a
    stale declaration)."""
    signature = _signature(cls)
    own = set(cls._own_defaults)
    assert own <= set(MultimodalBase._common_defaults)
    for name, default in MultimodalBase._common_defaults.items():
        value = signature[name].default
        if name in own:
            assert value != default, f"{cls.__name__}.{name}: own default equals the shared one"
        else:
            assert value == default and type(value) is type(default), (
                f"{cls.__name__}.{name}={value!r}; the shared default is {default!r} (declare "
                f"it in {cls.__name__}._own_defaults if the method chose its own)"
            )


@pytest.mark.parametrize("cls", _example_classes(), ids=lambda c: c.__name__)
def test_the_example_documents_its_signature(cls):
    test_documented_parameters_match_the_signature(cls.__name__, cls)
