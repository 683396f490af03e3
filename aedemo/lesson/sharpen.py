"""Plain against GAN at equal time, for the lesson page: a close-up picture and plain words from the numbers.

    aedemo ablate --out runs/blob-robot --variant shared --variant gan --time 60
    aedemo detect runs/blob-robot/ablation/shared; aedemo detect runs/blob-robot/ablation/gan   # optional
    aedemo report runs/blob-robot             # section 5 then says what the critic did

    from aedemo.lesson.sharpen import gan_picture, gan_html
    picture = gan_picture(plain_run, gan_run)        # source | swaps | truth, and the edges of each
    html = gan_html(run_folder, ablation_table)      # "" when the ablation has no gan variant

Every sentence is chosen from the numbers in ablation.json (and the variants' detect.json, when
`aedemo detect` has scored them): sharper edges or not, more or less right in the eyes and mouth,
detail the truth does not have, the detector fooled or not. Gaps smaller than the noise between two
runs of one recipe are called no difference.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image

from ..data import heldout_poses
from ..renderer import render
from .images import grid
from .page import esc, figure, image_file, missing, table

GAN_PICTURE = "ablation-gan.png"  # written by `aedemo ablate` when it trains both "shared" and "gan"
EDGE_NOISE = 0.02   # sharpness ratios closer than this are the same (two seeds of one recipe differ about this much)
NOISE_DB = 0.5      # margins closer than this are the same
AUC_NOISE = 0.02    # detector AUCs closer than this are the same
FOOLED_AUC = 0.75   # below this the detector is wrong about one pair in four: fooled, on the whole


def edges(images: torch.Tensor) -> torch.Tensor:
    """|image gradient| of each picture, grey, brightened to be seen: (n, 3, H, W) in [0, 1]."""
    grey = images.float().mean(1, keepdim=True)
    dx = F.pad((grey[..., :, 1:] - grey[..., :, :-1]).abs(), (0, 1, 0, 0))
    dy = F.pad((grey[..., 1:, :] - grey[..., :-1, :]).abs(), (0, 0, 0, 1))
    return (3 * (dx + dy)).clamp(0, 1).expand(-1, 3, -1, -1)


@torch.no_grad()
def gan_picture(plain, gan, n: int = 3) -> Image.Image:
    """Held-out frames of A swapped to B without and with the critic, the truth, and the edges of each."""
    (a, ida), (b, idb) = list(plain.identities.items())[:2]
    poses, size = heldout_poses(n), plain.config.size
    source, truth = render(ida, poses, size=size), render(idb, poses, size=size)
    without = plain.swap(source, to=b, source=a).cpu().clamp(0, 1)
    with_critic = gan.swap(source, to=b, source=a).cpu().clamp(0, 1)
    columns = [(a, source), ("pixel loss", without), ("with critic", with_critic), ("truth", truth),
               ("edges: pixel", edges(without)), ("edges: critic", edges(with_critic)), ("edges: truth", edges(truth))]
    return grid(columns, scale=3, synthetic={1, 2, 4, 5}, gap_after={3},
                title=f"{a} -> {b} at equal training time, without and with the critic (GAN)")


def variant_number(folder: Path, variant: str, name: str, *keys) -> float | None:
    """A number from RUN/ablation/VARIANT/NAME (a JSON file) at keys, or None if it is not there."""
    try:
        value = json.loads((folder / "ablation" / variant / name).read_text(encoding="utf-8"))
        for key in keys:
            value = value[key]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def compare(plain: float, gan: float, noise: float, better: str, worse: str, same: str) -> str:
    """`better` when the GAN's number is higher by more than the noise, `worse` when lower, else `same`."""
    return better if gan - plain > noise else worse if plain - gan > noise else same


