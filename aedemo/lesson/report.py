"""The lesson page: one self-contained report.html per run, readable offline on any screen.

    aedemo report runs/blob-robot                     # rebuild runs/blob-robot/report.html

    from aedemo.lesson.report import write_report
    path = write_report("runs/blob-robot")            # pipeline=... adds the model's own pictures

Eight sections, each a picture first and a few plain sentences: the idea, the data, training,
the swap, why a shared encoder, the shared code, responsible use, catching the swap. Images are inlined as data:
URIs and a Content-Security-Policy forbids scripts and fetches, so the file works from a USB
stick. Every string from the run is HTML-escaped. A missing artifact is named in one sentence
and the rest of the page is still built.
"""
from __future__ import annotations

import io
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .. import __version__
from ..ablate import DEMO_SECONDS, DEMO_VARIANTS
from ..config import TrainConfig
from ..errors import RunError
from ..files import write_text
from ..folder import read_config
from ..identities import Identity, identity_from_dict
from ..pipeline import Pipeline
from ..poses import EXPRESSION_FACTORS, FACTORS, HEAD_FACTORS
from ..run import Run, load_run
from .animate import LESSON_FRAMES, LESSON_MOTION, both_ways_frames
from .detection import catching_section
from .diagram import model_svg, pipeline_stages
from .gallery import contact_sheet
from .images import gif_bytes
from .page import data_uri, esc, figure, flat_rows, image_file, img, missing, page, picture_tag, png_uri, table
from .pairs import cast_part
from .scoreboard import ablation_table, metrics_html, probes_table
from .sharpen import gan_html
from .texts import (
    ABLATION_TEXT,
    LOSS_TEXT,
    OUTLINE_TEXT,
    PCA_TEXT,
    PROBES,
    PSNR_TEXT,
    RESPONSIBLE_USE,
    SECTIONS,
    SWAP_MEASURES,
)


