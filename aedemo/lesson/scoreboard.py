"""The numbers of the lesson page as tables a learner can read: the metrics, ablation and probes.

    from aedemo.lesson.scoreboard import ablation_table, metrics_html
    html = metrics_html(json.loads((run / "metrics.json").read_text()), str(run))  # run: for the commands it suggests
    html = ablation_table(json.loads((run / "ablation.json").read_text()))

Every swap number sits beside its baselines on the same held-out poses, each table opens with
a one-line verdict, and every value shown is read from the file (missing ones show as a dash).
R\u00b2 and output spread carry a plain word and colour (aedemo/lesson/readings.py); readouts that
missed their own bar are named and their numbers greyed out.
The keys are those documented in aedemo/evaluate.py.
"""
from __future__ import annotations

import math
import shlex

from ..poses import HEAD_FACTORS
from ..readouts import FACTOR_BAR, IDENTITY_BAR, readout_config
from .page import Percent, Rated, esc, fmt, missing, table
from .readings import SPREAD_FROZEN, error_change, number, r2_reading, spread_reading
from .texts import PROBE_MEANING, VARIANT_MEANING, VARIANT_QUESTION

NOISE_DB = 0.5  # ablation variants closer than this are too close to call: runs of one recipe differ by about this

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
    if not number(margin) or not isinstance(beats, bool):
        return ""
    blind_name = OUTPUTS.get(blind, str(blind)).format(b=b)
    head = "Expression transferred" if beats else "Expression did not transfer"
    where = "above" if beats else "below"
    return (f'<p><b class="{"good" if beats else "red"}">{head}.</b> In the eyes and mouth the swap scores '
            f"{esc(fmt(abs(margin)))} dB {where} the best answer that ignores expression "
            f"({esc(blind_name)}): its typical pixel error there is {esc(error_change(margin))}.</p>")


def whole_frame_note(s: dict, b: str) -> str:
    """One sentence on the whole frame, and why the swap can lose there to an answer that ignores expression."""
    outputs = s.get("outputs") if isinstance(s.get("outputs"), dict) else {}
    swap = dig(outputs, "swap", "psnr")
    blind = {kind: dig(o, "psnr") for kind, o in outputs.items() if kind not in ("swap", "truth")}
    blind = {kind: v for kind, v in blind.items() if number(v)}
    if not number(swap) or not blind:
        return ""
    best = max(blind, key=blind.get)
    name = esc(OUTPUTS.get(best, best).format(b=b))
    if swap >= blind[best]:
        return (f"<p>On the whole frame, too, the swap ({swap:.1f} dB) is above every baseline (the best: {name}, "
                f"{blind[best]:.1f} dB).</p>")
    why = (" Most of the frame is outline, skin and background, which that answer draws exactly: it is told where "
           "the head is. The swap has to work that out from the picture, and after a short training it still draws "
           "the edges a little soft." if best in ("sharp", "blur") else "")
    return (f'<p><b class="weak">On the whole frame the swap ({swap:.1f} dB) scores below {name} '
            f"({blind[best]:.1f} dB).</b>{why} The expression is in the eyes and mouth, and that is where the swap "
            "has to win.</p>")


def swap_table(s: dict, unsure: dict) -> str:
    """One swap direction: pixel scores, spread and identity readout of each output, swap first;
    the identity column greyed out when that readout is `unsure`."""
    b = str(s.get("target", "B"))
    outputs = s.get("outputs") if isinstance(s.get("outputs"), dict) else {}
    rows = [[OUTPUTS.get(kind, kind).format(b=b), dig(o, "psnr_features"), dig(o, "psnr"),
             dig(o, "ssim_features"), spread_reading(dig(o, "output_spread")),
             percent(dig(o, "target_share"))]
            for kind, o in outputs.items()]
    read_as = f"read as {b}" + (" (readout unsure)" if "identity" in unsure else "")
    header = ["output", "PSNR eyes+mouth (dB)", "PSNR whole (dB)", "SSIM eyes+mouth", "output spread", read_as]
    return (verdict(s, b) + table(header, rows, first_row_stands_out=True,
                                  dim_columns={5} if "identity" in unsure else set()) + whole_frame_note(s, b))


