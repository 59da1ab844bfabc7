"""Code run inside a notebook's kernel by ``test_widget_sweep.py``: a figure-overlap hook and a widget sweep.

``install()`` runs before the notebook's first cell. It wraps matplotlib's ``print_figure`` (every
figure a notebook shows passes through it, inline or saved) so that each rendered figure's text
boxes are checked for overlaps, and counts cells with IPython's ``pre_run_cell`` event.
``sweep()`` runs after the last cell: it sets every control of every live interactive figure to its
minimum, maximum, midpoint and every option, one control at a time with the others at their
defaults, and records exceptions (also those ``interactive`` and ``Output`` only print through
``showtraceback``) and warnings from the course's code or numerics. ``report()`` prints JSON.
"""

import json
import sys
import time
import warnings

STATE = {"cell": -1, "overlaps": [], "figures": 0, "controls": 0, "settings": 0, "failures": []}


def _boxes(fig, renderer):
    """``(label, bbox)`` of every visible, non-empty text element of ``fig`` that is drawn."""
    out = []

    def add(label, artist):
        try:
            if artist is None or not artist.get_visible():
                return
            if hasattr(artist, "get_text") and not artist.get_text().strip():
                return
            box = artist.get_window_extent(renderer)
        except Exception:
            return
        if box.width > 0 and box.height > 0:
            out.append((label, box))

    for k, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        name = f"axes {k}" + (f" ({ax.get_title()!r})" if ax.get_title() else "")
        for axis_name, axis in (("x", getattr(ax, "xaxis", None)), ("y", getattr(ax, "yaxis", None))):
            if axis is None or not axis.get_visible():
                continue
            try:
                ticks = axis._update_ticks()          # only the ticks matplotlib draws
            except Exception:
                ticks = []
            for t in ticks:
                for lab in (t.label1, t.label2):
                    if lab.get_visible():
                        add(f"{name} {axis_name}-tick {lab.get_text()!r}", lab)
            add(f"{name} {axis_name}-label {axis.label.get_text()!r}", axis.label)
            add(f"{name} {axis_name} offset text", axis.get_offset_text())
        for attr in ("title", "_left_title", "_right_title"):
            t = getattr(ax, attr, None)
            if t is not None:
                add(f"{name} title {t.get_text()!r}", t)
        for t in ax.texts:
            add(f"{name} text {t.get_text()[:40]!r}", t)
        legend = ax.get_legend()
        if legend is not None:
            add(f"{name} legend", legend)
    sup = getattr(fig, "_suptitle", None)
    for t in fig.texts:
        if t is not sup and t is not getattr(fig, "_supxlabel", None) and t is not getattr(fig, "_supylabel", None):
            add(f"figure text {t.get_text()[:40]!r}", t)
    for attr in ("_supxlabel", "_supylabel"):
        t = getattr(fig, attr, None)
        if t is not None:
            add(f"figure {attr[1:]} {t.get_text()[:40]!r}", t)
    if sup is not None:
        add(f"suptitle {sup.get_text()[:40]!r}", sup)
    for lg in fig.legends:
        add("figure legend", lg)
    return out


def overlaps(fig, renderer, slack=2.0):
    """Pairs of text boxes of ``fig`` that clash.

    Two boxes clash when they intersect, or when they come within ``slack`` pixels of each other
    along one axis while sharing more than ``slack`` pixels along the other (aligned text that
    touches reads as one word or one line). Boxes that only meet at a corner (matplotlib's default
    x- and y-tick labels at the origin, whose ink is several pixels apart) do not clash, and neither
    does a box inside its own legend.
    """
    boxes = _boxes(fig, renderer)
    found = []
    for i in range(len(boxes)):
        a_lab, a = boxes[i]
        for j in range(i + 1, len(boxes)):
            b_lab, b = boxes[j]
            w = min(a.x1, b.x1) - max(a.x0, b.x0)      # shared width (negative: the horizontal gap)
            h = min(a.y1, b.y1) - max(a.y0, b.y0)      # shared height (negative: the vertical gap)
            clash = (w > 0 and h > 0) or (w > -slack and h > slack) or (h > -slack and w > slack)
            if clash:
                nested = ((a.x0 <= b.x0 and a.x1 >= b.x1 and a.y0 <= b.y0 and a.y1 >= b.y1 and "legend" in a_lab)
                          or (b.x0 <= a.x0 and b.x1 >= a.x1 and b.y0 <= a.y0 and b.y1 >= a.y1 and "legend" in b_lab))
                if not nested:
                    found.append((a_lab, b_lab))
    return found


