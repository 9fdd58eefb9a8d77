"""Do two formulas say the same thing? ``(a^3+2b)/(3a)`` against ``\\frac{a^3 + 2b}{3a}``.

Answers are first brought from LaTeX-ish writing to plain notation (``\\frac``, ``\\binom``,
``\\sqrt``, ``\\lfloor``, ``^{...}``, ``\\cdot``, ``$``), then parsed by sympy. sympy's parser
evaluates Python, so a text is parsed only when every name in it is a one-letter symbol or a
known function and nothing else but digits, operators and brackets appears: a model's answer can
never reach ``eval`` with anything else. Two formulas are equal when they agree at several integer
points (exactly, for formulas without symbols): fast, and right for the counting formulas
competition answers are.
"""

from __future__ import annotations

import math
import re
from typing import Any

_FUNCTIONS = {"floor", "ceiling", "sqrt", "binomial", "factorial", "pi", "ceil"}
_ALLOWED = re.compile(r"^[0-9A-Za-z+\-*/^()!., ]+$")
_NAME = re.compile(r"[A-Za-z]+")
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_BINOM = re.compile(r"\\[dt]?binom\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_ROOT = re.compile(r"\\sqrt\s*\[([^\]]*)\]\s*\{([^{}]*)\}")
_SQRT = re.compile(r"\\sqrt\s*\{([^{}]*)\}")
_SUPERSCRIPT = re.compile(r"\^\s*\{([^{}]*)\}")
_CHOOSE = re.compile(r"\bC\s*\(")
_BOXED = re.compile(r"\\boxed\s*\{(.*)\}")
_WORDS = {
    r"\lfloor": "floor(",
    r"\rfloor": ")",
    r"\lceil": "ceiling(",
    r"\rceil": ")",
    r"\cdot": "*",
    r"\times": "*",
    r"\pi": "pi",
    r"\left": "",
    r"\right": "",
    r"\displaystyle": "",
    r"\,": "",
    r"\!": "",
    r"\(": "",
    r"\)": "",
    r"\[": "",
    r"\]": "",
    "$": "",
}
POINTS = 3
MAX_FACTORIAL = 170
"""The largest n whose n! a float holds."""
"""Integer points two formulas with symbols must agree at."""
MAX_LENGTH = 160


def plain(text: str) -> str:
    """LaTeX-ish notation as plain formula text."""
    out = text.strip()
    boxed = _BOXED.search(out)
    if boxed is not None:
        out = boxed.group(1)
    for word, replacement in _WORDS.items():
        out = out.replace(word, replacement)
    for _ in range(8):  # innermost first, a few levels deep
        before = out
        out = _SUPERSCRIPT.sub(r"^(\1)", out)
        out = _FRAC.sub(r"((\1)/(\2))", out)
        out = _BINOM.sub(r"binomial(\1, \2)", out)
        out = _ROOT.sub(r"((\2)^(1/(\1)))", out)
        out = _SQRT.sub(r"sqrt(\1)", out)
        if out == before:
            break
    out = _CHOOSE.sub("binomial(", out)
    return out.replace("{", "(").replace("}", ")").rstrip(".").strip()


def parse(text: str) -> Any | None:
    """The sympy expression ``text`` writes, or None when it is not a formula (or not a safe one)."""
    shown = plain(text)
    if not shown or len(shown) > MAX_LENGTH or not _ALLOWED.match(shown):
        return None
    if any(len(name) > 1 and name not in _FUNCTIONS for name in _NAME.findall(shown)):
        return None
    try:
        import sympy
        from sympy.parsing.sympy_parser import (
            convert_xor,
            implicit_multiplication_application,
            parse_expr,
            standard_transformations,
        )
    except ImportError:
        return None
    names = {
        "binomial": sympy.binomial,
        "floor": sympy.floor,
        "ceiling": sympy.ceiling,
        "ceil": sympy.ceiling,
        "sqrt": sympy.sqrt,
        "factorial": sympy.factorial,
        "pi": sympy.pi,
    }
    names.update({letter: sympy.Symbol(letter) for letter in set(_NAME.findall(shown)) if len(letter) == 1})
    transformations = (*standard_transformations, implicit_multiplication_application, convert_xor)
    try:
        # evaluate=False: 9^9^9^9 stays a formula; evaluating it exactly would never finish.
        expression = parse_expr(shown, local_dict=names, transformations=transformations, evaluate=False)
    except Exception:  # sympy raises many kinds for text that is not a formula
        return None
    return expression if isinstance(expression, sympy.Expr) else None


def equivalent(predicted: str, expected: str) -> bool:
    """Whether two formulas agree: at one point without symbols, else at every one of a few integer points."""
    got, want = parse(predicted), parse(expected)
    if got is None or want is None:
        return False
    symbols = sorted(got.free_symbols | want.free_symbols, key=str)
    try:
        for point in range(POINTS if symbols else 1):
            values = {s: 7.0 + 4 * point + 2 * i for i, s in enumerate(symbols)}
            a, b = value(got, values), value(want, values)
            if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
                return False
    except (TypeError, ValueError, ArithmeticError):  # a value beyond floats, or no value at all
        return False
    return True


def value(expression: Any, values: dict[Any, float]) -> float:
    """The formula's value in floating point, computed here rather than by sympy: a power tower or a
    factorial of a factorial overflows at once instead of being computed exactly for ever."""
    import sympy

    if expression.is_Symbol:
        return values[expression]
    if expression.is_Number or expression in (sympy.pi, sympy.E):
        return float(expression)
    args = [value(a, values) for a in expression.args]
    if expression.is_Add:
        return math.fsum(args)
    if expression.is_Mul:
        return math.prod(args)
    if expression.is_Pow:
        result = math.pow(args[0], args[1])
        if math.isinf(result):
            raise OverflowError("too large")
        return result
    if isinstance(expression, sympy.factorial):
        if not 0 <= args[0] <= MAX_FACTORIAL:
            raise OverflowError("factorial out of range")
        return math.gamma(args[0] + 1)
    if isinstance(expression, sympy.binomial):
        n, k = args
        if n.is_integer() and k.is_integer():
            return float(math.comb(int(n), int(k))) if 0 <= k <= n <= MAX_FACTORIAL else 0.0
        return math.gamma(n + 1) / (math.gamma(k + 1) * math.gamma(n - k + 1))
    if isinstance(expression, sympy.floor):
        return float(math.floor(args[0]))
    if isinstance(expression, sympy.ceiling):
        return float(math.ceil(args[0]))
    raise ValueError(f"no value for {type(expression).__name__}")
