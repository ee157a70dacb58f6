"""How good a trained model is: classification scores, retrieval precision, and their figures.

Retrieval is what astrolens is for: for each query embedding, the ``k`` nearest reference
embeddings (Euclidean distance, exact search as :func:`astrolens.index.brute_force_search` does
it, the oracle of the similarity index) are its neighbours, and precision@k is the fraction of
them of the query's class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from astrolens.index import brute_force_search

__all__ = [
    "classification_scores",
    "plot_confusion_matrix",
    "plot_embedding_map",
    "plot_history",
    "retrieval_precision",
]


def retrieval_precision(
    queries: ArrayLike,
    query_labels: ArrayLike,
    references: ArrayLike,
    reference_labels: ArrayLike,
    k: int = 10,
) -> NDArray[np.float64]:
    """Precision@k of each query: the fraction of its ``k`` nearest references of its class.

    Raises
    ------
    ValueError
        If ``k`` is not between 1 and the number of references.

    Examples
    --------
    >>> references = np.array([[0.0], [0.1], [1.0], [1.1]])
    >>> retrieval_precision([[0.05], [0.52]], ["a", "b"], references, ["a", "a", "b", "b"], k=2)
    array([1. , 0.5])
    """
    _, neighbours = brute_force_search(references, queries, k)
    reference_labels = np.asarray(reference_labels)
    same = reference_labels[neighbours] == np.asarray(query_labels)[:, None]
    return same.mean(axis=1)


def classification_scores(
    true_labels: ArrayLike, predicted_labels: ArrayLike, class_names: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, per-class precision, recall, F1 and support, and the confusion matrix.

    Parameters
    ----------
    true_labels, predicted_labels
        Class indices into ``class_names``.
    class_names
        Name of each class index.

    Returns
    -------
    dict
        ``accuracy``, ``per_class`` (``{name: {precision, recall, f1, support}}``), ``macro_f1``
        and ``confusion_matrix`` (rows: true class, columns: predicted, in ``class_names`` order).

    Examples
    --------
    >>> scores = classification_scores([0, 0, 1, 1], [0, 1, 1, 1], ["EA", "EW"])
    >>> scores["accuracy"], scores["per_class"]["EW"]["precision"], scores["confusion_matrix"]
    (0.75, 0.667, [[1, 1], [0, 2]])
    """
    true_labels = np.asarray(true_labels)
    predicted_labels = np.asarray(predicted_labels)
    indices = np.arange(len(class_names))
    precision, recall, f1, support = precision_recall_fscore_support(
        true_labels, predicted_labels, labels=indices, zero_division=0
    )
    per_class = {
        name: {
            "precision": round(float(precision[i]), 3),
            "recall": round(float(recall[i]), 3),
            "f1": round(float(f1[i]), 3),
            "support": int(support[i]),
        }
        for i, name in enumerate(class_names)
    }
    matrix = confusion_matrix(true_labels, predicted_labels, labels=indices)
    return {
        "accuracy": round(float(np.mean(true_labels == predicted_labels)), 4),
        "macro_f1": round(float(np.mean(f1)), 4),
        "per_class": per_class,
        "confusion_matrix": matrix.tolist(),
    }


