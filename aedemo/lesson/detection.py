"""The lesson page's "Catching the swap": the detectors' tables, where they look, and a reading of both.

    from aedemo.lesson.detection import catching
    html = catching(json.loads((run / "detect.json").read_text()), picture_html, "runs/blob-robot")

Reads RUN/detect.json as `aedemo detect` writes it (keys documented in aedemo/detect.py). Every
sentence of the reading is worked out from its numbers: which laundering hurt the plain detector
most, whether the robust one held, whether the detector carried over to another run's swaps, and
which regions of the picture hold the swap's errors and the detector's evidence. A file of
another shape reads as unreadable (ValueError), never half a section.
"""
from __future__ import annotations

import math
import shlex

from .page import Percent, Score, esc, fmt, missing, table

HOLDS = 0.95         # a detector whose AUC stays at least this high "holds"
HURT = 0.02          # an AUC drop smaller than this is no real harm
CHANCE_NEAR = 0.65   # an AUC at most this is close to a coin toss
CARRIES = 0.9        # an AUC on another run's swaps at least this: the detector carries over

INTRO = """
<p>Section 7 says detectors look for the traces a swap leaves. Here is one at work on this run.
A small convolutional network, the <b>plain detector</b>, learned to tell this run's swaps from
true renders of the same character in the same pose: every picture it saw comes in a pair that
differs only in being swapped or not. It is scored on held-out poses it never saw. Then the
pictures are <b>laundered</b>, the way pictures get blurred, shrunk and recompressed on their way
around the internet, and scored again: this is the lesson of FaceForensics++, where detectors
that are nearly perfect on raw video frames do worse on compressed ones. The <b>robust
detector</b> is the plain one trained on for a while with laundered pictures.</p>
"""

MEASURES = """
<p><b>AUC</b>: the chance that a random swap scores higher than a random true render (1 is a
perfect ranking, 0.5 a coin toss). <b>Accuracy</b>: the share of pictures labelled right with the
threshold the detector learned on clean pictures; a laundering can leave the ranking intact but
shift every score past that threshold.</p>
"""

PICTURE_CAPTION = ("For each direction of the swap, averages over every held-out swap (first row) and single swaps. "
                   "Columns: the true render, the swap, |swap &minus; truth| (where the swap is wrong), the saliency "
                   "(where a small change of the picture would move the detector's score most) and the evidence "
                   "(the pixels whose difference from the truth pushed the score towards &ldquo;swap&rdquo;). "
                   "Each map is scaled to its own brightest pixels. The swaps are synthetic.")


def number(value) -> float:
    """A finite number from the file, or ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def auc(s: dict) -> Score:
    """The AUC of one entry, shown with three decimals."""
    return Score(number(s["auc"]))


def scores(s: dict) -> tuple[Score, Percent]:
    """AUC and accuracy of one entry."""
    return auc(s), Percent(number(s["accuracy"]))


def tables(result: dict) -> str:
    """One table: both detectors on clean held-out pictures, after each laundering, on another run."""
    rows = [["clean held-out pictures", *scores(result["heldout"]), *scores(result["robust"]["heldout"])]]
    for kind, plain in result["laundered"].items():
        rows.append([str(result["launderings"].get(kind, kind)), *scores(plain),
                     *scores(result["robust"]["laundered"][kind])])
    other = result.get("against")
    if other:
        rows.append([f"another run's swaps: {other['run']}", *scores(other), *scores(other["robust"])])
    return table(["pictures", "plain: AUC", "accuracy", "robust: AUC", "accuracy"], rows, first_row_stands_out=True)


def laundering_reading(result: dict) -> str:
    """Which laundering hurt the plain detector most, and whether the robust one held."""
    names = result["launderings"]
    clean = auc(result["heldout"])
    drops = {kind: clean - auc(s) for kind, s in result["laundered"].items()}
    worst = max(drops, key=drops.get)
    worst_auc = auc(result["laundered"][worst])
    out = [f"On clean held-out pictures the plain detector reaches AUC {fmt(clean)}."]
    if drops[worst] >= HURT:
        out.append(f"Laundering hurts it most with <b>{esc(names.get(worst, worst))}</b>: its AUC falls to "
                   f"{fmt(worst_auc)}, {drops[worst]:.3f} lower" + (", close to a coin toss." if worst_auc <= CHANCE_NEAR
                                                                     else "."))
        kept = [esc(names.get(k, k)) for k, d in drops.items() if d < HURT]
        if kept:
            out.append(f"Its ranking barely changes under {' or '.join(kept)}.")
    else:
        out.append(f"No laundering hurts it much: the worst, {esc(names.get(worst, worst))}, lowers its AUC by "
                   f"{drops[worst]:.3f}.")
    off = {k: Percent(number(s["accuracy"])) for k, s in result["laundered"].items()
           if number(s["accuracy"]) <= 0.6 and auc(s) >= 0.8}
    if off:
        low, high = fmt(min(off.values())), fmt(max(off.values()))
        out.append(f"After {' or '.join(esc(names.get(k, k)) for k in off)} it still ranks most swaps above most "
                   f"true renders (AUC 0.8 or more), but its threshold no longer fits: it labels only "
                   f"{low if low == high else f'{low} to {high}'} of the pictures right, about what a coin would.")
    robust = {k: auc(s) for k, s in result["robust"]["laundered"].items()}
    weakest = min(robust, key=robust.get)
    if robust[weakest] >= HOLDS:
        out.append(f"The robust detector holds: AUC {fmt(robust[weakest])} or more under every laundering, "
                   "because it has seen laundered pictures in training.")
    else:
        out.append(f"The robust detector does not hold everywhere: {esc(names.get(weakest, weakest))} still brings "
                   f"its AUC down to {fmt(robust[weakest])}.")
    ranking, labelled = scores(result["robust"]["heldout"])
    if ranking >= HOLDS and labelled < 0.9:
        out.append(f"It pays for that on clean pictures: it still ranks them well (AUC {fmt(ranking)}), but with its "
                   f"threshold it labels only {fmt(labelled)} of them right.")
    return "<p>" + " ".join(out) + "</p>"


def against_reading(other: dict) -> str:
    """How the detectors did on another run's swaps (the cross-dataset lesson)."""
    plain, robust = auc(other), auc(other["robust"])
    which = "the same characters" if other.get("same_characters") else "other characters"
    if min(plain, robust) >= CARRIES:
        how = "so what they learned carries over to these swaps"
    elif max(plain, robust) <= CHANCE_NEAR:
        how = "close to a coin toss: what they learned does not carry over, as detectors often fail on swaps " \
              "made another way"
    else:
        how = "part of what they learned carries over, part does not"
    return (f"<p>On the swaps of another run, <code>{esc(other['run'])}</code> ({which}), the plain detector "
            f"reaches AUC {fmt(plain)} and the robust one {fmt(robust)}: {how}.</p>")


