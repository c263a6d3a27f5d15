"""PyTorch building blocks of skmm: the module protocol, per-modality encoders and
batch functions.

Nothing here imports scikit-learn; the estimators in :mod:`skmm` wrap these
modules.
"""

from skmm.nn.encoders import (
    SEQUENCE_ENCODERS,
    LSTMEncoder,
    MLPEncoder,
    TextCNNEncoder,
    TransformerEncoder,
    make_encoder,
)
from skmm.nn.functional import (
    add_train_noise,
    expand_patterns,
    masked_row_sum,
    missing_patterns,
    row_mean,
)
from skmm.nn.module import MultimodalModule, build_encoders, take
from skmm.nn.tasks import Classification, Regression

__all__ = [
    "MultimodalModule",
    "build_encoders",
    "take",
    "MLPEncoder",
    "LSTMEncoder",
    "TextCNNEncoder",
    "TransformerEncoder",
    "SEQUENCE_ENCODERS",
    "make_encoder",
    "add_train_noise",
    "expand_patterns",
    "masked_row_sum",
    "missing_patterns",
    "row_mean",
    "Classification",
    "Regression",
]