def plot_history(history: pd.DataFrame, loss_label: str = "cross-entropy loss") -> Figure:
    """Loss (``loss_label`` says which) and accuracy against epoch, training and validation
    (columns as Keras names them); the loss alone for an encoder trained without labels (no
    accuracy column).

    Examples
    --------
    >>> history = pd.DataFrame({"epoch": [1, 2], "loss": [1.0, 0.5], "val_loss": [1.1, 0.7],
    ...                         "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]})
    >>> [ax.get_ylabel() for ax in plot_history(history).axes]
    ['cross-entropy loss', 'accuracy']
    >>> [ax.get_ylabel() for ax in plot_history(history[["epoch", "loss", "val_loss"]]).axes]
    ['cross-entropy loss']
    """
    metrics = [("loss", loss_label)]
    if "accuracy" in history or "loss" not in history:
        metrics.append(("accuracy", "accuracy"))
    figure, axes = plt.subplots(
        1, len(metrics), figsize=(4.5 * len(metrics), 3.5), layout="constrained", squeeze=False
    )
    for ax, (metric, label) in zip(axes[0], metrics, strict=True):
        shown = [prefix for prefix in ("", "val_") if prefix + metric in history]
        for prefix in shown:
            name = "validation" if prefix else "training"
            ax.plot(history["epoch"], history[prefix + metric], marker=".", label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if not shown:  # an encoder that learns no weights epoch by epoch
            ax.text(0.5, 0.5, "not trained by epochs", ha="center", transform=ax.transAxes)
            continue
        if metric == "loss":
            ax.set_yscale("log")
        ax.legend()
    return figure


def plot_confusion_matrix(matrix: ArrayLike, class_names: Sequence[str]) -> Figure:
    """The confusion matrix as fractions of each true class, with the counts written in.

    Examples
    --------
    >>> figure = plot_confusion_matrix([[8, 2], [0, 10]], ["EA", "EW"])
    >>> figure.axes[0].get_xlabel()
    'predicted class'
    """
    counts = np.asarray(matrix, dtype=np.int64)
    fractions = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = 1.0 + 0.45 * len(class_names)
    figure, ax = plt.subplots(figsize=(size + 1.5, size), layout="constrained")
    shown = ax.imshow(fractions, cmap="Blues", vmin=0.0, vmax=1.0)
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(ticks, class_names, fontsize=8)
    for (row, column), count in np.ndenumerate(counts):
        if count:
            color = "white" if fractions[row, column] > 0.5 else "black"
            ax.text(column, row, str(count), ha="center", va="center", fontsize=6, color=color)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    figure.colorbar(shown, ax=ax, label="fraction of true class")
    return figure


def plot_embedding_map(
    embeddings: ArrayLike,
    labels: ArrayLike,
    class_names: Sequence[str],
    *,
    method: str = "tsne",
    max_points: int = 2000,
    seed: int = 0,
) -> Figure:
    """A 2-d map of embeddings (t-SNE or PCA of a random subsample), coloured by class.

    Parameters
    ----------
    embeddings
        ``(N, D)`` embeddings.
    labels
        Class index of each embedding.
    class_names
        Name of each class index, for the legend.
    method
        ``"tsne"`` or ``"pca"``.
    max_points
        Largest subsample mapped (t-SNE takes seconds per thousand points).
    seed
        Seed of the subsample and of t-SNE.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> embeddings = np.r_[rng.normal(0, 1, (20, 8)), rng.normal(5, 1, (20, 8))]
    >>> figure = plot_embedding_map(embeddings, [0] * 20 + [1] * 20, ["EA", "EW"], method="pca")
    >>> figure.axes[0].get_xlabel()
    'PCA 1'
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    if len(embeddings) > max_points:
        chosen = np.sort(rng.choice(len(embeddings), max_points, replace=False))
        embeddings, labels = embeddings[chosen], labels[chosen]
    if method == "tsne":
        perplexity = min(30.0, max(2.0, (len(embeddings) - 1) / 3))
        points = TSNE(perplexity=perplexity, init="pca", random_state=seed).fit_transform(
            embeddings
        )
        axis_name = "t-SNE"
    elif method == "pca":
        points = PCA(n_components=2, random_state=seed).fit_transform(embeddings)
        axis_name = "PCA"
    else:
        raise ValueError(f"method must be 'tsne' or 'pca', got {method!r}")
    figure, ax = plt.subplots(figsize=(8, 6.5), layout="constrained")
    colours = plt.get_cmap("tab20")
    for index, name in enumerate(class_names):
        selected = labels == index
        if selected.any():
            ax.scatter(*points[selected].T, s=5, color=colours(index % 20), label=name)
    ax.set_xlabel(f"{axis_name} 1")
    ax.set_ylabel(f"{axis_name} 2")
    ax.set_title(f"embeddings of {len(embeddings)} test objects")
    ax.legend(markerscale=3, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return figure