def _check_figure(fig):
    try:
        # a fresh layout at the figure's own dpi: print_figure may have drawn at another dpi
        fig.draw_without_rendering()
        renderer = fig._get_renderer()
    except Exception:
        return
    STATE["figures"] += 1
    title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    if not title:
        title = next((ax.get_title() for ax in fig.axes if ax.get_title()), "")
    for a, b in overlaps(fig, renderer):
        entry = {"cell": STATE["cell"], "figure": title, "pair": [a, b], "sweep": STATE.get("setting")}
        if entry not in STATE["overlaps"]:
            STATE["overlaps"].append(entry)


_PNG = []


def _tiny_png():
    """The bytes of a 1x1 PNG (made once)."""
    if not _PNG:
        import io
        import matplotlib.image
        import numpy as np
        buf = io.BytesIO()
        matplotlib.image.imsave(buf, np.zeros((1, 1, 3)), format="png")
        _PNG.append(buf.getvalue())
    return _PNG[0]


def install():
    STATE["t0"] = time.perf_counter()
    import matplotlib
    import matplotlib.backend_bases as bb
    from IPython import get_ipython

    # Figures reach print_figure only through a backend that displays them, as JupyterLab's inline
    # one does; under Agg (MPLBACKEND=Agg, as CI exports) plt.show() draws nothing and the overlap
    # check would see no figure. The test starts the kernel with the inline backend and checks this.
    STATE["backend"] = matplotlib.get_backend()

    original = bb.FigureCanvasBase.print_figure

    def print_figure(self, *args, **kwargs):
        if STATE.get("setting") is not None and args and hasattr(args[0], "write"):
            # During the sweep only exceptions and warnings matter: lay the figure out and draw it
            # (where a bad setting raises), but skip the tight-bbox second pass and the PNG encoding,
            # and hand the display a tiny valid PNG instead.
            self.figure.draw_without_rendering()
            args[0].write(_tiny_png())
            return None
        result = original(self, *args, **kwargs)
        if STATE.get("setting") is None:          # overlaps are checked at the defaults
            _check_figure(self.figure)
        return result

    bb.FigureCanvasBase.print_figure = print_figure
    ip = get_ipython()

    def pre(info=None):
        STATE["cell"] += 1

    ip.events.register("pre_run_cell", pre)


