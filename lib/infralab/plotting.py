"""The course's plot style: readable fonts and colorblind-safe colours, applied on request.

Colours are the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008), distinguishable
under the common forms of colour-vision deficiency; line styles differ too, so plots survive
greyscale printing. Nothing changes until a notebook calls :func:`use_course_style`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import _checks

#: Okabe-Ito: orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple, black.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
#: A sequential colormap that is perceptually uniform and colorblind-safe (for fields, e.g. temperature).
SEQUENTIAL_CMAP = "cividis"
LINESTYLES = ("-", "--", "-.", ":")


def use_course_style() -> None:
    """Set matplotlib's defaults for the course: font sizes, the Okabe-Ito cycle, a light grid.

    Limits: no arguments; bounded work.
    """
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update({
        "figure.figsize": (8.0, 4.5),
        "figure.dpi": 100,
        "font.size": 12,
        "axes.titlesize": 13,
        "axes.labelsize": 12,
        "legend.fontsize": 10,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.prop_cycle": cycler(color=list(OKABE_ITO[:7])),
        "image.cmap": SEQUENTIAL_CMAP,
    })


def color(i: int) -> str:
    """The i-th colour of the palette (cycling). Limits: ``i`` an int, 0..2**63 - 1."""
    i = _checks.integer("i", i, low=0, high=2**63 - 1)
    return OKABE_ITO[i % 7]


def labelled_axes(ax, title: str, xlabel: str, ylabel: str, *, logx: bool = False,
                  logy: bool = False, legend: bool = True):
    """Give ``ax`` its title, axis labels (with units, by convention) and optional log scales.

    Limits: ``ax`` a matplotlib Axes; the labels strings of at most 10000 characters; the flags bools.
    """
    _checks.axes("ax", ax)
    for name, value in (("title", title), ("xlabel", xlabel), ("ylabel", ylabel)):
        _checks.text(name, value)
    for name, value in (("logx", logx), ("logy", logy), ("legend", legend)):
        _checks.boolean(name, value)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend()
    return ax


def stacked_bars(ax, groups: dict[str, dict[str, float]], unit: str = "") -> None:
    """Horizontal stacked bars: one bar per group, one segment per component, labelled.

    Limits: ``ax`` a matplotlib Axes; ``groups`` a non-empty dict of at most 100 groups, each a dict
    of 1..100 components with finite values >= 0 (a positive total); ``unit`` a string.
    """
    _checks.axes("ax", ax)
    _checks.text("unit", unit, max_len=100)
    if not isinstance(groups, dict) or not 1 <= len(groups) <= 100:
        raise TypeError("groups must be a dict of 1..100 groups")
    for g, parts in groups.items():
        _checks.text("group name", g, max_len=200)
        if not isinstance(parts, dict) or not 1 <= len(parts) <= 100:
            raise TypeError(f"groups[{g!r}] must be a dict of 1..100 components")
        for part, value in parts.items():
            _checks.text("component name", part, max_len=200)
            _checks.nonnegative(f"groups[{g!r}][{part!r}]", value)
    _checks.derived("the largest total", max(sum(g.values()) for g in groups.values()), "groups", positive=True)
    names = list(groups)
    for row, name in enumerate(names):
        left = 0.0
        for j, (part, value) in enumerate(groups[name].items()):
            ax.barh(row, value, left=left, color=color(j + 3 * row), edgecolor="white")
            if value > 0.04 * max(sum(g.values()) for g in groups.values()):
                ax.text(left + value / 2, row, f"{part}\n{value:g}{unit}", ha="center", va="center", fontsize=8)
            left += value
    ax.set_yticks(range(len(names)), names)


def mark_vertical(ax, x: float, text: str, i: int = 7) -> None:
    """A dashed vertical marker with a label at the top of the axes.

    Limits: ``ax`` a matplotlib Axes, ``x`` finite, ``text`` a string, ``i`` an int 0..2**63 - 1.
    """
    _checks.axes("ax", ax)
    x = _checks.real("x", x)
    _checks.text("text", text)
    i = _checks.integer("i", i, low=0, high=2**63 - 1)
    ax.axvline(x, color=OKABE_ITO[i % 8], ls="--", lw=1)
    ax.annotate(text, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -12),
                textcoords="offset points", fontsize=9)


def sizes_label(values: Sequence[float]) -> list[str]:
    """Human-readable byte sizes (B, KB, MB, GB; powers of 1000).

    Limits: 1..10**6 finite values >= 0.
    """
    values = _checks.float_array("values", values, ndim=1, max_size=10**6)
    if np.any(values < 0):
        raise ValueError("values must be >= 0")
    out = []
    for v in values:
        for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("B", 1)):
            if v >= scale or unit == "B":
                out.append(f"{v / scale:g} {unit}")
                break
    return out
