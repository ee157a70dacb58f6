"""The model ``astrolens train --model model.py`` trains: edit this file to try an architecture.

``build_model`` must return a ``keras.Model`` that takes power images as
``(n_periods, n_time_bins, channels)`` inputs (channel 0: scaled log power, channel 1: validity
mask), ends in a softmax over ``n_classes``, and names the layer whose output is the embedding
``"embedding"``. Use built-in Keras layers only, so that the saved model loads with
``safe_mode=True``. A run trained with this file keeps a copy of it (``model.py`` in the run
folder).

As shipped, it builds the default architecture of :func:`astrolens.models.build_wavelet_cnn`
(its source is the place to start from)::

    astrolens train --survey demo --model model.py --name my-experiment
"""

from collections.abc import Sequence

import keras

from astrolens.models import build_wavelet_cnn


def build_model(
    n_classes: int,
    image_shape: tuple[int, int] = (64, 64),
    channels: int = 2,
    embedding_dim: int = 64,
    filters: Sequence[int] = (8, 16, 32, 64),
    dropout: float = 0.2,
) -> keras.Model:
    """The model to train; arguments come from the training configuration."""
    return build_wavelet_cnn(
        n_classes,
        image_shape=image_shape,
        channels=channels,
        embedding_dim=embedding_dim,
        filters=filters,
        dropout=dropout,
    )