def shares(where: dict, key: str) -> dict[str, float]:
    """One map's share of each region."""
    return {region: number(v) for region, v in where[key].items()}


def where_reading(where: dict) -> str:
    """Where the swap is wrong, where the detector finds it, and the one-region experiment."""
    area, error, evidence, saliency = (shares(where, k) for k in ("area", "error", "evidence", "saliency"))
    region_auc = {region: Score(v) for region, v in shares(where, "region_only_auc").items()}

    def biggest(values: dict[str, float]) -> tuple[str, str, str]:
        """The region with the largest share: its name, its share and its share of the picture, as text."""
        region = max(values, key=values.get)
        return esc(region), f"{100 * values[region]:.0f} %", f"{100 * area[region]:.0f} %"

    wrong, found, looks = biggest(error), biggest(evidence), biggest(saliency)
    out = [f"The picture shows where. The swap is wrong mostly on the {wrong[0]}: {wrong[1]} of |swap &minus; truth| "
           f"falls there, on {wrong[2]} of the picture."]
    if found[0] == wrong[0]:
        out.append(f"That is where the detector finds it: {found[1]} of its evidence lies on the {found[0]}.")
    else:
        out.append(f"The detector finds it mostly on the {found[0]} instead: {found[1]} of its evidence, on "
                   f"{found[2]} of the picture.")
    if looks[0] != found[0]:
        out.append(f"Its saliency is brightest on the {looks[0]} ({looks[1]}): a change there would move its "
                   "score, but this is not where the swaps differ from the truth.")
    best, weakest = max(region_auc, key=region_auc.get), min(region_auc, key=region_auc.get)
    out.append(f"To check, each swap was pasted into its true render in one region only: the {esc(best)} alone "
               f"lets the detector reach AUC {fmt(region_auc[best])}, the {esc(weakest)} alone "
               f"{fmt(region_auc[weakest])}.")
    return "<p>" + " ".join(out) + "</p>"


def training_line(result: dict) -> str:
    """How long the detectors trained, and on how many held-out pictures they are scored."""
    t = result["training"]
    plain, robust = t["plain"], t["robust"]
    pairs = len(result["identities"]) * (len(result["identities"]) - 1)
    return (f"<p>The plain detector trained for {esc(fmt(int(number(plain['steps']))))} steps "
            f"({esc(fmt(number(plain['seconds'])))} s), the robust one for {esc(fmt(int(number(robust['steps']))))} "
            f"more ({esc(fmt(number(robust['seconds'])))} s). They are scored on "
            f"{esc(fmt(int(number(result['heldout_poses']))))} held-out poses for each of the {pairs} directions of "
            f"the swap, each a swap and its true render, in the run <code>{esc(result['run'])}</code>.</p>")


def catching(result, picture: str | None, folder: str) -> str:
    """The section's body from detect.json's content and the picture's <img> (or None); ValueError
    when the file does not have the shape `aedemo detect` writes."""
    command = shlex.join(["aedemo", "detect", folder])
    try:
        body = [INTRO, training_line(result), tables(result), MEASURES, laundering_reading(result)]
        if result.get("against"):
            body.append(against_reading(result["against"]))
        body.append(f"<figure>{picture}<figcaption>{PICTURE_CAPTION}</figcaption></figure>" if picture else
                    missing(f"detect.png is not in this folder; `{command}` draws it."))
        body.append(where_reading(result["where"]))
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise ValueError(f"detect.json does not hold what aedemo detect writes ({e})") from None
    body.append(f"<p>Try it: <code>{esc(command)}</code> trains both detectors again (about 45 s); add "
                "<code>--against OTHER_RUN</code> to score them on another run's swaps.</p>")
    return "".join(body)


def catching_section(run) -> str:
    """The section's body for a report.RunView: the detectors' results, or how to make them."""
    command = shlex.join(["aedemo", "detect", str(run.folder)])
    how = f"`{command}` trains the detectors on this run's swaps and writes it (about 45 s)."
    result = run.json("detect.json")
    if isinstance(result, dict):
        try:
            return catching(result, run.image("detect.png", "Where the swap is wrong and where the detector "
                                              "looks, beside the true render and the swap", False), str(run.folder))
        except ValueError:
            pass
    return INTRO + run.absent("detect.json", how)
