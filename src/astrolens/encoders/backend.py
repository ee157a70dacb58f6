"""Seeds and thread counts of the Keras/TensorFlow backend, set from a configuration."""

from __future__ import annotations

import warnings

import keras
import tensorflow as tf

__all__ = ["configure_backend"]


def configure_backend(seed: int | None = None, threads: int | None = None) -> None:
    """Seed every random generator Keras uses and set TensorFlow's thread pools.

    Parameters
    ----------
    seed
        Seed of Python's, NumPy's and the backend's generators (``keras.utils.set_random_seed``);
        None leaves them as they are.
    threads
        Threads of TensorFlow's intra-op pool (one inter-op thread); None keeps TensorFlow's
        choice. TensorFlow fixes its pools when it runs its first operation; asking for another
        count afterwards warns and keeps the pools as they are.

    Examples
    --------
    >>> configure_backend(seed=1)
    >>> a = keras.random.uniform((2,))
    >>> configure_backend(seed=1)
    >>> bool((keras.random.uniform((2,)) == a).numpy().all())
    True
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    if threads is None:
        return
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    threading = tf.config.threading
    if threading.get_intra_op_parallelism_threads() == threads:
        return
    try:
        threading.set_intra_op_parallelism_threads(threads)
        threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        warnings.warn(
            f"TensorFlow already runs with its own thread pools; threads={threads} is not applied "
            "(set it before the first model is built, or with TF_NUM_INTRAOP_THREADS)",
            RuntimeWarning,
            stacklevel=2,
        )
