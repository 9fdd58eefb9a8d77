"""Accuracy against tokens per item, one point per method with its 95 % interval: PNG and SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display, no GUI toolkit

import matplotlib.pyplot as plt


def draw(report: dict[str, Any], stem: Path) -> list[Path]:
    """``<stem>.png`` and ``<stem>.svg``; the paths written."""
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    for method in report["methods"]:
        if not method["items"]:
            continue
        x, y = method["mean_tokens"], method["accuracy"] * 100
        low, high = (v * 100 for v in method["interval_95"])
        axes.errorbar([x], [y], yerr=[[y - low], [high - y]], fmt="o", capsize=4, label=method["name"])
        axes.annotate(method["name"], (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8)
    axes.set_xscale("log")
    axes.set_xlabel("mean tokens per item (log scale)")
    axes.set_ylabel("accuracy, % (95 % interval)")
    axes.set_ylim(0, 100)
    axes.grid(True, alpha=0.3)
    axes.set_title(f"{report['items']} items: accuracy vs tokens")
    if any(m["items"] for m in report["methods"]):
        axes.legend(fontsize=8, loc="best")
    figure.tight_layout()
    paths = []
    for suffix in (".png", ".svg"):
        path = stem.with_suffix(suffix)
        figure.savefig(path, metadata={"Date": None} if suffix == ".svg" else None)
        paths.append(path)
    plt.close(figure)
    return paths
