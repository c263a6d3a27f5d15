"""Warnings that point at the user's line.

skmm warns from deep inside ``fit`` and ``transform``: below scikit-learn's
``_fit_context`` wrapper, below ``super().fit``, below a Pipeline, skorch or a
torch context manager. A fixed ``stacklevel`` names a different frame on each
of these paths (often a line of scikit-learn's own source), so every warning
about the user's call is issued with :func:`user_stacklevel`, the stacklevel of
the first frame outside the libraries in :data:`INTERNAL_PACKAGES`::

    warnings.warn(message, UserWarning, stacklevel=user_stacklevel())

This module imports the standard library only.
"""

import functools
import importlib.util
import os
import sys

__all__ = ["user_stacklevel"]

#: Packages whose frames a warning skips: skmm and the libraries that call into it
#: on the way from the user's line (scikit-learn's wrappers, Pipelines and
#: model-selection tools, imbalanced-learn's Pipeline, joblib's in-process
#: ``Parallel``, skorch's training loop and torch).
INTERNAL_PACKAGES = ("skmm", "sklearn", "imblearn", "joblib", "skorch", "torch")


@functools.cache
def _internal_prefixes():
    """Folder prefixes (raw and resolved) of the installed :data:`INTERNAL_PACKAGES`."""
    prefixes = set()
    for name in INTERNAL_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)  # a top-level name: imports nothing
        except (ImportError, ValueError):
            continue
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for path in {os.path.abspath(folder), os.path.realpath(folder)}:
                prefixes.add(os.path.normcase(path) + os.sep)
    return tuple(sorted(prefixes))


@functools.cache
def _is_internal(filename):
    name = os.path.normcase(os.path.abspath(filename))
    return name.startswith(_internal_prefixes())


def user_stacklevel():
    """The ``stacklevel`` that makes a warning point at the user's code.

    Call it in the argument list of ``warnings.warn``: the level counts from
    the function calling ``warnings.warn`` (level 1) outwards, up to the first
    frame whose file is outside :data:`INTERNAL_PACKAGES` (the user's script,
    test or notebook cell). When every frame is internal (say, skmm's own
    command line run as ``python -m skmm``), it is the outermost frame.

    Returns
    -------
    int
    """
    frame = sys._getframe(1)  # the function that calls warnings.warn
    level = 1
    while frame.f_back is not None and _is_internal(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    return level
