"""The model ``astrolens train --model model.py`` trains: edit this file to try an architecture.

``build_model`` must return a ``keras.Model`` that takes power images as
``(n_periods, n_time_bins, channels)`` inputs (channel 0: scaled log power, channel 1: validity
mask, channels 2 and 3: real and imaginary harmonic coherence), ends in a softmax over
``n_classes`` named ``"class_probabilities"`` (and, if ``period_bins`` > 0, a second softmax over
period bins named ``"period_probabilities"``, the outputs then a dict by name), and names the layer
whose output is the embedding ``"embedding"``. Use built-in Keras layers only, so that the saved
model loads with ``safe_mode=True``. A run trained with this file keeps a copy of it (``model.py``
in the run folder).

As shipped, it builds the default architecture,
:func:`astrolens.encoders.wavelet_cnn.build_wavelet_cnn` (its source is the place to start from)::

    astrolens train --survey demo --model model.py --name my-experiment
"""

from collections.abc import Sequence

import keras

from astrolens.encoders.wavelet_cnn import build_wavelet_cnn


def build_model(
    n_classes: int,
    image_shape: tuple[int, int] = (64, 64),
    channels: int = 4,
    embedding_dim: int = 64,
    filters: Sequence[int] = (8, 16, 32, 64),
    dropout: float = 0.2,
    period_bins: int = 0,
) -> keras.Model:
    """The model to train; arguments come from the training configuration."""
    return build_wavelet_cnn(
        n_classes,
        image_shape=image_shape,
        channels=channels,
        embedding_dim=embedding_dim,
        filters=filters,
        dropout=dropout,
        period_bins=period_bins,
    )
