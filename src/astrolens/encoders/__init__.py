"""Encoders by name: what turns a light curve's or an image's representation into its embedding.

Each encoder is one module here and one line below (:func:`register_encoder`); its module is
imported the first time the encoder is used. See :mod:`astrolens.encoders.base` for what an
encoder does.

Examples
--------
>>> encoder_names()[:3], encoder_class("features").representation
(('autoencoder_galaxy', 'autoencoder_hybrid', 'contrastive_galaxy'), 'features')
>>> encoder_class("nope")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: no encoder named 'nope'; known: autoencoder_galaxy, ..., wavelet_cnn
"""

from astrolens.encoders.base import (
    Encoder,
    TrainingData,
    encoder_class,
    encoder_names,
    register_encoder,
)

register_encoder("wavelet_cnn", "astrolens.encoders.wavelet_cnn:WaveletCNN")
register_encoder("features", "astrolens.encoders.features:FeaturesEncoder")
register_encoder("hybrid_cnn", "astrolens.encoders.hybrid_cnn:HybridCNN")
register_encoder("metric_hybrid", "astrolens.encoders.metric_hybrid:MetricHybrid")
register_encoder("contrastive_hybrid", "astrolens.encoders.contrastive_hybrid:ContrastiveHybrid")
register_encoder("masked_hybrid", "astrolens.encoders.masked_hybrid:MaskedHybrid")
register_encoder("autoencoder_hybrid", "astrolens.encoders.autoencoder_hybrid:AutoencoderHybrid")
register_encoder("galaxy_cnn", "astrolens.encoders.galaxy_cnn:GalaxyCNN")
register_encoder("contrastive_galaxy", "astrolens.encoders.contrastive_galaxy:ContrastiveGalaxy")
register_encoder("autoencoder_galaxy", "astrolens.encoders.autoencoder_galaxy:AutoencoderGalaxy")
register_encoder("masked_galaxy", "astrolens.encoders.masked_galaxy:MaskedGalaxy")
register_encoder("morphology_galaxy", "astrolens.encoders.morphology_galaxy:MorphologyGalaxy")

__all__ = [
    "Encoder",
    "TrainingData",
    "encoder_class",
    "encoder_names",
    "register_encoder",
]