@dataclass
class RunView:
    """What the report knows about one run folder."""

    folder: Path                     # the run folder
    config: dict                     # config.json as written by training (reproduce, versions)
    settings: TrainConfig            # the run's settings, validated
    identities: dict[str, Identity]  # the run's characters, in order (A, B, ...)
    stages: dict                     # tensors of one swap, stage by stage (see diagram.pipeline_stages)
    model_note: str                  # why the model's own pictures are missing, or ""
    model: Run | None                # the trained run, to draw the swap both ways; None without a checkpoint
    animation: bytes | None = None   # the lesson's swap GIF already drawn from this model, used as it is

    def file(self, name: str) -> Path:
        """A path inside the run folder."""
        return self.folder / name

    def image(self, name: str, alt: str, pixelated: bool = True) -> str | None:
        """An inline <img> of a file in the run, or None."""
        return image_file(self.file(name), alt, pixelated)

    def json(self, name: str):
        """A JSON file of the run, or None when it is missing or unreadable."""
        try:
            return json.loads(self.file(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return None

    def absent(self, name: str, how: str) -> str:
        """The one sentence shown instead of a missing or unreadable artifact."""
        state = "could not be read" if self.file(name).exists() else "is not in this folder"
        return missing(f"{name} {state}; {how}")


def read_run(run_dir: str | Path, pipeline: Pipeline | None = None, animation: bytes | None = None) -> RunView:
    """Settings, identities and (from checkpoint.pt unless given) the pipeline of a run folder."""
    folder = Path(run_dir)
    settings = read_config(folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    identities = {name: identity_from_dict(spec) for name, spec in settings.identities.items()}
    note, model = "", None
    if pipeline is not None:
        model = Run(folder, settings, pipeline, config.get("steps_done", 0))
    elif (folder / "checkpoint.pt").exists():
        try:
            model = load_run(folder)
        except RunError as e:
            note = f"The model's own pictures are missing because its checkpoint could not be loaded: {e}"
    else:
        note = "The model's own pictures (crops, codes, swaps) appear here once the run has a checkpoint.pt."
    a, b = list(identities.values())[:2]
    stages = pipeline_stages(a, b, model and model.pipeline, settings.size)
    return RunView(folder, config, settings, identities, stages, note, model, animation)


def section(number: int, body: str) -> str:
    """One numbered section with its anchor and title."""
    key, title = SECTIONS[number - 1]
    return f'<section id="{key}"><h2>{number}. {esc(title)}</h2>{body}</section>'


def idea(run: RunView) -> str:
    """Section 1: the model diagram and the pipeline, with this run's pictures."""
    a, b = list(run.identities)[:2]
    s = run.stages
    out = [figure(model_svg(s, png_uri, a, b),
                  "Black paths: training. Red path: the swap. Pictures: this run's model on one pose "
                  "(the swap is synthetic).",
                  scroll=True), '<p class="narrow">Swipe the diagram sideways to see all of it.</p>']
    latent = run.settings.latent
    out.append(f"<p>The <b>encoder</b> squeezes a face into a short list of numbers, the <b>code</b>"
               f" ({esc(latent)} numbers in this run), drawn above as a column of "
               f"cells (red above zero, blue below). Each character has its own <b>decoder</b> that draws "
               f"that character from a code. In training, pictures of {esc(a)} go through the encoder and "
               f"{esc(a)}'s decoder, pictures of {esc(b)} through the <i>same</i> encoder and {esc(b)}'s "
               f"decoder, and each decoder learns to redraw its own character.</p>"
               f"<p>Because one encoder serves both, its code can only describe what the two have in common: "
               f"where the eyes look, blinks, how wide the mouth opens, the smile. The swap is just a change "
               f"of wiring (red): encode {esc(a)}, decode with {esc(b)}'s decoder.</p>")
    if "swap_frame" in s:
        step = [("frame_a", f"the frame: {a}"), ("crop_a", "extract: aligned crop"),
                ("swap_crop", f"decoded as {b} (synthetic)"), ("swap_frame", "converted: pasted back"),
                ("truth", "the true swap")]
        cells = [f'<figure><img class="px" src="{png_uri(s[k])}" alt="{esc(c)}"><figcaption>{esc(c)}'
                 f"</figcaption></figure>" for k, c in step]
        out.append(f'<h3>Inside the pipeline</h3><div class="strip">{"<span class=arrow>&rarr;</span>".join(cells[:4])}'
                   f'<span class="arrow">vs</span>{cells[4]}</div>')
    else:
        out.append(missing(run.model_note))
    out.append("<p>Real face-swap tools wrap the autoencoder in a pipeline. <b>Extract</b>: find the head in "
               "the frame and cut out an upright, centred crop (tools for real faces use face landmarks; here "
               "a small network finds the eyes, the mouth and the sides of the head). <b>Swap</b> the crop. <b>Convert</b>: warp the "
               "new face back into the frame and blend its edges. Because the characters are drawn by a "
               "program, we can also draw the true answer, B in exactly A's pose, and compare.</p>")
    return section(1, "".join(out))


def data(run: RunView) -> str:
    """Section 2: the characters in the same poses; identity versus pose factors."""
    names = list(run.identities)
    sheet = picture_tag(contact_sheet(list(run.identities.values())), "The characters in the same six poses")
    traits = [[n, f"{i.description + ': ' if i.description else ''}{i.head} head, {i.eye_shape} eyes, "
               f"{i.mouth_style} mouth" + (f", extras: {', '.join(i.extras)}" if i.extras else "")]
              for n, i in run.identities.items()]

    def factors(kind: tuple[str, ...]) -> list[list[str]]:
        """Rows of name (range) and meaning."""
        return [[f"{k} ({FACTORS[k].low:g} to {FACTORS[k].high:g})", FACTORS[k].help] for k in kind]

    return section(2, figure(sheet, "Rows: characters. Columns: the same pose for everyone.")
                   + f"<p>Each row is one character ({esc(', '.join(names))}); each column is one pose. "
                   "<b>Identity</b> is what never changes along a row: head shape, colours, eyes, mouth, "
                   "extras like ears or an antenna. <b>Pose</b> is what changes from column to column, and it "
                   "means the same for every character.</p>"
                   + table(["character", "identity: what never changes"], traits)
                   + table(["head pose", "where the head is" + (": the aligner takes it out" if
                                                                run.settings.aligned else "")], factors(HEAD_FACTORS))
                   + table(["expression", "what the swap has to carry over"], factors(EXPRESSION_FACTORS))
                   + "<p>There is no fixed data set: every training step draws fresh random poses and renders "
                   "them. A fixed set of held-out poses is never trained on; it is kept for scoring.</p>")


def training(run: RunView) -> str:
    """Section 3: loss curves, swap quality over time, the timelapse."""
    a, b = list(run.identities)[:2]
    loss_png = run.image("loss.png", "Training loss and held-out swap PSNR by step", pixelated=False)
    out = [figure(loss_png, "Left: each network's error on its own training pictures (lower is better). Right: "
                  "swaps of held-out poses scored against the true swap (higher is better).") if loss_png else
           run.absent("loss.png", "training draws it from log.csv when it ends."), LOSS_TEXT]
    out.append(PSNR_TEXT)
    gif = run.image("timelapse.gif", "Timelapse of training previews")
    out.append(figure(gif, "Training previews over time (synthetic).") if gif else
               run.absent("timelapse.gif", "training assembles it from the previews when it ends "
                          "(the run in samples/ leaves it out, to stay small)."))
    out.append(f"<p>Each preview row is one held-out pose. Left half: {esc(a)} (the input), {esc(a)}&gt;{esc(a)} "
               f"(redrawn by {esc(a)}'s decoder), {esc(a)}&gt;{esc(b)} (the swap) and {esc(b)} truth (the true "
               f"swap); the right half is the same from {esc(b)}'s side. Watch whether the eyes and mouth in the "
               "swapped columns follow the input."
               + (" The previews show the first two characters; section 4 scores every pair." if len(run.identities) > 2
                  else "") + " The header gives the step and the swap's PSNR against the true swap, eyes and mouth "
               "first.</p>")
    if run.settings.aligned:
        out.append(OUTLINE_TEXT.format(a=esc(a), b=esc(b)))
    return section(3, "".join(out))


def swap_animation(run: RunView) -> str:
    """The swap both ways, drawn by the model (or RUN/swap.gif without one), with its caption."""
    a, b = (esc(n) for n in list(run.identities)[:2])
    columns = ("Left: the source performing a motion. Middle: the swap (synthetic). Right: the true swap, drawn by "
               "the renderer in the source's exact pose.")
    if run.model is not None:
        data = run.animation or gif_bytes(both_ways_frames(run.model, *list(run.identities)[:2], LESSON_MOTION,
                                                           LESSON_FRAMES), ms_per_frame=90)
        gif = img(data_uri(data, "image/gif"), "The swap both ways, animated, next to the true swap",
                  Image.open(io.BytesIO(data)).width)
        return figure(gif, f"Top: {a} &rarr; {b}. Bottom: the other way, {b} &rarr; {a}. {columns}")
    gif = run.image("swap.gif", "The swap, animated, next to the true swap")
    return (figure(gif, columns) if gif else
            run.absent("swap.gif", f"`aedemo swap {shlex.quote(str(run.folder))}` draws it."))


def swap(run: RunView) -> str:
    """Section 4: the swap animation both ways and the numbers, each beside its baseline."""
    metrics = run.json("metrics.json")
    out = [swap_animation(run)]
    out.append("<p>The closer the middle column is to the right one, the better the swap. Watch the mouth "
               "and the eyes: a swap that only copies where the head is, and not the expression, is the "
               "classic failure.</p>")
    out.append(cast_part(run))  # a cast of three or more: the matrix, the pair heat map, the weak pairs
    if isinstance(metrics, dict):
        out.append(SWAP_MEASURES + metrics_html(metrics, str(run.folder)))
    else:
        out.append(run.absent("metrics.json", f"`aedemo evaluate {run.folder}` writes it."))
    return section(4, "".join(out))


def ablation(run: RunView) -> str:
    """Section 5: the same budget with separate encoders, without warp, other code sizes."""
    picture = run.image("ablation.png", "Swaps from each variant of the ablation")
    results = run.json("ablation.json")
    variants = [x for name in DEMO_VARIANTS for x in ("--variant", name)]
    command = shlex.join(["aedemo", "ablate", "--out", str(run.folder), "--time", f"{DEMO_SECONDS:g}", *variants])
    how = (f"`{command}` makes it as `aedemo demo` does ({len(DEMO_VARIANTS)} variants, {DEMO_SECONDS:g} s of training "
           f"each), and `{shlex.join(['aedemo', 'report', str(run.folder)])}` puts it on this page.")
    out = [figure(picture, "The same swap from each variant (synthetic).") if picture else
           run.absent("ablation.png", how)]
    out.append(ABLATION_TEXT)
    if isinstance(results, dict) and isinstance(results.get("variants"), dict) and results["variants"]:
        out.append(ablation_table(results) + gan_html(run.folder, results))
    elif picture:  # with neither file, one sentence says it
        out.append(run.absent("ablation.json", how))
    return section(5, "".join(out))


def shared_code(run: RunView) -> str:
    """Section 6: the PCA of codes and the linear probes."""
    picture = run.image("latent_pca.png", "Codes of every character, projected to two dimensions", False)
    info = run.json("explain.json")
    out = [figure(picture, "Each dot is the code of one held-out picture.") if picture else
           run.absent("latent_pca.png", f"`aedemo explain {run.folder}` draws it."), PCA_TEXT]
    if isinstance(info, dict) and isinstance(info.get("probes"), dict):
        out.append(PROBES + probes_table(info["probes"], run.settings.aligned))
    else:
        out.append(run.absent("explain.json", f"`aedemo explain {run.folder}` writes the probes and the architecture."))
    if isinstance(info, dict) and isinstance(info.get("params"), dict):
        out.append("<h3>How big is the model?</h3>" + table(["part", "parameters"], flat_rows(info["params"])))
    return section(6, "".join(out))


def responsible(run: RunView) -> str:
    """Section 7: responsible use, and the command that reproduces this run."""
    command = run.config.get("reproduce")
    versions = run.config.get("versions")
    out = [RESPONSIBLE_USE, "<h3>Reproduce this run</h3>"]
    out.append("<p>This command trains the same run again, step for step. It will not overwrite a folder that "
               "holds a run, so change its <code>--out</code> first.</p>"
               f"<pre><code>{esc(command)}</code></pre>" if isinstance(command, str) and command else
               run.absent("config.json's reproduce command", "training records it."))
    if isinstance(versions, dict):
        out.append(f"<p>Made with: {esc(', '.join(f'{k} {v}' for k, v in versions.items()))}.</p>")
    return section(7, "".join(out))


def build_html(run: RunView) -> str:
    """The whole lesson page as one string."""
    *others, last = run.identities
    title = f"How a face swap works: {', '.join(others)} and {last}"
    nav = "".join(f'<li><a href="#{key}">{esc(t)}</a></li>' for key, t in SECTIONS)
    head = (f"<h1>{esc(title)}</h1><p>A lesson page for the run <code>{esc(run.folder.name)}</code>.</p>"
            '<p class="banner"><b class="red">Synthetic.</b> Everything on this page is made up: cartoon '
            "characters drawn by a program, faces swapped by a small neural network. No real person appears."
            f"</p><nav><ol>{nav}</ol></nav>")
    body = [idea(run), data(run), training(run), swap(run), ablation(run), shared_code(run), responsible(run),
            section(8, catching_section(run))]
    foot = f'<p class="missing">Made by aedemo {esc(__version__)}. This file works offline.</p>'
    return page(title, head + "".join(body) + foot)


def write_report(run_dir: str | Path, pipeline: Pipeline | None = None, animation: bytes | None = None) -> Path:
    """Write RUN/report.html atomically and return its path; `animation`: the lesson's swap GIF (see
    animate.write_swap with both_ways) when it was just drawn from `pipeline`, so it is not drawn twice."""
    run = read_run(run_dir, pipeline, animation)
    return write_text(run.file("report.html"), build_html(run))
