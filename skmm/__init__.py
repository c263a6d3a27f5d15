"""skmm: scikit-learn estimators for multimodal classification and regression on
imperfect data.

The top-level namespace holds the data layer (:class:`MultimodalData`,
:func:`check_multimodal`, :func:`as_multimodal`), the public names of the
numpy-only transformer modules (:mod:`skmm.corruption`, :mod:`skmm.compose`,
:mod:`skmm.augmentation`) and every estimator that
:func:`skmm.utils.all_estimators` finds, so that a method in a new module is
importable as ``skmm.<Name>`` without being registered here. Names are imported
lazily: ``import skmm`` stays cheap, a transformer needs numpy only, and torch is
imported the first time an estimator is used.
"""

import importlib

__version__ = "0.1.0.dev0"

#: Modules that import numpy, scipy and scikit-learn only; their ``__all__`` is public
#: at the top level and found without importing torch.
_NUMPY_MODULES = ("skmm._data", "skmm.corruption", "skmm.compose", "skmm.augmentation")


def _numpy_names():
    return {
        name: module
        for module in _NUMPY_MODULES
        for name in importlib.import_module(module).__all__
    }


def _public():
    """Top-level name -> object: the numpy-only modules' names and every estimator."""
    from skmm.utils import all_estimators

    names = {n: getattr(importlib.import_module(m), n) for n, m in _numpy_names().items()}
    return {**dict(all_estimators()), **names}


def __getattr__(name):
    if name == "__all__":
        return sorted(_public()) + ["__version__"]
    module = _numpy_names().get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    elif not name.startswith("_") and name[:1].isupper():
        value = _public().get(name)
        if value is None:
            raise AttributeError(f"module 'skmm' has no attribute {name!r}")
    else:
        raise AttributeError(f"module 'skmm' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_public()))
