"""The machinery behind :mod:`infralab.exercises`: answer kinds, one exercise, one notebook's set.

An answer *kind* knows what a learner may type and how to compare it with the expected value:
:class:`Number` (relative tolerance, recognised mistakes), :class:`Choice` (a string from a fixed
set), :class:`Boolean` and :class:`Parts` (a tuple whose parts each have their own kind). Every
kind's :meth:`compare` returns ``(ok, message)`` and never raises, whatever it is given.

An :class:`Exercise` ties a kind to a ``compute`` callable (the code, calling ``infralab``, that
produces the expected answer from the exercise's parameters), a hint and a worked explanation.
:class:`Exercises` is one notebook's exercises, indexed by the number printed in the notebook.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import numbers
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

#: Recognised numeric mistakes: name -> (factor, what it usually means). A learner's value equal
#: (within the exercise's tolerance) to ``expected * factor`` or ``expected / factor`` gets the text.
MISTAKES: Mapping[str, tuple[float, str]] = MappingProxyType({
    "x1e3": (1e3, "a factor of 1,000: check the unit prefix (ms vs s, kW vs W, GB vs MB)"),
    "x1e6": (1e6, "a factor of 1,000,000: check the unit prefix (us vs s, MW vs W, TB vs MB)"),
    "x8": (8.0, "a factor of 8: bits versus bytes?"),
    "x2": (2.0, "a factor of 2: round trip versus one way?"),
    "x100": (100.0, "a factor of 100: percent versus fraction?"),
    "ln2": (math.log(2.0), "a factor of ln 2 (0.693): natural log versus base-2 log?"),
    "sign": (-1.0, "the wrong sign"),
})

_REPLACE_NONE = "replace None with your answer"


def _fmt(x: float, sig: int = 4) -> str:
    """A readable rendering of a float: thousands separators in the everyday range, else e-notation."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if 1e-3 <= abs(x) < 1e9:
        digits = max(0, sig - 1 - math.floor(math.log10(abs(x))))
        text = f"{x:,.{digits}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    return f"{x:.{sig - 1}e}"


