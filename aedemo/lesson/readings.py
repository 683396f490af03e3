"""Plain readings of the page's numbers: a word and a colour a learner can read without a course.

    from aedemo.lesson.readings import r2_reading, spread_reading, error_change
    r2_reading(-1.17)        # Rated("-1.17", "worse than guessing the average", "bad")
    spread_reading(0.7225)   # Rated("0.72", "moves", "good")
    error_change(4.6)        # "41 % smaller"

The thresholds are the page's, chosen so the words agree with what the numbers mean: always
guessing the average scores R² 0, and a face whose output spread is under 0.7 visibly moves
less than the truth. The word is chosen from the number as shown, so the two always agree.
"""
from __future__ import annotations

import math

from .page import Rated

R2_GOOD = 0.9     # R² from here up: the factor comes through clearly
R2_WEAK = 0.5     # from here up: some of it comes through
R2_GUESS = -0.1   # from here to R2_POOR: about what always guessing the average scores (R² 0)
R2_POOR = 0.1     # from here to R2_WEAK: a little better than guessing
SPREAD_MOVES = 0.7     # output spread from here up: the face moves about as much as the truth
SPREAD_FROZEN = 0.3    # under this: the face hardly moves at all
SPREAD_OVER = 1.1      # above this: it changes more than the truth (copying the input can)


def number(value) -> bool:
    """Whether `value` is a finite number (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


R2_WORDS = ((R2_GOOD, "good", "good"), (R2_WEAK, "weak", "weak"), (R2_POOR, "poor", "bad"),
            (R2_GUESS, "no better than guessing the average", "bad"),
            (-math.inf, "worse than guessing the average", "bad"))
SPREAD_WORDS = ((math.nextafter(SPREAD_OVER, math.inf), "moves more than the truth", "weak"),  # above SPREAD_OVER
                (SPREAD_MOVES, "moves", "good"), (SPREAD_FROZEN, "stiff", "weak"), (-math.inf, "frozen", "bad"))


def rated(value, words):
    """A number to two decimals with the word and tone of the first (lowest value, word, tone) it reaches;
    anything that is not a number, as it is."""
    if not number(value):
        return value
    value = round(value, 2)  # the word goes with the number shown
    _, word, tone = next(rung for rung in words if value >= rung[0])
    return Rated(f"{value:.2f}", word, tone)


def r2_reading(value):
    """An R² to two decimals with its word (good, weak, poor, no better or worse than guessing); else as it is."""
    return rated(value, R2_WORDS)


def spread_reading(value):
    """An output spread to two decimals with its word: frozen, stiff, moves, or moves more than the truth."""
    return rated(value, SPREAD_WORDS)


def error_change(margin_db: float) -> str:
    """How much smaller (or larger) the typical pixel error is, `margin_db` decibels higher."""
    ratio = 10 ** (-margin_db / 20)  # PSNR is 20 log10 of 1 / the root-mean-square error
    return f"{abs(1 - ratio) * 100:.0f} % {'smaller' if ratio < 1 else 'larger'}"
