"""Swap animations: the source performing a motion, its swap, and the true swap, side by side.

    from aedemo.lesson.animate import swap_frames, write_swap
    frames = swap_frames(run, "blob", "robot", motion="talk")     # PIL images, e.g. for a notebook
    write_swap(run, "runs/x/swap.gif", "blob", "robot", "talk")   # a GIF; a .png path gives a still grid

Every picture labels its columns, tags the swapped one "synthetic", and carries metadata saying
it is a synthetic image made by aedemo.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from ..errors import UsageError
from ..poses import motion as motion_poses
from ..renderer import render
from .images import grid, save_gif, save_png, shorten

FORMATS = (".gif", ".png")


def swap_columns(run, source: str, target: str, motion: str = "talk", frames: int = 24) -> list[tuple[str, object]]:
    """The three labelled columns (source, swap, true swap), one row per frame of the motion."""
    poses = motion_poses(motion, frames)
    size = run.config.size
    src = render(run.identities[source], poses, size=size)
    swapped = run.swap(src, to=target, source=source).detach().float().cpu().clamp(0, 1)
    truth = render(run.identities[target], poses, size=size)
    s, t = shorten(source, 8), shorten(target, 8)  # the middle label names both characters
    return [(s, src), (f"{s}->{t}", swapped), (f"true {t}", truth)]


def heading(motion: str, source: str, target: str) -> str:
    """The picture's title: which motion, and a swap or a reconstruction."""
    if source == target:
        return f"{motion}: {source} -> {source} (a reconstruction, not a swap)"
    return f"{motion}: {source} -> {target}"


def scale_for(size: int) -> int:
    """Enlargement that makes a frame about 192 pixels wide, without blurring."""
    return max(1, 192 // size)


def swap_frames(run, source: str, target: str, motion: str = "talk", frames: int = 24) -> list[Image.Image]:
    """One picture per frame of the motion: source | swap (tagged synthetic) | true swap."""
    columns = swap_columns(run, source, target, motion, frames)
    scale = scale_for(run.config.size)
    return [grid([(name, images[i:i + 1]) for name, images in columns], scale=scale, synthetic={1},
                 title=f"{heading(motion, source, target)}   frame {i + 1}/{frames}")
            for i in range(frames)]


def write_swap(run, path: str | Path, source: str, target: str, motion: str = "talk", frames: int = 24) -> Path:
    """Write the swap animation as a GIF, or as a still grid (one row per frame) if `path` ends in .png."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise UsageError(f"output {path} must end in .gif (animation) or .png (still grid)")
    if path.suffix.lower() == ".png":
        columns = swap_columns(run, source, target, motion, frames)
        picture = grid(columns, scale=max(1, 128 // run.config.size),
                       synthetic={1}, title=heading(motion, source, target))
        return save_png(picture, path, synthetic=True)
    return save_gif(swap_frames(run, source, target, motion, frames), path, ms_per_frame=90, synthetic=True)


def pick_pair(run, source: str | None, target: str | None) -> tuple[str, str]:
    """Source and target names (any case, or a spec file): defaults are the run's first two
    identities; unknown names raise UsageError with the closest names."""
    names = list(run.identities)
    source = None if source is None else run.identity(source, option="--from")
    target = None if target is None else run.identity(target, option="--to")
    if source is None:
        source = next(n for n in names if n != target)
    if target is None:
        target = next(n for n in names if n != source)
    return source, target

