"""Encoders by name: what turns a light curve's representation into its embedding.

Each encoder is one module here and one line below (:func:`register_encoder`); its module is
imported the first time the encoder is used. See :mod:`astrolens.encoders.base` for what an
encoder does.

Examples
--------
>>> encoder_names(), encoder_class("features").representation
(('features', 'hybrid_cnn', 'metric_hybrid', 'wavelet_cnn'), 'features')
>>> encoder_class("nope")
Traceback (most recent call last):
...
ValueError: no encoder named 'nope'; known: features, hybrid_cnn, metric_hybrid, wavelet_cnn
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

__all__ = [
    "Encoder",
    "TrainingData",
    "encoder_class",
    "encoder_names",
    "register_encoder",
]
