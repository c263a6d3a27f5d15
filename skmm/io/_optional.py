"""The optional dependencies of :mod:`skmm.io`, imported when first used."""

import importlib


def require(module, caller):
    """Import ``module`` for ``caller`` (e.g. ``"skmm.io.to_onnx"``), or raise an
    ``ImportError`` that says how to install skmm's ``export`` extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs the package {module.split('.')[0]!r} ({exc}); install skmm's "
            "optional extra: pip install skmm[export]"
        ) from exc