def factor_table(s: dict, unsure: dict) -> str:
    """Pose factors read back from the swap, beside the best blind answer and the true swap; the rows
    of readouts that are `unsure` greyed out."""
    outputs = s.get("outputs") if isinstance(s.get("outputs"), dict) else {}
    factors = dig(outputs, "swap", "factors")
    if not isinstance(factors, dict):
        return ""
    blind = str(s.get("best_blind", "blur"))

    def r2(kind: str, f: str):
        return r2_reading(dig(outputs, kind, "factors", f, "r2"))

    rows = [[f + (" (readout unsure)" if f in unsure else ""), r2("swap", f), r2(blind, f), r2("truth", f)]
            for f in factors]
    dim = {i for i, f in enumerate(factors) if f in unsure}
    return table(["pose factor", "R\u00b2 from the swap", f"R\u00b2 from {blind} (ignores expression)",
                  "R\u00b2 from the true swap"], rows, dim_rows=dim)


def unreliable(readouts) -> dict:
    """The readouts that missed their bar on clean renders: {"identity": accuracy, factor: R\u00b2, ...}."""
    if not isinstance(readouts, dict):
        return {}
    found = {}
    accuracy = readouts.get("identity_accuracy")
    if number(accuracy) and accuracy < IDENTITY_BAR:
        found["identity"] = accuracy
    factors = readouts.get("factors") if isinstance(readouts.get("factors"), dict) else {}
    for f in factors:
        r2 = dig(factors, f, "r2")
        if number(r2) and r2 < FACTOR_BAR:
            found[f] = r2
    return found


def readout_note(readouts, folder: str) -> str:
    """How well the readout networks read clean renders, which of them to trust, and how to fix the rest."""
    if not isinstance(readouts, dict):
        return ""
    accuracy = percent(readouts.get("identity_accuracy"))
    unsure = unreliable(readouts)
    tested = "Tested on clean held-out renders, where the right answer is known,"
    if readouts.get("trustworthy") is not False and not unsure:
        named = f"{fmt(accuracy)} of the time" if accuracy is not None else "an unknown share of the time"
        return (f"<p>{tested} the readouts name the character correctly {esc(named)} and read every pose factor with "
                f"R&sup2; of at least {FACTOR_BAR:g}. That is good enough to trust what they read from the swaps.</p>")
    misses = [f"the identity readout names the character {esc(fmt(percent(v)))} of the time, under its bar of "
              f"{fmt(percent(IDENTITY_BAR))}"
              if name == "identity" else f"<b>{esc(name)}</b> R&sup2; {v:.3f} &lt; {FACTOR_BAR:g}"
              for name, v in unsure.items()]
    steps = readouts.get("steps") if number(readouts.get("steps")) else readout_config().steps
    run = shlex.quote(folder)
    out = [f'<p class="warn"><b class="red">Some readouts cannot be trusted.</b> {tested} '
           + (f"these missed their accuracy bar: {'; '.join(misses)}. " if misses else
              "they missed their accuracy bar. ")
           + "What they read from the swaps is greyed out below: a low number there may be the readout's mistake, "
           "not the swap's."]
    if "identity" not in unsure and accuracy is not None:
        out.append(f" The identity readout passed ({esc(fmt(accuracy))} correct), so the <i>read as</i> column holds.")
    out.append(" The pixel scores (PSNR, SSIM, output spread) use no readout at all. To fix it, train the readouts "
               f"longer and rebuild this page: <code>aedemo evaluate {esc(run)} --readout-steps {int(2 * steps)}</code>"
               f" and then <code>aedemo report {esc(run)}</code>.</p>")
    return "".join(out)