def _short(value: Any, limit: int = 40) -> str:
    """repr of a learner's value, never raising and never longer than ``limit``."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not break the feedback
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type_name(value: Any) -> str:
    return type(value).__name__


def _pct(rtol: float) -> str:
    return f"{rtol * 100:g}%"


class Kind:
    """Base class of the answer kinds. Subclasses define :meth:`compare` and :meth:`format`."""

    #: Words for the feedback: what a learner should type.
    expects: str = "an answer"

    def compare(self, value: Any, expected: Any) -> tuple[bool, str]:  # pragma: no cover - abstract
        """Return ``(ok, feedback)`` for ``value`` against ``expected``; never raises."""
        raise NotImplementedError

    def format(self, expected: Any) -> str:  # pragma: no cover - abstract
        """The expected value as a solution prints it."""
        raise NotImplementedError

    def validate_expected(self, expected: Any) -> None:
        """Raise ValueError when ``compute`` returned something this kind cannot hold (a definition bug)."""


@dataclasses.dataclass(frozen=True)
class Number(Kind):
    """A real number compared with a relative tolerance.

    Parameters
    ----------
    unit : str
        The unit the answer is asked in (shown in feedback), e.g. ``"ms"``; ``""`` for none.
    rtol : float
        Relative tolerance, 0 < rtol < 0.25 (0.02 means within 2 %).
    atol : float
        Absolute tolerance in ``unit`` (for answers that may be 0), >= 0.
    mistakes : sequence of str
        Names from :data:`MISTAKES` recognised for this answer (default: all).
    slips : sequence of (float, str)
        This exercise's own common slips: ``(factor, question)`` pairs. A value within the tolerance
        of ``expected * factor`` gets "is too large (small) by a factor of F: question". They are
        checked before :data:`MISTAKES`, so a slip by a factor that a generic mistake also names
        (2, 8, ...) gets the exercise's words. A factor must be finite, positive and not 1; list
        ``2.0`` and ``0.5`` separately when both directions are typical, each with its own question.

    Examples
    --------
    >>> Number(unit="ms", rtol=0.02).compare(12.1, 12.0)
    (True, 'Correct: 12.1 ms (answers within 2% of the expected value count as right).')
    >>> ok, text = Number(unit="ms").compare(12_000.0, 12.0)
    >>> ok, "unit prefix" in text
    (False, True)
    >>> kind = Number(unit="ulp", rtol=0.01, slips=((2.0, "did you give a bound rather than the largest gap?"),))
    >>> print(kind.compare(2, 1)[1])
    Not quite: 2 ulp is too large by a factor of 2: did you give a bound rather than the largest gap? (answers within 1% of the expected value count as right).
    """

    unit: str = ""
    rtol: float = 0.02
    atol: float = 0.0
    mistakes: tuple[str, ...] = tuple(MISTAKES)
    slips: tuple[tuple[float, str], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.unit, str):
            raise TypeError(f"unit must be a string, got {_type_name(self.unit)}")
        if not (isinstance(self.rtol, (int, float)) and 0 < self.rtol < 0.25):
            raise ValueError(f"rtol must be a number in (0, 0.25), got {self.rtol!r}")
        if not (isinstance(self.atol, (int, float)) and 0 <= self.atol < math.inf):
            raise ValueError(f"atol must be a finite number >= 0, got {self.atol!r}")
        object.__setattr__(self, "mistakes", tuple(self.mistakes))
        unknown = [m for m in self.mistakes if m not in MISTAKES]
        if unknown:
            raise ValueError(f"mistakes must be names from {tuple(MISTAKES)}, got {unknown}")
        try:
            slips = tuple((float(f), t) for f, t in self.slips)
        except (TypeError, ValueError):
            raise ValueError(f"slips must be (factor, question) pairs, got {self.slips!r}") from None
        for f, t in slips:
            if not (math.isfinite(f) and f > 0 and f != 1):
                raise ValueError(f"a slip's factor must be finite, positive and not 1, got {f!r}")
            if not isinstance(t, str) or not t.strip():
                raise ValueError(f"a slip's question must be a non-empty string, got {t!r}")
        object.__setattr__(self, "slips", slips)

    @property
    def expects(self) -> str:  # type: ignore[override]
        return "a number" + (f" in {self.unit}" if self.unit else "")

    def tolerance_text(self) -> str:
        """The tolerance in words, as the feedback states it."""
        text = f"answers within {_pct(self.rtol)} of the expected value count as right"
        if self.atol:
            text += f", or within {_fmt(self.atol)}{self._u()}"
        return text

    def _u(self) -> str:
        return f" {self.unit}" if self.unit else ""

    def format(self, expected: Any) -> str:
        return _fmt(float(expected)) + self._u()

    def validate_expected(self, expected: Any) -> None:
        if isinstance(expected, (bool, np.bool_)) or not isinstance(expected, (numbers.Real, np.number)):
            raise ValueError(f"a Number exercise must compute a real number, got {_type_name(expected)}")
        if not math.isfinite(float(expected)):
            raise ValueError(f"a Number exercise must compute a finite number, got {expected!r}")

    def close(self, x: float, target: float) -> bool:
        """True when ``x`` is within the tolerance of ``target``."""
        return abs(x - target) <= max(self.rtol * abs(target), self.atol)

    def _as_float(self, value: Any) -> tuple[float | None, str]:
        """The learner's value as a float, or None and the reason it is not a usable number."""
        if isinstance(value, (bool, np.bool_)):
            return None, f"expected {self.expects}, got a boolean ({value!r})"
        if isinstance(value, str):
            return None, (f"expected {self.expects}, got the string {_short(value)}: "
                          "write the number without quotes")
        if not isinstance(value, (numbers.Real, np.integer, np.floating)):
            return None, f"expected {self.expects}, got {_type_name(value)} {_short(value)}"
        try:
            x = float(value)
        except OverflowError:  # an int too large for a float
            x = math.inf if value > 0 else -math.inf
        except Exception:
            return None, f"expected {self.expects}, got {_type_name(value)} that is not a usable number"
        return x, ""

    def compare(self, value: Any, expected: Any) -> tuple[bool, str]:
        if value is None:
            return False, f"Not checked: {_REPLACE_NONE} ({self.expects})."
        x, reason = self._as_float(value)
        if x is None:
            return False, f"Wrong type: {reason}."
        exp = float(expected)
        tol = f"({self.tolerance_text()})"
        if math.isnan(x):
            return False, f"Not a number: your answer is NaN; check the calculation that produced it {tol}."
        if not math.isfinite(x):
            return False, ("Not quite: your answer is infinite or too large for a float; "
                           f"the answer is a finite number {tol}.")
        shown = _fmt(x) + self._u()
        if self.close(x, exp):
            return True, f"Correct: {shown} {tol}."
        mistake = self._mistake(x, exp)
        if mistake:
            return False, f"Not quite: {shown} {mistake} {tol}."
        side = "too large" if x > exp else "too small"
        off = abs(x - exp) / abs(exp) if exp else math.inf
        if off < 0.2:   # close: say by how much, so a rounded or approximate answer knows it is near
            side = f"{off:.1%} {side}"
        return False, f"Not quite: {shown} is {side} {tol}. Try .hint()."

    def _mistake(self, x: float, exp: float) -> str:
        """Words for the recognised mistake that ``x`` matches (after "your value"), or ``""``."""
        if exp == 0:
            return ""
        direction = "too large" if abs(x) > abs(exp) else "too small"
        slips = [(factor, f"is {direction} by a factor of {_fmt(max(factor, 1 / factor))}: {question}")
                 for factor, question in self.slips]
        generic = [(f, f"has {text}" if factor < 0 else f"is {direction} by {text}")
                   for factor, text in (MISTAKES[name] for name in self.mistakes)
                   for f in ((factor,) if factor < 0 else (factor, 1 / factor))]
        # the exercise's own slips come first; among each group the closest match wins
        return self._closest(x, exp, slips) or self._closest(x, exp, generic)

    def _closest(self, x: float, exp: float, candidates: list[tuple[float, str]]) -> str:
        """The words of the candidate ``(factor, words)`` whose ``exp * factor`` is within tolerance of
        ``x`` and nearest to it (relative error), or ``""`` when none is."""
        best, best_err = "", math.inf
        for factor, words in candidates:
            target = exp * factor
            if self.close(x, target):
                err = abs(x - target) / abs(target)
                if err < best_err:
                    best, best_err = words, err
        return best


