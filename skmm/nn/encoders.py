"""Per-modality encoders.

Every encoder maps one modality's batch to a fixed-size vector:
``forward(x, lengths=None) -> (batch, out_features)``. ``x`` is ``(batch, d)``
for a 2D modality, ``(batch, T, d)`` for a sequence, in which case
``lengths`` holds the number of valid (non-padding) timesteps of each sample.
Each encoder exposes ``out_features``.
"""

import torch
from torch import nn

__all__ = ["MLPEncoder", "make_encoder"]


class MLPEncoder(nn.Module):
    """A multilayer perceptron for 2D features: ``Linear -> ReLU`` per hidden size.

    Parameters
    ----------
    in_features : int
        Input dimension.
    hidden_sizes : sequence of int, default=(256, 256)
        Width of each layer (two layers by default, as RAML's encoders).
    dropout : float, default=0.0
        Dropout after each layer.
    """

    def __init__(self, in_features, hidden_sizes=(256, 256), dropout=0.0):
        super().__init__()
        layers, width = [], in_features
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        self.net = nn.Sequential(*layers)
        self.out_features = width

    def forward(self, x, lengths=None):
        return self.net(x)


def make_encoder(spec, feature_shape, hidden_sizes=(256, 256)):
    """Build the encoder of one modality.

    Parameters
    ----------
    spec : str, torch.nn.Module or None
        ``"mlp"``, or a module following the encoder protocol (it must have
        ``out_features``). ``None`` picks the default for the shape: ``"mlp"``
        for 2D features.
    feature_shape : tuple
        ``(d,)`` for 2D features, ``(None, d)`` for sequences.
    hidden_sizes : sequence of int
        Layer widths for the built-in encoders.

    Returns
    -------
    torch.nn.Module
    """
    if isinstance(spec, nn.Module):
        if not hasattr(spec, "out_features"):
            raise TypeError(
                f"A custom encoder must expose `out_features`; {type(spec).__name__} does not."
            )
        return spec
    sequence = len(feature_shape) == 2
    if spec is None:
        spec = "mlp"
    if spec == "mlp":
        if sequence:
            raise ValueError(
                "The 'mlp' encoder takes 2D features; this modality is a sequence "
                f"of {feature_shape[1]} features per timestep."
            )
        return MLPEncoder(feature_shape[0], hidden_sizes)
    raise ValueError(f"Unknown encoder {spec!r}; expected 'mlp' or a torch.nn.Module.")
