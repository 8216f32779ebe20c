"""gsn_torch: the GSN Studio models in PyTorch, reading and writing the studio's checkpoints.

Dependencies: torch and numpy only. See docs/beyond-one-machine.md.
"""

from .checkpoint import CheckpointError, Info, TrainState, load, save  # noqa: F401
from .models import Corruption, Dae, GsnK, NoNoise, PhiloxNoise, Rbm, TorchNoise, create_model  # noqa: F401

__version__ = "1"