@dataclasses.dataclass(frozen=True)
class Choice(Kind):
    """One string from a fixed set, compared ignoring case, spaces, ``-`` and ``_``.

    Parameters
    ----------
    options : sequence of str
        The allowed answers (at least 2, distinct after normalising).

    Examples
    --------
    >>> Choice(("ring", "tree")).compare(" Ring ", "ring")
    (True, "Correct: 'ring'.")
    >>> Choice(("ring", "tree")).compare("star", "ring")[0]
    False
    """

    options: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        opts = tuple(self.options)
        if len(opts) < 2 or not all(isinstance(o, str) and o.strip() for o in opts):
            raise ValueError(f"options must be at least 2 non-empty strings, got {self.options!r}")
        if len({self.normalise(o) for o in opts}) != len(opts):
            raise ValueError(f"options must differ after ignoring case, spaces, '-' and '_': {opts}")
        object.__setattr__(self, "options", opts)

    @staticmethod
    def normalise(text: str) -> str:
        """Case-folded, with whitespace, ``-`` and ``_`` removed."""
        return "".join(str.split(text)).replace("-", "").replace("_", "").casefold()

    @property
    def expects(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(repr(o) for o in self.options)

    def format(self, expected: Any) -> str:
        return repr(expected)

    def validate_expected(self, expected: Any) -> None:
        if expected not in self.options:
            raise ValueError(f"a Choice exercise must compute one of {self.options}, got {expected!r}")

    def compare(self, value: Any, expected: Any) -> tuple[bool, str]:
        if value is None:
            return False, f"Not checked: {_REPLACE_NONE} ({self.expects})."
        if not isinstance(value, str):
            return False, f"Wrong type: expected a string, {self.expects}; got {_type_name(value)}."
        key = self.normalise(value)
        match = [o for o in self.options if self.normalise(o) == key]
        if not match:
            return False, f"Not one of the options: {_short(value)}; expected {self.expects}."
        if match[0] == expected:
            return True, f"Correct: {match[0]!r}."
        return False, f"Not quite: {match[0]!r} is not the right choice. Try .hint()."


@dataclasses.dataclass(frozen=True)
class Boolean(Kind):
    """``True`` or ``False`` (a Python or NumPy bool; strings and 0/1 are refused with a reason).

    Examples
    --------
    >>> Boolean().compare(True, True)
    (True, 'Correct: True.')
    >>> Boolean().compare("True", True)[1]
    "Wrong type: expected True or False without quotes, got str 'True'."
    """

    expects = "True or False"

    def format(self, expected: Any) -> str:
        return repr(bool(expected))

    def validate_expected(self, expected: Any) -> None:
        if not isinstance(expected, (bool, np.bool_)):
            raise ValueError(f"a Boolean exercise must compute a bool, got {_type_name(expected)}")

    def compare(self, value: Any, expected: Any) -> tuple[bool, str]:
        if value is None:
            return False, f"Not checked: {_REPLACE_NONE} ({self.expects})."
        if not isinstance(value, (bool, np.bool_)):
            return False, (f"Wrong type: expected True or False without quotes, got "
                           f"{_type_name(value)} {_short(value)}.")
        if bool(value) == bool(expected):
            return True, f"Correct: {bool(value)!r}."
        return False, f"Not quite: {bool(value)!r} is not right. Try .hint()."


@dataclasses.dataclass(frozen=True)
class Parts(Kind):
    """A tuple of answers, each part with its own kind, checked element-wise.

    Parameters
    ----------
    kinds : sequence of Kind
        One kind per part (at least 2).
    labels : sequence of str, optional
        Names of the parts in feedback; ``("a", "b", ...)`` by default.

    Examples
    --------
    >>> kind = Parts((Boolean(), Choice(("linear", "quadratic"))))
    >>> kind.compare((True, "linear"), (True, "linear"))[0]
    True
    >>> print(kind.compare((True, "quadratic"), (True, "linear"))[1])
    Not all parts are right:
      (a) Correct: True.
      (b) Not quite: 'quadratic' is not the right choice. Try .hint().
    """

    kinds: tuple[Kind, ...] = ()
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        kinds = tuple(self.kinds)
        if len(kinds) < 2 or not all(isinstance(k, Kind) and not isinstance(k, Parts) for k in kinds):
            raise ValueError("kinds must be at least 2 answer kinds (Number, Choice, Boolean)")
        labels = tuple(self.labels) or tuple("abcdefghij"[: len(kinds)])
        if len(labels) != len(kinds):
            raise ValueError(f"labels must have one entry per part ({len(kinds)}), got {len(labels)}")
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "labels", labels)

    @property
    def expects(self) -> str:  # type: ignore[override]
        parts = "; ".join(f"({lab}) {k.expects}" for lab, k in zip(self.labels, self.kinds))
        return f"a tuple of {len(self.kinds)} parts: {parts}"

    def format(self, expected: Any) -> str:
        return ", ".join(f"({lab}) {k.format(e)}" for lab, k, e in zip(self.labels, self.kinds, expected))

    def validate_expected(self, expected: Any) -> None:
        if not isinstance(expected, tuple) or len(expected) != len(self.kinds):
            raise ValueError(f"a Parts exercise must compute a tuple of {len(self.kinds)}, got {expected!r}")
        for kind, e in zip(self.kinds, expected):
            kind.validate_expected(e)

    def compare(self, value: Any, expected: Any) -> tuple[bool, str]:
        if value is None:
            return False, f"Not checked: {_REPLACE_NONE} ({self.expects})."
        if not isinstance(value, (tuple, list)):
            return False, f"Wrong type: expected {self.expects}; got {_type_name(value)}."
        if len(value) != len(self.kinds):
            return False, f"Wrong length: expected {len(self.kinds)} parts, got {len(value)}: {self.expects}."
        results = [k.compare(v, e) for k, v, e in zip(self.kinds, value, expected)]
        ok = all(r[0] for r in results)
        head = "Correct, all parts:" if ok else "Not all parts are right:"
        lines = [f"  ({lab}) {msg}" for lab, (_, msg) in zip(self.labels, results)]
        return ok, "\n".join([head, *lines])


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where Markdown can be displayed); False elsewhere or without IPython."""
    try:
        from IPython import get_ipython
    except Exception:
        return False
    try:
        shell = get_ipython()
    except Exception:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _show(markdown: str, plain: str) -> None:
    """Display Markdown in a notebook, print plain text elsewhere."""
    if _in_notebook():
        try:
            from IPython.display import Markdown, display

            display(Markdown(markdown))
            return
        except Exception:
            pass
    print(plain)


@dataclasses.dataclass(frozen=True, eq=False)
class Exercise:
    """One exercise: its answer kind, the code that computes its answer, a hint and a worked solution.

    Parameters
    ----------
    number : int
        The number printed in the notebook ("Exercise 3"), >= 1.
    title : str
        A few words naming the exercise.
    kind : Kind
        :class:`Number`, :class:`Choice`, :class:`Boolean` or :class:`Parts`.
    compute : callable
        Returns the expected answer from keyword arguments ``params``, by calling ``infralab``.
        Its source is shown by :meth:`solution`, so it must be a module-level ``def``.
    params : mapping
        The exercise's parameters, passed to ``compute`` (``given`` replaces some of them).
    hint_text : str
        The hint (Markdown); it must not give the answer away.
    explanation : str
        The worked solution's prose (Markdown), shown before the code.
    notebook : str
        The notebook's name, filled in by :func:`infralab.exercises.load`.

    Examples
    --------
    >>> def double(x):
    ...     return 2 * x
    >>> e = Exercise(1, "double it", Number(), double, {"x": 3.0}, "multiply", "2 times x")
    >>> e.answer()
    6.0
    >>> e.check(6.0)
    Correct: 6 (answers within 2% of the expected value count as right).
    True
    >>> e.check(None)
    Not checked: replace None with your answer (a number).
    False
    """

    number: int
    title: str
    kind: Kind
    compute: Callable[..., Any]
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    hint_text: str = ""
    explanation: str = ""
    notebook: str = ""
    _cache: dict = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)
    # The last ``given`` copy per exercise number, shared by one :class:`Exercises` set and the
    # copies made from its exercises (state of that set, never a module global).
    _memory: dict = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)
    # True for the exercise held by an :class:`Exercises` set (``ex[3]``), False for a ``given`` copy.
    _in_set: bool = dataclasses.field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.number, bool) or not isinstance(self.number, int) or self.number < 1:
            raise ValueError(f"number must be an int >= 1, got {self.number!r}")
        if not isinstance(self.kind, Kind):
            raise TypeError(f"kind must be a Number, Choice, Boolean or Parts, got {_type_name(self.kind)}")
        if not inspect.isfunction(self.compute):
            raise TypeError(f"compute must be a function defined with def, got {_type_name(self.compute)}")
        for name in ("title", "hint_text", "explanation"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"exercise {self.number}: {name} must be a non-empty string")
        params = MappingProxyType(dict(self.params))
        try:
            inspect.signature(self.compute).bind(**params)
        except TypeError as err:
            raise TypeError(f"exercise {self.number}: params {sorted(params)} do not fit "
                            f"{self.compute.__name__}{inspect.signature(self.compute)}: {err}") from None
        object.__setattr__(self, "params", params)

    # --- what a learner calls ------------------------------------------------------------------

    def answer(self) -> Any:
        """The expected answer, computed by ``compute(**params)`` (never a typed-in constant).

        Computed on the first call and kept by this exercise object (``load`` and ``given`` make
        new objects, so a fixed model is picked up by the next ``load``).
        """
        if "value" not in self._cache:
            value = self.compute(**self.params)
            self.kind.validate_expected(value)
            self._cache["value"] = value
        return self._cache["value"]

    def feedback(self, answer: Any) -> tuple[bool, str]:
        """``(ok, message)`` for ``answer`` without printing; never raises for any ``answer``."""
        try:
            expected = self.answer()
        except Exception as err:  # a broken definition, not the learner's fault: say so
            return False, f"Cannot check: computing the expected answer failed ({type(err).__name__}: {err})."
        try:
            return self.kind.compare(answer, expected)
        except Exception as err:  # defence in depth: the kinds are written (and tested) not to raise
            return False, f"Cannot check this answer ({type(err).__name__}); expected {self.kind.expects}."

    def check(self, answer: Any) -> bool:
        """Print short feedback on ``answer`` and return True when it is right. Never raises."""
        ok, message = self.feedback(answer)
        print(message)
        return ok

    def hint(self) -> None:
        """Show the hint (Markdown in a notebook, plain text elsewhere)."""
        _show(f"**Hint (exercise {self.number}).** {self.hint_text}",
              f"Hint (exercise {self.number}): {self.hint_text}")

    def solution(self) -> None:
        """Show the worked solution and the code that computes the answer (Markdown in a notebook).

        The computation is shown on the learner's own numbers: on this exercise's parameters for a
        copy made by :meth:`given`, and, for the exercise of a set (``ex[3]``), on the parameters of
        the last ``ex[3].given(...)`` call made on that set, or on the defaults when there was none.
        Never raises: a solution that cannot be shown says why.
        """
        target = self.latest()
        try:
            markdown, plain = target.solution_text(markdown=True), target.solution_text(markdown=False)
        except Exception as err:  # a broken definition must not give the learner a traceback
            plain = (f"Exercise {self.number}: the worked solution cannot be shown "
                     f"({type(err).__name__}: {err}).")
            markdown = plain
        _show(markdown, plain)

    def latest(self) -> Exercise:
        """The exercise whose numbers :meth:`solution` uses: the last ``given`` copy, or this one.

        Examples
        --------
        >>> def double(x):
        ...     return 2 * x
        >>> ex = Exercises("demo", [Exercise(1, "double it", Number(), double, {"x": 3.0},
        ...                                  "multiply", "Twice {x} is {answer}.")])
        >>> ex[1].latest().params["x"]
        3.0
        >>> _ = ex[1].given(x=5.0).check(10.0)
        Correct: 10 (answers within 2% of the expected value count as right).
        >>> ex[1].latest().params["x"]
        5.0
        >>> ex[1].solution()  # doctest: +ELLIPSIS
        Exercise 1: double it.
        Twice 5 is 10.
        ...
            double(x=5.0)
        <BLANKLINE>
        Answer: 10
        """
        if self._in_set:
            return self._memory.get(self.number, self)
        return self

    def given(self, **params: Any) -> Exercise:
        """A copy of this exercise with some parameters replaced (for example your measured value).

        The new answer is computed here, so a parameter the answer cannot be computed from is
        refused now, with an error naming it, rather than at ``check``.

        Raises
        ------
        TypeError
            For a parameter name the exercise does not have (the message lists them), or a value
            of the wrong type (a string for a number, None, ...).
        ValueError
            When the expected answer cannot be computed from the new parameters (out of range,
            NaN, infinite, too large, or any other failure of the computation). Only TypeError and
            ValueError leave ``given``; the message names the parameters given and their values.
        """
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise TypeError(f"exercise {self.number} has no parameter {unknown}; its parameters are "
                            f"{sorted(self.params)}")
        new = dataclasses.replace(self, params={**self.params, **params})
        object.__setattr__(new, "_memory", self._memory)   # the same set remembers the copy
        try:
            new.answer()
        except Exception as err:  # any failure of compute on these values is the parameters' fault
            named = ", ".join(f"{k}={_short(v)}" for k, v in params.items()) or "the default parameters"
            reason = str(err) or type(err).__name__
            reason = reason if len(reason) <= 300 else reason[:297] + "..."
            cls = TypeError if isinstance(err, TypeError) else ValueError
            raise cls(f"exercise {self.number}: cannot compute the answer with {named}: {reason}") from None
        self._memory[self.number] = new
        return new

    # --- text ---------------------------------------------------------------------------------

    def call_text(self) -> str:
        """The call that produces the answer, e.g. ``triad_time_ms(n_elements=10000000, ...)``."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.compute.__name__}({args})"

    def changed(self) -> dict[str, Any]:
        """The parameters that differ from the exercise's defaults (those a ``given`` call set)."""
        defaults = {k: p.default for k, p in inspect.signature(self.compute).parameters.items()
                    if p.default is not inspect.Parameter.empty}
        out = {}
        for k, v in self.params.items():
            try:
                same = k in defaults and bool(defaults[k] == v)
            except Exception:
                same = False
            if not same:
                out[k] = v
        return out

    def explanation_text(self) -> str:
        """The explanation with ``{name}`` placeholders filled from the parameters.

        ``{name}`` for a parameter becomes its value (numbers rendered readably), ``{answer}`` the
        expected answer as :meth:`Kind.format` prints it; any other braces (LaTeX, code) are kept.
        """
        values = {k: (_fmt(float(v)) if isinstance(v, (numbers.Real, np.number))
                      and not isinstance(v, (bool, np.bool_)) else str(v))
                  for k, v in self.params.items()}

        def fill(match: re.Match) -> str:
            name = match.group(1)
            if name == "answer" and name not in values:
                return self.kind.format(self.answer())
            return values.get(name, match.group(0))

        return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", fill, self.explanation)

    def solution_text(self, markdown: bool = True) -> str:
        """The worked solution on this exercise's parameters: the explanation, the code, the call, the result."""
        source = textwrap.dedent(inspect.getsource(self.compute)).rstrip()
        result = self.kind.format(self.answer())
        changed = self.changed()
        if changed:
            mine = ", ".join(f"{k}={v!r}" for k, v in changed.items())
            whose = f"on your numbers from `given({mine})`" if markdown else f"on your numbers from given({mine})"
        else:
            whose = "on the exercise's own numbers"
        explanation = self.explanation_text()
        if markdown:
            return (f"**Exercise {self.number}: {self.title}.** {explanation}\n\n"
                    f"The answer {whose}, computed by `infralab` (the same code checks yours):\n\n"
                    f"```python\n{source}\n\n{self.call_text()}\n```\n\n**Answer:** {result}")
        return (f"Exercise {self.number}: {self.title}.\n{explanation}\n\n"
                f"The answer {whose}, computed by infralab (the same code checks yours):\n\n"
                f"{textwrap.indent(source, '    ')}\n\n    {self.call_text()}\n\nAnswer: {result}")

    def __repr__(self) -> str:
        where = f" of notebook {self.notebook}" if self.notebook else ""
        return (f"<Exercise {self.number}{where}: {self.title}; expects {self.kind.expects}; "
                "use .check(answer), .hint(), .solution()>")


