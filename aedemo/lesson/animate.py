"""Swap animations: the source performing a motion, its swap, and the true swap, side by side.

    from aedemo.lesson.animate import swap_frames, write_swap
    frames = swap_frames(run, "blob", "robot", motion="talk")     # PIL images, e.g. for a notebook
    write_swap(run, "runs/x/swap.gif", "blob", "robot", "talk")   # a GIF; a .png path gives a still grid
    write_swap(run, "runs/x/swap.gif", "blob", "robot", both_ways=True)  # robot->blob in a second row

Every picture labels its columns, tags the swapped one "synthetic", and carries metadata saying
it is a synthetic image made by aedemo.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from ..errors import UsageError
from ..poses import motion as motion_poses
from ..renderer import render
from .images import grid, save_gif, save_png, shorten, stack

FORMATS = (".gif", ".png")
LESSON_MOTION, LESSON_FRAMES = "tour", 36  # the lesson's swap animation: every factor moves in turn


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


def both_ways_frames(run, a: str, b: str, motion: str = LESSON_MOTION,
                     frames: int = LESSON_FRAMES) -> list[Image.Image]:
    """One picture per frame: a's motion swapped to b on top, b's same motion swapped to a below."""
    return [stack([top, bottom]) for top, bottom in
            zip(swap_frames(run, a, b, motion, frames), swap_frames(run, b, a, motion, frames))]


def still_grid(run, source: str, target: str, motion: str, frames: int) -> Image.Image:
    """The motion as one still picture: source | swap | true swap, one row per frame."""
    columns = swap_columns(run, source, target, motion, frames)
    return grid(columns, scale=max(1, 128 // run.config.size), synthetic={1}, title=heading(motion, source, target))


def write_swap(run, path: str | Path, source: str, target: str, motion: str = "talk", frames: int = 24,
               both_ways: bool = False) -> Path:
    """Write the swap animation as a GIF, or as a still grid (one row per frame) if `path` ends in .png;
    `both_ways` adds the swap from target to source below it."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise UsageError(f"output {path} must end in .gif (animation) or .png (still grid)")
    if path.suffix.lower() == ".png":
        pairs = [(source, target), (target, source)] if both_ways else [(source, target)]
        picture = stack([still_grid(run, s, t, motion, frames) for s, t in pairs])
        return save_png(picture, path, synthetic=True)
    pictures = (both_ways_frames(run, source, target, motion, frames) if both_ways else
                swap_frames(run, source, target, motion, frames))
    return save_gif(pictures, path, ms_per_frame=90, synthetic=True)


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