def _settings(w):
    """The values to sweep for control ``w``: min, max, midpoint, every option; [] for none."""
    import ipywidgets as W

    if isinstance(w, (W.SelectionSlider, W.Dropdown, W.RadioButtons, W.ToggleButtons, W.Select)):
        return [("option", v) for v in _option_values(w)]
    if isinstance(w, W.SelectionRangeSlider):
        n = len(w.options)
        return [("range", (0, n - 1)), ("range", (0, 0)), ("range", (n - 1, n - 1))] if n else []
    if isinstance(w, (W.Checkbox, W.ToggleButton)):
        return [("option", True), ("option", False)]
    if isinstance(w, W.FloatLogSlider):
        return [("min", w.base ** w.min), ("max", w.base ** w.max), ("mid", w.base ** ((w.min + w.max) / 2))]
    if isinstance(w, (W.IntRangeSlider, W.FloatRangeSlider)):
        mid = (w.min + w.max) / 2
        if isinstance(w, W.IntRangeSlider):
            mid = int(mid)
        return [("min", (w.min, w.min)), ("max", (w.max, w.max)), ("mid", (w.min, mid)), ("full", (w.min, w.max))]
    if isinstance(w, (W.IntSlider, W.BoundedIntText, W.IntText)) and hasattr(w, "min"):
        step = getattr(w, "step", 1) or 1
        mid = w.min + ((w.max - w.min) // 2 // step) * step
        return [("min", w.min), ("max", w.max), ("mid", mid)]
    if isinstance(w, (W.FloatSlider, W.BoundedFloatText)) and hasattr(w, "min"):
        step = getattr(w, "step", None)
        mid = (w.min + w.max) / 2
        if step:
            mid = w.min + round((mid - w.min) / step) * step
        return [("min", w.min), ("max", w.max), ("mid", mid)]
    return []


def _option_values(w):
    opts = list(w.options)
    out = []
    for o in opts:
        out.append(o[1] if isinstance(o, tuple) and len(o) == 2 else o)
    return out


def _course_warning(wm):
    """True when a caught warning belongs to the course's code or its numerics."""
    cat = wm.category
    fname = str(wm.filename)
    if issubclass(cat, RuntimeWarning):
        return True
    try:
        from numba.core.errors import NumbaWarning
        if issubclass(cat, NumbaWarning):
            return True
    except Exception:
        pass
    return "infralab" in fname or "ipykernel" in fname or fname.startswith("<ipython")


def _has_observers(w):
    notifiers = getattr(w, "_trait_notifiers", {}).get("value", {})
    return any(notifiers.get(k) for k in ("change", "All")) if isinstance(notifiers, dict) else False


def sweep():
    import ipywidgets as W
    from IPython import get_ipython

    ip = get_ipython()
    STATE["run_all_s"] = round(time.perf_counter() - STATE["t0"], 1)
    registry = getattr(W.widgets.widget, "_instances", None)
    if registry is None:                              # ipywidgets 7
        registry = W.Widget.widgets
    live = list(registry.values())
    interactives = [w for w in live if isinstance(w, W.interactive)]
    owner = {}
    for it in interactives:
        for child in getattr(it, "kwargs_widgets", []):
            owner[id(child)] = it
    controls = [w for w in live if _settings(w) and (id(w) in owner or _has_observers(w))]
    caught = []
    original_showtraceback = ip.showtraceback

    def showtraceback(exc_tuple=None, *args, **kwargs):
        # interactive.update calls it inside its except clause; Output.__exit__ passes the exception
        etype, value, _ = exc_tuple if exc_tuple is not None else sys.exc_info()
        caught.append(f"{getattr(etype, '__name__', etype)}: {value}")

    ip.showtraceback = showtraceback
    try:
        for w in controls:
            STATE["controls"] += 1
            label = f"{type(w).__name__} {w.description!r}" if getattr(w, "description", "") else type(w).__name__
            default = w.value
            for how, value in _settings(w):
                STATE["settings"] += 1
                STATE["setting"] = f"{label} = {value!r}"
                caught.clear()
                t_set = time.perf_counter()
                with warnings.catch_warnings(record=True) as ws:
                    warnings.simplefilter("always")
                    try:
                        w.value = value
                        it = owner.get(id(w))
                        if it is not None and getattr(it, "manual", False):
                            it.update()
                    except Exception as err:
                        caught.append(f"{type(err).__name__}: {err}")
                STATE.setdefault("slowest", []).append((round(time.perf_counter() - t_set, 2), STATE["setting"]))
                bad = [f"{wm.category.__name__}: {wm.message} ({wm.filename}:{wm.lineno})"
                       for wm in ws if _course_warning(wm)]
                for problem in caught[:3] + bad[:3]:
                    STATE["failures"].append({"control": label, "setting": how, "value": repr(value),
                                              "problem": problem[:400]})
            STATE["setting"] = "restoring"
            try:
                w.value = default
            except Exception:
                pass
    finally:
        ip.showtraceback = original_showtraceback
        STATE["setting"] = None
        import matplotlib.pyplot as plt
        plt.close("all")
        STATE["sweep_s"] = round(time.perf_counter() - STATE["t0"] - STATE["run_all_s"], 1)


def report():
    out = {k: STATE.get(k) for k in ("backend", "overlaps", "figures", "controls", "settings", "failures",
                                      "run_all_s", "sweep_s")}
    out["slowest"] = sorted(STATE.get("slowest", []), reverse=True)[:5]
    print("W7SWEEP" + json.dumps(out))
