"""The lesson page's part for a cast (three or more characters): the matrix, the heat map, the weak pairs.

    from aedemo.lesson.castpage import cast_part
    html = cast_part(run)     # "" for a run of two characters; run: aedemo.lesson.report.RunView

One shared code, read by every decoder: the matrix shows one source driving the whole cast on a
few held-out poses, drawn by the model when the run has a checkpoint. The heat map (RUN/pairs.png,
written by `aedemo evaluate`) shows every ordered pair's margin, and the pairs short of the goal
are listed with the causes read from metrics.json.
"""
from __future__ import annotations

import shlex

from ..data import heldout_poses
from .matrix import matrix_picture
from .page import esc, figure, missing, picture_tag
from .pairs import GOAL_MARGIN, GOAL_SPREAD, crop_sentence, weak_reasons

MATRIX_ROWS = 4  # held-out poses in the page's matrix: enough to see eyes, mouth and tilt change


def cast_part(run) -> str:
    """The cast's pictures and words, or "" when the run has only two characters."""
    if len(run.identities) < 3:
        return ""
    names, folder = list(run.identities), shlex.quote(str(run.folder))
    out = [f"<h3>The whole cast: {len(names)} characters, one encoder</h3>"
           "<p>Each row is one held-out pose of the first character. Every other column is what one "
           "decoder draws from that same code, so each row shows the whole cast making the same face.</p>"]
    if run.model is not None:
        picture = matrix_picture(run.model, names[0], heldout_poses(MATRIX_ROWS))
        out.append(figure(picture_tag(picture, f"{names[0]} drives every character of the run"),
                          "One code, every decoder (synthetic).", scroll=True))
    else:
        out.append(missing(f"The matrix appears once the run has a checkpoint.pt; `aedemo swap {folder} --matrix "
                           "-o matrix.png` draws it too."))
    heat = run.image("pairs.png", "Margin of every ordered pair: sources down, targets across", pixelated=False)
    out.append(figure(heat, "Every ordered pair: green swaps the expression well, red does no better than a "
                      "guess that ignores it.") if heat else
               run.absent("pairs.png", f"`aedemo evaluate {folder}` draws it."))
    metrics = run.json("metrics.json")
    if isinstance(metrics, dict) and isinstance(metrics.get("swaps"), dict) and metrics["swaps"]:
        out.append(weak_list(metrics))
    return "".join(out)


def weak_list(metrics: dict) -> str:
    """The pairs short of the goal, each with its causes, as a list; or one sentence that there are none."""
    goal = f"a margin of at least {GOAL_MARGIN:+.0f} dB and a spread of at least {GOAL_SPREAD}"
    weak = weak_reasons(metrics)
    if not weak:
        return f"<p>Every ordered pair reaches {esc(goal)}.</p>"
    items = "".join(f"<li><b>{esc(pair)}</b>: {esc('; '.join(reasons))}.</li>" for pair, reasons in weak)
    crop = crop_sentence(metrics)
    return (f"<p>{len(weak)} of {len(metrics['swaps'])} pairs fall short of {esc(goal)}. What the numbers "
            f"say about each:</p><ul>{items}</ul>" + (f"<p>For every pair, {esc(crop)}.</p>" if crop else ""))
