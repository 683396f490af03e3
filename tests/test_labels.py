"""Every picture that shows the network's output says it is synthetic, in its file as well as on it.

PNGs carry the text chunk Synthetic=true and a description; GIFs a comment saying they are
synthetic. Checked on the pictures of a real (tiny) run, made by the commands a learner types,
and on the pretrained sample. Pictures that show no network output (loss.png, latent_pca.png,
the characters sheet) need no label.
"""
import base64
import io
import re
from pathlib import Path

import pytest
from aedemo.cli.main import cli
from click.testing import CliRunner
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "blob-robot"
TINY_CLI = ["--size", "32", "--crop", "24", "--batch", "4", "--width", "8", "--latent", "8", "--save-every", "2"]
NO_NETWORK_OUTPUT = ("loss.png", "latent_pca.png")  # plots of numbers: they show no swapped picture


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def labelled(data: bytes) -> bool:
    """Whether a PNG or GIF says in its metadata that it is a synthetic image made by aedemo."""
    picture = Image.open(io.BytesIO(data))
    if picture.format == "PNG":
        return picture.info.get("Synthetic") == "true" and "synthetic" in picture.info.get("Description", "").lower()
    return picture.format == "GIF" and b"synthetic" in picture.info.get("comment", b"").lower()


def embedded(page: Path) -> list[tuple[str, bytes]]:
    """Every data: picture in a page, with the alt text of its <img> ("" inside the SVG diagram)."""
    html = page.read_text(encoding="utf-8")
    found = re.findall(r'(?:src|href)="data:image/\w+;base64,([A-Za-z0-9+/=]+)"(?: alt="([^"]*)")?', html)
    assert len(found) == html.count("data:image/"), "a data: picture the pattern missed"
    return [(alt, base64.b64decode(data)) for data, alt in found]


def check_page(page: Path) -> int:
    """Every picture embedded in a lesson page is labelled, except copies of plots of numbers; the
    pipeline's own pictures (the swap decoded and pasted back) are there. Returns how many were checked."""
    plots = {(page.parent / name).read_bytes() for name in NO_NETWORK_OUTPUT if (page.parent / name).exists()}
    pictures = embedded(page)
    unlabelled = [alt for alt, data in pictures if data not in plots and not labelled(data)]
    assert unlabelled == [], unlabelled
    alts = [alt for alt, _ in pictures]
    assert any(alt.startswith("decoded as ") for alt in alts) and "converted: pasted back" in alts, alts
    return len(pictures)


@pytest.fixture(scope="module")
def run(tmp_path_factory, one_thread):
    """A tiny run trained by the command line, with every picture the commands make of it."""
    folder = tmp_path_factory.mktemp("labels") / "run"
    invoke("train", *TINY_CLI, "--steps", "4", "--out", folder)
    invoke("swap", folder, "--frames", "3")
    invoke("swap", folder, "--motion", "nod", "--frames", "3", "-o", folder / "still.png")
    invoke("ablate", "--time", "1", "--variant", "shared", "--out", folder)   # ablation.png in the run, for the page
    invoke("report", folder)
    return folder


def test_previews_and_timelapse_are_labelled(run):
    previews = sorted((run / "preview").glob("*.png"))
    assert [p.name for p in previews] == ["000002.png", "000004.png"]
    for path in [*previews, run / "timelapse.gif"]:
        assert labelled(path.read_bytes()), path.name


def test_swaps_and_ablation_are_labelled(run):
    for name in ("swap.gif", "still.png", "ablation.png"):
        assert labelled((run / name).read_bytes()), name
    assert Image.open(run / "swap.gif").n_frames == 3


def test_report_pictures_are_labelled(run):
    assert check_page(run / "report.html") >= 8


def test_the_pretrained_sample_is_labelled():
    pictures = [*SAMPLE.glob("*.png"), *SAMPLE.glob("*.gif"), *SAMPLE.glob("preview/*.png")]
    shown = [p for p in pictures if p.name not in NO_NETWORK_OUTPUT]
    assert {p.name for p in shown} >= {"swap.gif", "ablation.png"} and (SAMPLE / "preview").is_dir()
    for path in shown:
        assert labelled(path.read_bytes()), path.name
    check_page(SAMPLE / "report.html")
