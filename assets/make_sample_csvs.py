"""Generate the two synthetic sample CSVs in assets/ (seeded, reproducible)."""
import csv
import sys
from pathlib import Path

import numpy as np

out = Path(sys.argv[1] if len(sys.argv) > 1 else "assets")
rng = np.random.default_rng(2024)

# flowers.csv: 3 species x 50 rows, 4 measurements (synthetic, iris-like means/spreads).
species = {
    "setosa": ([5.0, 3.4, 1.5, 0.25], [0.35, 0.38, 0.17, 0.10]),
    "versicolor": ([5.9, 2.8, 4.3, 1.33], [0.52, 0.31, 0.47, 0.20]),
    "virginica": ([6.6, 3.0, 5.55, 2.03], [0.64, 0.32, 0.55, 0.27]),
}
rows = []
for name, (mean, std) in species.items():
    values = rng.normal(mean, std, size=(50, 4)).clip(0.1)
    rows += [[f"{v:.1f}" for v in row] + [name] for row in values]
rows = [rows[i] for i in rng.permutation(len(rows))]
with (out / "flowers.csv").open("w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
    w.writerows(rows)

# exams.csv: 200 students, two exam scores, admitted 0/1 by a noisy linear rule.
scores = rng.uniform(30, 100, size=(200, 2))
logit = 0.12 * (scores[:, 0] + scores[:, 1] - 130) + rng.normal(0, 1.0, 200)
admitted = (logit > 0).astype(int)
with (out / "exams.csv").open("w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["exam1", "exam2", "admitted"])
    for (a, b), y in zip(scores, admitted, strict=True):
        w.writerow([f"{a:.1f}", f"{b:.1f}", int(y)])