def gan_html(folder: Path, results: dict) -> str:
    """The paragraph, table and picture of plain against GAN, or "" when the ablation has no gan variant."""
    variants = results.get("variants") if isinstance(results.get("variants"), dict) else {}
    plain, gan = variants.get("shared"), variants.get("gan")
    keys = ("steps", "sharpness", "frame_margin_db", "margin_db", "output_spread")
    if not all(isinstance(r, dict) and all(isinstance(r.get(k), (int, float)) for k in keys) for r in (plain, gan)):
        return ""
    seconds = results.get("seconds_each")
    words = [f"In the same {esc(seconds)} s the critic's run made {gan['steps']} steps against {plain['steps']}: "
             "judging costs time."]
    start = variant_number(folder, "gan", "config.json", "settings", "gan_start")
    if start is not None and gan["steps"] <= start:
        words.append(f"Its critics start at step {start:g}, so in this run they never judged: the two runs differ "
                     "only by chance. Give the ablation a longer --time.")
    words.append(compare(plain["sharpness"], gan["sharpness"], EDGE_NOISE,
                         f"Its edges are sharper: {gan['sharpness']:.2f} of the truth's against {plain['sharpness']:.2f}.",
                         f"Its edges are softer: {gan['sharpness']:.2f} of the truth's against {plain['sharpness']:.2f}.",
                         f"Its edges are no sharper: {gan['sharpness']:.2f} of the truth's against "
                         f"{plain['sharpness']:.2f}."))
    if gan["sharpness"] > 1 + EDGE_NOISE:
        words.append("It draws more edges than the truth has: detail the critic invented, or artefacts.")
    words.append(compare(plain["frame_margin_db"], gan["frame_margin_db"], NOISE_DB,
                         "The whole frame is closer to the truth", "The whole frame is further from the truth",
                         "The whole frame is as close to the truth")
                 + f" ({gan['frame_margin_db']:+.1f} against {plain['frame_margin_db']:+.1f} dB over the blurred "
                 "baseline),")
    words.append(compare(plain["margin_db"], gan["margin_db"], NOISE_DB, "and the eyes and mouth are more right",
                         "and the eyes and mouth are less right", "and the eyes and mouth are as right")
                 + f" ({gan['margin_db']:+.1f} against {plain['margin_db']:+.1f} dB over the best blind baseline).")
    rows = [["sharpness ratio (truth = 1)", f"{plain['sharpness']:.2f}", f"{gan['sharpness']:.2f}"],
            ["whole frame vs blurred baseline (dB)", f"{plain['frame_margin_db']:+.1f}", f"{gan['frame_margin_db']:+.1f}"],
            ["eyes+mouth vs best blind baseline (dB)", f"{plain['margin_db']:+.1f}", f"{gan['margin_db']:+.1f}"],
            ["output spread (truth = 1)", f"{plain['output_spread']:.2f}", f"{gan['output_spread']:.2f}"]]
    caught = {v: variant_number(folder, v, "detect.json", "heldout", "auc") for v in ("shared", "gan")}
    if None not in caught.values():
        rows.append(["detector AUC (1 = every swap caught)", f"{caught['shared']:.3f}", f"{caught['gan']:.3f}"])
        verdict = ("fooled, on the whole" if caught["gan"] < FOOLED_AUC else "not fooled")
        words.append(f"The detector is {verdict}: "
                     + compare(caught["shared"], caught["gan"], AUC_NOISE, "it catches these swaps more easily",
                               "it catches these swaps less easily", "it catches these swaps as easily")
                     + f" (AUC {caught['gan']:.3f} against {caught['shared']:.3f}).")
    out = [f"<h3>Pixel loss alone, or a critic beside it?</h3><p>{' '.join(words)}</p>",
           table(["after equal time", "pixel loss", "with critic"], rows)]
    if None in caught.values():
        out.append(missing(f"The detector has not scored these swaps; `aedemo detect {folder / 'ablation' / 'shared'}` "
                           f"and `aedemo detect {folder / 'ablation' / 'gan'}` add whether it is fooled."))
    picture = image_file(folder / GAN_PICTURE, "Swaps without and with the critic, and their edges")
    if picture:
        out.append(figure(picture, "Left: the swap without and with the critic beside the truth. Right: their "
                          "edges (bright = a sharp change). Edges where the truth has none are invented (synthetic)."))
    return "".join(out)
