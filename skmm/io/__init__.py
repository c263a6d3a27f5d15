"""Leaving Python: model files that load without running code (:func:`dump`,
:func:`load`; the file format, its compatibility rule and the devices are in
their Notes) and ONNX export (:func:`to_onnx`). The optional dependencies are
the extra ``pip install skmm[export]``; they are imported when first used.
"""

from skmm.io._onnx import to_onnx
from skmm.io._persist import dump, load

__all__ = ["dump", "load", "to_onnx"]