def metrics_html(metrics: dict, folder: str = "RUN") -> str:
    """Section 4's numbers: every swap direction, the reconstructions, the readouts (`folder`: the run,
    for the commands the page suggests)."""
    swaps = metrics.get("swaps")
    if not isinstance(swaps, dict) or not swaps:
        return missing("metrics.json has no swap scores.")
    n = dig(metrics, "heldout", "n")
    note = readout_note(metrics.get("readouts"), folder)
    unsure = unreliable(metrics.get("readouts"))
    warn_first = dig(metrics, "readouts", "trustworthy") is False or bool(unsure)  # before the tables it is about
    out = [note if warn_first else "",
           f"<p>Scores on {esc(n)} held-out poses per character, never seen in training.</p>" if n else ""]
    for s in swaps.values():
        if isinstance(s, dict):
            out.append(f"<h3>{esc(s.get('source', 'A'))} &rarr; {esc(s.get('target', 'B'))}</h3>"
                       + swap_table(s, unsure) + factor_table(s, unsure))
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
    """One row per variant: what it changes, its steps, and how its swap scored; then what it answers."""
    rows, margins, spreads = [], {}, {}
    for name, r in results["variants"].items():
        r = r if isinstance(r, dict) else {}
        margin, spread = r.get("margin_db"), r.get("output_spread")
        if number(margin):
            margins[name] = margin
        if number(spread):
            spreads[name] = spread
        rows.append([name, VARIANT_MEANING.get(name, "\u2014"), r.get("steps"),
                     rounded(r.get("swap_psnr_features"), 1), signed(margin), spread_reading(spread),
                     {True: "yes", False: "no"}.get(r.get("expression_transferred"))])
    seconds = results.get("seconds_each")
    out = [(f"<p>Each variant trained for {esc(fmt(seconds))} s on this machine: the same time, not the same "
            "number of steps (a variant whose steps cost more makes fewer). <b>vs blind</b> is its eyes-and-mouth PSNR "
            "minus the best expression-blind baseline's, in dB: above 0, expression came through. <b>Spread</b> is how "
            "much its swap changes from one source picture to the next: 1 is as lively as the truth, 0 one frozen "
            "face.</p>"),
           table(["variant", "what changes", "steps", "eyes+mouth dB", "vs blind", "spread", "expression through"],
                 rows)]
    answers = [answer(name, margins, spreads) for name in margins if name in VARIANT_QUESTION and "shared" in margins]
    if answers:
        out.append("<ul>" + "".join(f"<li>{a}</li>" for a in answers) + "</ul>")
    if margins and max(margins.values()) <= 0:
        out.append("<p>No variant beat the blind baseline in so short a time, so these rows cannot say yet which "
                   "ingredient matters (the steps column shows how far each got). Trained longer "
                   "(<code>aedemo ablate --time 30</code>), the shared encoder pulls ahead.</p>")
    return "".join(out)


def answer(name: str, margins: dict, spreads: dict) -> str:
    """What comparing variant `name` with the shared encoder answers, never calling a gap within noise a win."""
    question, ours, theirs = VARIANT_QUESTION[name]
    gap = margins["shared"] - margins[name]
    scores = f"{margins['shared']:+.1f} against {margins[name]:+.1f} dB over the blind baseline"
    if abs(gap) < NOISE_DB:
        text = f"No clear difference in this run: {ours} and {theirs} are under {NOISE_DB:g} dB apart ({scores})."
    else:
        winner = ours if gap > 0 else theirs
        text = f"{winner[0].upper() + winner[1:]}, by {abs(gap):.1f} dB in the eyes and mouth ({scores})."
    spread = spreads.get(name)
    if number(spread) and spread < SPREAD_FROZEN:
        text += f" With {theirs} the face hardly moves (spread {spread:.2f})."
    return f"<b>{esc(question)}</b> {text}"


def probes_table(probes: dict, aligned: bool) -> str:
    """What a straight line can read from the code: R\u00b2 per pose factor, then the character. In an
    `aligned` run the head pose is cut away before the encoder, so R\u00b2 near 0 is expected there."""
    r2 = probes.get("pose_r2") if isinstance(probes.get("pose_r2"), dict) else {}

    def reading(k: str, v):
        if aligned and k in HEAD_FACTORS and number(v):
            return Rated(f"{v:.2f}", "expected: the aligner took it out")
        return r2_reading(v)

    rows = [[PROBE_MEANING.get(k, k), "R\u00b2", reading(k, v)] for k, v in r2.items()]
    if "identity_accuracy" in probes:
        chance = probes.get("identity_chance")
        rows.append(["which character", f"accuracy (guessing: {fmt(percent(chance))})",
                     percent(probes["identity_accuracy"])])
    return table(["read from the code", "measure", "value"], rows)
