"""The numbers of the lesson page as tables a learner can read: the metrics, ablation and probes.

    from aedemo.lesson.scoreboard import ablation_table, metrics_html
    html = metrics_html(json.loads((run / "metrics.json").read_text()))
    html = ablation_table(json.loads((run / "ablation.json").read_text()))

Every swap number sits beside its baselines on the same held-out poses, each table opens with
a one-line verdict, and every value shown is read from the file (missing ones show as a dash).
The keys are those documented in aedemo/evaluate.py.
"""
from __future__ import annotations

import math

from .page import Percent, esc, fmt, missing, table
from .texts import PROBE_MEANING, VARIANT_MEANING

OUTPUTS = {  # metrics.json output kinds, as a learner would call them
    "swap": "the swap",
    "copy": "copy the input",
    "mean": "the average picture of {b}",
    "sharp": "{b} at the input's head pose, average expression",
    "blur": "{b} at the input's head pose, blurred over expressions",
    "truth": "the true swap (the best possible)",
}


def dig(value, *keys):
    """value[k1][k2]..., or None when any level is missing."""
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def percent(value) -> Percent | None:
    """A fraction to be shown as a whole percentage."""
    return Percent(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def verdict(s: dict, b: str) -> str:
    """One sentence: did this swap beat the best expression-blind answer in the eyes and mouth?"""
    margin, beats, blind = s.get("margin_db"), s.get("beats_blind"), s.get("best_blind")
    if not isinstance(margin, (int, float)) or not isinstance(beats, bool):
        return ""
    blind_name = OUTPUTS.get(blind, str(blind)).format(b=b)
    head = "Expression transferred" if beats else "Expression did not transfer"
    where = "above" if beats else "below"
    return (f'<p><b class="{"" if beats else "red"}">{head}.</b> In the eyes and mouth the swap scores '
            f"{esc(fmt(abs(margin)))} dB {where} the best answer that ignores expression "
            f"({esc(blind_name)}).</p>")


def swap_table(s: dict) -> str:
    """One swap direction: pixel scores, spread and identity readout of each output, swap first."""
    b = str(s.get("target", "B"))
    outputs = s.get("outputs") if isinstance(s.get("outputs"), dict) else {}
    rows = [[OUTPUTS.get(kind, kind).format(b=b), dig(o, "psnr_features"), dig(o, "psnr"),
             dig(o, "ssim_features"), dig(o, "output_spread"), percent(dig(o, "target_share"))]
            for kind, o in outputs.items()]
    header = ["output", "PSNR eyes+mouth (dB)", "PSNR whole (dB)", "SSIM eyes+mouth", "output spread",
              f"read as {b}"]
    return verdict(s, b) + table(header, rows, first_row_stands_out=True)


def factor_table(s: dict) -> str:
    """Pose factors read back from the swap, beside the best blind answer and the true swap."""
    outputs = s.get("outputs") if isinstance(s.get("outputs"), dict) else {}
    factors = dig(outputs, "swap", "factors")
    if not isinstance(factors, dict):
        return ""
    blind = str(s.get("best_blind", "blur"))
    rows = [[f, dig(factors, f, "r2"), dig(outputs, blind, "factors", f, "r2"), dig(outputs, "truth", "factors", f, "r2")]
            for f in factors]
    return table(["pose factor", "R\u00b2 from the swap", f"R\u00b2 from {blind} (ignores expression)",
                  "R\u00b2 from the true swap"], rows)


def readout_note(readouts) -> str:
    """How well the readout networks read clean renders, and whether to trust them."""
    if not isinstance(readouts, dict):
        return ""
    accuracy = percent(readouts.get("identity_accuracy"))
    trust = readouts.get("trustworthy")
    text = (f"<p>On clean held-out renders the readouts name the character correctly "
            f"{esc(fmt(accuracy) + ' of the time' if accuracy is not None else 'an unknown share of the time')}. ")
    if trust is False:
        return text + '<b class="red">They miss their own accuracy bar, so ignore the readout columns.</b></p>'
    return text + ("That is good enough to trust what they read from the swaps.</p>" if trust else "</p>")


def metrics_html(metrics: dict) -> str:
    """Section 4's numbers: every swap direction, the reconstructions, the readouts."""
    swaps = metrics.get("swaps")
    if not isinstance(swaps, dict) or not swaps:
        return missing("metrics.json has no swap scores.")
    n = dig(metrics, "heldout", "n")
    note = readout_note(metrics.get("readouts"))
    warn_first = dig(metrics, "readouts", "trustworthy") is False  # before the tables it is about, not after
    out = [note if warn_first else "",
           f"<p>Scores on {esc(n)} held-out poses per character, never seen in training.</p>" if n else ""]
    for s in swaps.values():
        if isinstance(s, dict):
            out.append(f"<h3>{esc(s.get('source', 'A'))} &rarr; {esc(s.get('target', 'B'))}</h3>"
                       + swap_table(s) + factor_table(s))
    recon = metrics.get("reconstructions")
    if isinstance(recon, dict) and recon:
        rows = [[name, dig(r, "psnr_features"), dig(r, "psnr"), dig(r, "ssim_features")] for name, r in recon.items()]
        out.append("<h3>Each decoder redrawing its own character</h3>"
                   + table(["character", "PSNR eyes+mouth (dB)", "PSNR whole (dB)", "SSIM eyes+mouth"], rows))
    out.append("" if warn_first else note)
    return "".join(out)


def rounded(value, digits: int):
    """A number from a JSON file rounded for the page; anything else as it is."""
    return round(value, digits) if isinstance(value, float) and math.isfinite(value) else value


def signed(value):
    """A margin in dB with its sign, as the verdict writes it; anything else as it is."""
    return f"{value:+.1f}" if isinstance(value, float) and math.isfinite(value) else value


def ablation_table(results: dict) -> str:
    """One row per variant: what it changes, its steps, and how its swap scored; then which won."""
    rows, margins = [], {}
    for name, r in results["variants"].items():
        r = r if isinstance(r, dict) else {}
        margin = r.get("margin_db")
        if isinstance(margin, (int, float)) and not isinstance(margin, bool):
            margins[name] = margin
        rows.append([name, VARIANT_MEANING.get(name, "\u2014"), r.get("steps"),
                     rounded(r.get("swap_psnr_features"), 1), signed(margin), rounded(r.get("output_spread"), 2),
                     {True: "yes", False: "no"}.get(r.get("expression_transferred"))])
    seconds = results.get("seconds_each")
    out = [f"<p>Each variant trained for {esc(fmt(seconds))} s on this machine: the same time, not the same number "
           "of steps (a variant whose steps cost more makes fewer). <b>vs blind</b> is its eyes-and-mouth PSNR minus "
           "the best expression-blind baseline's, in dB: above 0, expression came through. <b>Spread</b> is how much "
           "its swap changes from one source picture to the next: 1 is as lively as the truth, 0 one frozen face.</p>",
           table(["variant", "what changes", "steps", "eyes+mouth dB", "vs blind", "spread", "expression through"],
                 rows)]
    if margins:
        best = max(margins, key=margins.get)
        verdict = f"<p>Best here: <b>{esc(best)}</b> ({margins[best]:+.1f} dB)."
        if margins[best] <= 0:
            verdict += (" No variant beat the blind baseline in so short a time; the gap between the rows still "
                        "shows which ingredient matters. <code>aedemo ablate --time 30</code> gives each longer.")
        out.append(verdict + "</p>")
    return "".join(out)


def probes_table(probes: dict) -> str:
    """What a straight line can read from the code: R\u00b2 per pose factor, then the character."""
    r2 = probes.get("pose_r2") if isinstance(probes.get("pose_r2"), dict) else {}
    rows = [[PROBE_MEANING.get(k, k), "R\u00b2", v] for k, v in r2.items()]
    if "identity_accuracy" in probes:
        chance = probes.get("identity_chance")
        rows.append(["which character", f"accuracy (guessing: {fmt(percent(chance))})",
                     percent(probes["identity_accuracy"])])
    return table(["read from the code", "measure", "value"], rows)
