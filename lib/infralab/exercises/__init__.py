"""Exercises that check themselves: feedback, hints and worked solutions computed by ``infralab``.

In a notebook::

    from infralab import exercises
    ex = exercises.load("01")          # or 1, or "01_network_latency"
    answer = None  # your answer
    ex[3].check(answer)                # prints feedback, returns True/False, never raises
    ex[3].hint()                       # a hint, without the answer
    ex[3].solution()                   # the worked solution and the code that computes it
    ex[3].answer()                     # the expected value, computed now by infralab

``check`` recognises common mistakes on numeric answers (a unit off by 1e3 or 1e6, bits versus
bytes, round trip versus one way, percent versus fraction, natural versus base-2 log), and an
exercise can name its own typical slips (``Number(slips=((2.0, "did you count ... twice?"),))``),
whose question replaces the generic words for that factor; a near miss is told by how many percent
it is off, and the feedback states the tolerance. Answers are numbers (:class:`Number`), strings from a fixed set (:class:`Choice`),
booleans (:class:`Boolean`) or tuples of those (:class:`Parts`).

Each notebook's exercises live in one module, ``infralab/exercises/nbNN.py``, which defines
``NOTEBOOK`` (the notebook's file name without ``.ipynb``) and ``EXERCISES`` (a list of
:class:`Exercise`). :func:`load` discovers these modules by their name; there is nothing else to
register.

Recipe for converting a notebook's exercises
--------------------------------------------
1. **Definitions.** Write ``lib/infralab/exercises/nbNN.py`` (copy the layout of ``nb00.py``):

   * ``NOTEBOOK = "NN_name"`` -- the notebook's file name without ``.ipynb``;
   * per exercise, one module-level ``def`` that computes the answer by calling ``infralab``
     with keyword parameters (never return a typed-in constant: :meth:`Exercise.solution`
     prints this function's source as the worked solution, so it is the solution). It must be
     deterministic (fixed seeds) and quick (well under a second: the tests call it);
   * ``EXERCISES = [Exercise(number=N, title=..., kind=..., compute=..., params={...},
     hint_text=..., explanation=...), ...]`` where ``N`` is the number printed in the
     notebook's "### Exercise N" heading, ``kind`` is ``Number(unit=..., rtol=...)``,
     ``Choice((...))``, ``Boolean()`` or ``Parts((kind, kind, ...))``, ``params`` are the
     question's values, ``hint_text`` helps without giving the answer, and ``explanation`` is
     the prose of the old ``<details>`` solution (corrected where it was wrong).
   * An exercise whose honest answer is an explanation gets a checkable part: a number, a
     ``Choice`` or a ``Boolean``, alone or as one part of ``Parts``.

2. **Notebook cells** (edit with nbformat, as the team guide says):

   * once, near the top (the imports cell is fine)::

         from infralab import exercises
         ex = exercises.load("NN")

   * per exercise, a Markdown cell with the heading ``### Exercise N`` and the question, saying
     the answer's form and unit (a number in ms; one of 'ring', 'tree'; True or False; a tuple
     (a, b, c));
   * right after it, one code cell (one per exercise), exactly this shape::

         answer = None  # your answer: <form and unit>
         ex[N].check(answer)
         # ex[N].hint()
         # ex[N].solution()

     When the answer should use a value the notebook measured, keep it on the check line:
     ``ex[N].given(bandwidth_GBps=bw["GBps"]).check(answer)``;
   * delete the old ``<details>`` solution block: ``ex[N].solution()`` replaces it and cannot
     drift from the library.

3. **Commit the placeholders.** The committed notebook keeps ``answer = None``; ``check(None)``
   prints "Not checked: replace None with your answer" and returns False, so the notebook runs
   under nbval (``--nbval-lax``) with no error output. Re-execute the notebook and run
   ``python -m pytest tests/test_exercises.py notebooks/NN_name.ipynb -q``.

4. **What the consistency test reads** (``tests/test_exercises.py``, one test per notebook): the
   source of the code cells as text, comments included, and the Markdown cells.

   * a code cell must contain ``exercises.load("NN")`` with the notebook's own number;
   * a *check cell* is a code cell containing ``.check(``; the line with ``.check(`` must name
     exactly one ``ex[N]``, that exercise must exist in ``nbNN.py``, and the cell must contain the
     line ``answer = None``;
   * every exercise of ``nbNN.py`` must have a check cell, ``ex[N].hint()`` and
     ``ex[N].solution()`` in a code cell, and "Exercise N" in a Markdown cell;
   * a notebook without ``nbNN.py`` is skipped, and one whose ``nbNN.py`` exists but which has no
     check cell yet is an expected failure; both say "not converted yet". Converting the notebook
     turns its test into a real one.

Examples
--------
>>> from infralab import exercises
>>> ex = exercises.load("00")
>>> ex[4].check(None)
Not checked: replace None with your answer (a number in ms).
False
>>> ex[4].check(120_000)
Not quite: 120,000 ms is too large by a factor of 1,000: check the unit prefix ... count as right).
False
>>> ex[4].answer()
120.0
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from ._core import MISTAKES, Boolean, Choice, Exercise, Exercises, Kind, Number, Parts

__all__ = ["load", "available", "Exercise", "Exercises", "Kind", "Number", "Choice", "Boolean",
           "Parts", "MISTAKES"]

_MODULE = re.compile(r"^nb(\d\d)$")


def _modules() -> dict[str, str]:
    """Two-digit notebook number -> module name, for every ``nbNN`` module in this package."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        match = _MODULE.match(info.name)
        if match:
            found[match.group(1)] = f"{__name__}.{info.name}"
    return dict(sorted(found.items()))


