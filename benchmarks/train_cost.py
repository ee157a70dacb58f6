"""What the neighbour loss costs in training time: epochs of the default model with and without it.

Loads the cached representations of the default model's survey once, then fits the hybrid encoder
for ``--epochs`` epochs with the neighbour loss and without it, alternately (``--repeats`` times
each, so that a change in the machine's load falls on both), and prints the median seconds per
epoch (the ``seconds`` column of the fit's history; the first epoch of each fit, which builds
the graph, left out) and their ratio.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/train_cost.py [--epochs 3] [--repeats 2]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time

import numpy as np

from astrolens.encoders import encoder_class
from astrolens.modalities.lightcurve import period_range_days
from astrolens.runs import load_run
from astrolens.splits import TrainingData
from astrolens.training import run_split, run_survey_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="runs/default", help="run whose configuration is fitted")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    run = load_run(args.run)
    kind = encoder_class(run.config.encoder)
    data = run_survey_data(run, kind.representation, workers=2)
    class_names = tuple(run.class_names)
    labels = np.array([class_names.index(label) for label in data.labels], dtype=np.int64)
    split = run_split(data.object_ids, labels, run.config)
    inputs = kind.model_inputs(data.arrays, run.config)
    periods = period_range_days(kind.representation, run.wavelet)
    training = TrainingData(inputs, labels, class_names, data.catalog, split, periods)
    configs = {
        "with": dataclasses.replace(run.config, epochs=args.epochs, neighbour_weight=1.0),
        "without": dataclasses.replace(run.config, epochs=args.epochs, neighbour_weight=0.0),
    }
    seconds: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(args.repeats):
        for name, config in configs.items():
            encoder = kind.create(config, class_names, inputs.shape[1:])
            epochs = encoder.fit(training, progress=False)["seconds"].tolist()
            seconds[name] += epochs[1:]
            print(name, [round(value, 1) for value in epochs], flush=True)
    medians = {name: float(np.median(values)) for name, values in seconds.items()}
    results = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "seconds_per_epoch": {name: round(value, 1) for name, value in medians.items()},
        "ratio_with_to_without": round(medians["with"] / medians["without"], 3),
    }
    print(json.dumps(results, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            file.write(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
