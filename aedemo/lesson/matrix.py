"""The swap matrix: one character drives, every character of the run copies the same face.

    from aedemo.lesson.matrix import matrix_picture, write_matrix
    picture = matrix_picture(run, "blob", heldout_poses(6))        # a PIL image: one pose per row
    write_matrix(run, "runs/cast/matrix.gif", "blob", "talk")       # animated; a .png path gives a still

Each row is one pose of the source; the first column shows the source as drawn, then one column
per character: what that character's decoder makes of the same shared code. The source's own
column is its reconstruction. Every made-up column is tagged "synthetic", and the files carry
metadata saying they are synthetic images made by aedemo.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from ..errors import UsageError
from ..poses import motion as motion_poses
from ..renderer import render
from .images import grid, save_gif, save_png, shorten

FORMATS = (".gif", ".png")


def matrix_columns(run, source: str, poses: dict) -> list[tuple[str, object]]:
    """Labelled columns: the source at `poses`, then its swap to every character of the run."""
    frames = render(run.identities[source], poses, size=run.config.size)
    columns = [(f"{shorten(source, 10)} (input)", frames)]
    for target, swapped in run.swap_all(frames, source=source).items():  # every decoder reads the one code
        columns.append((shorten(target, 10) + (" (own)" if target == source else ""),
                        swapped.detach().float().cpu().clamp(0, 1)))
    return columns


def heading(source: str, what: str) -> str:
    """The picture's title: who drives, and that every decoder reads the same code."""
    return f"{source} {what}: one code, every decoder"


def scale_for(size: int) -> int:
    """Enlargement that makes a frame about 128 pixels wide, without blurring."""
    return max(1, 128 // size)


def matrix_picture(run, source: str, poses: dict, what: str = "makes faces") -> Image.Image:
    """The still matrix: one row per pose, the source then every character."""
    columns = matrix_columns(run, source, poses)
    return grid(columns, scale=scale_for(run.config.size), synthetic=set(range(1, len(columns))), gap_after={0},
                title=heading(source, what))


def matrix_frames(run, source: str, motion: str = "talk", frames: int = 24) -> list[Image.Image]:
    """One picture per frame of the motion: the source and every character making its face."""
    columns = matrix_columns(run, source, motion_poses(motion, frames))
    synthetic = set(range(1, len(columns)))
    return [grid([(name, images[i:i + 1]) for name, images in columns], scale=scale_for(run.config.size),
                 synthetic=synthetic, gap_after={0}, title=f"{heading(source, motion + 's')}   frame {i + 1}/{frames}")
            for i in range(frames)]


def write_matrix(run, path: str | Path, source: str, motion: str = "talk", frames: int = 24) -> Path:
    """Write the matrix as a GIF of the motion, or as a still (one row per frame) if `path` ends in .png."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise UsageError(f"output {path} must end in .gif (animation) or .png (still grid)")
    if path.suffix.lower() == ".png":
        picture = matrix_picture(run, source, motion_poses(motion, frames), what=motion + "s")
        return save_png(picture, path, synthetic=True)
    return save_gif(matrix_frames(run, source, motion, frames), path, ms_per_frame=90, synthetic=True)