def available() -> dict[str, str]:
    """Notebooks that have exercises: two-digit number -> notebook name.

    Examples
    --------
    >>> available()["00"]
    '00_start_here'
    """
    return {num: importlib.import_module(mod).NOTEBOOK for num, mod in _modules().items()}


def _number_of(notebook: int | str) -> str:
    if isinstance(notebook, bool) or not isinstance(notebook, (int, str)):
        raise TypeError(f"notebook must be a number or a name such as '01' or '01_network_latency', "
                        f"got {type(notebook).__name__}")
    text = str(notebook).strip()
    if text.endswith(".ipynb"):
        text = text[: -len(".ipynb")].rsplit("/", 1)[-1]
    match = re.match(r"^(\d{1,2})(?:_(.*))?$", text)
    if not match:
        return ""
    return f"{int(match.group(1)):02d}"


def load(notebook: int | str) -> Exercises:
    """Return a notebook's exercises, indexable by the number printed in the notebook.

    Parameters
    ----------
    notebook : int or str
        The notebook's number or name: ``1``, ``"01"``, ``"01_network_latency"`` (a trailing
        ``.ipynb`` is accepted).

    Returns
    -------
    Exercises
        A mapping from exercise number to :class:`Exercise`; ``ex[99]`` raises KeyError naming the
        valid numbers.

    Raises
    ------
    ValueError
        When the notebook has no exercises here (the message lists the notebooks that do), or a
        name whose number and title disagree.
    TypeError
        When ``notebook`` is neither an int nor a str.

    Examples
    --------
    >>> ex = load("00_start_here")
    >>> ex[3].title
    'fewer threads than elements, and the loop that forgets its stride'
    >>> load(7)
    Traceback (most recent call last):
    ...
    ValueError: no exercises for notebook 7; available: '00' (00_start_here)...
    """
    number = _number_of(notebook)
    modules = _modules()
    if number not in modules:
        listing = ", ".join(f"{num!r} ({name})" for num, name in available().items())
        raise ValueError(f"no exercises for notebook {notebook!r}; available: {listing}")
    module = importlib.import_module(modules[number])
    name = module.NOTEBOOK
    text = str(notebook).strip().removesuffix(".ipynb").rsplit("/", 1)[-1]
    if "_" in text and text != name:
        raise ValueError(f"notebook {notebook!r} does not match the exercises of notebook {number}, "
                         f"which is named {name!r}")
    return Exercises(name, module.EXERCISES)