class Exercises(Mapping[int, Exercise]):
    """One notebook's exercises, indexed by the number printed in the notebook.

    Parameters
    ----------
    notebook : str
        The notebook's name, e.g. ``"00_start_here"``.
    exercises : sequence of Exercise
        Its exercises (distinct numbers).

    Raises
    ------
    KeyError
        On indexing with a number that is not there (the message lists the valid numbers).
    """

    def __init__(self, notebook: str, exercises: Sequence[Exercise]) -> None:
        self.notebook = notebook
        items: dict[int, Exercise] = {}
        for ex in exercises:
            if not isinstance(ex, Exercise):
                raise TypeError(f"{notebook}: EXERCISES must hold Exercise objects, got {_type_name(ex)}")
            if ex.number in items:
                raise ValueError(f"{notebook}: exercise number {ex.number} is defined twice")
            items[ex.number] = dataclasses.replace(ex, notebook=notebook)
        #: Exercise number -> the last copy made by ``given`` on this set (see Exercise.solution).
        self._last_given: dict[int, Exercise] = {}
        for ex in items.values():
            object.__setattr__(ex, "_memory", self._last_given)
            object.__setattr__(ex, "_in_set", True)
        self._items = dict(sorted(items.items()))

    def __getitem__(self, number: int) -> Exercise:
        key = number
        if isinstance(number, str) and number.strip().isdigit():
            key = int(number)
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or int(key) not in self._items:
            valid = ", ".join(str(n) for n in self._items) or "none defined yet"
            raise KeyError(f"notebook {self.notebook} has no exercise {number!r}; valid numbers: {valid}")
        return self._items[int(key)]

    def __iter__(self) -> Iterator[int]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        lines = [f"{len(self)} exercises of notebook {self.notebook}:"]
        lines += [f"  ex[{n}]: {e.title} ({e.kind.expects})" for n, e in self._items.items()]
        return "\n".join(lines)
