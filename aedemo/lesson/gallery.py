"""Pictures of characters: contact sheets and labelled pose grids (no model involved).

    from aedemo.lesson.gallery import contact_sheet, pose_grid
    contact_sheet(["blob", "cat"]).save("sheet.png")
    pose_grid("cat", n=8, seed=0).save("cats.png")
"""
from __future__ import annotations

import torch
from PIL import Image, ImageDraw

from ..identities import get_identity
from ..poses import FACTORS, neutral_poses, sample_poses
from ..renderer import render
from .images import INK, PAPER, fit, font, grid, labelled_row, to_pil

SHEET_POSES = [  # the same handful of poses for every character: neutral, talk, blink, look, tilt
    ("neutral", {}),
    ("talk", {"mouth_open": 0.9, "smile": 0.5}),
    ("blink", {"eye_open": 0.0, "smile": 0.8}),
    ("look", {"gaze_x": 1.0, "gaze_y": -0.6}),
    ("frown", {"smile": -1.0, "eye_open": 0.5, "gaze_y": 0.8}),
    ("tilt", {"roll": 25.0, "x": 0.1, "scale": 0.9, "gaze_x": -1.0, "mouth_open": 0.4}),
]


def sheet_poses() -> dict[str, torch.Tensor]:
    """The contact sheet's poses as one batch."""
    parts = [neutral_poses(1, **values) for _, values in SHEET_POSES]
    return {k: torch.cat([p[k] for p in parts]) for k in FACTORS}


def contact_sheet(names, size: int = 64, scale: int = 2) -> Image.Image:
    """Every character (rows) in the same varied poses (columns), labelled."""
    identities = [get_identity(n) for n in names]
    poses = sheet_poses()
    rows = torch.stack([render(i, poses, size=size) for i in identities], dim=1)  # (poses, ids, 3, H, W)
    columns = [(label, rows[j]) for j, (label, _) in enumerate(SHEET_POSES)]
    sheet = grid(columns, scale=scale, title="aedemo characters: same poses, different identities")
    return with_row_labels(sheet, [i.name for i in identities], size * scale, top=20 + 20)


def with_row_labels(sheet: Image.Image, names: list[str], cell_h: int, top: int) -> Image.Image:
    """Add a column of row names on the left of a grid."""
    left = 64
    out = Image.new("RGB", (sheet.width + left, sheet.height), PAPER)
    out.paste(sheet, (left, 0))
    draw = ImageDraw.Draw(out)
    for r, name in enumerate(names):
        draw.text((left - 6, top + r * (cell_h + 2) + cell_h // 2), fit(name, left - 8, 13), fill=INK, font=font(13),
                  anchor="rm")
    return out


def pose_grid(name, n: int, seed: int | None = 0, size: int = 64, scale: int = 2,
              fixed: dict[str, float] | None = None) -> Image.Image:
    """n random poses of one character, each captioned with its mouth/eye values."""
    identity = get_identity(name)
    poses = sample_poses(n, seed=seed, fixed=fixed)
    images = render(identity, poses, size=size)
    labels = [f"mouth {poses['mouth_open'][i]:.1f}  eyes {poses['eye_open'][i]:.1f}" for i in range(n)]
    return labelled_row(images, labels, scale=scale, title=f"{identity.name}: {n} random poses (seed {seed})")


def single(name, values: dict[str, float], size: int = 64) -> Image.Image:
    """One character in one pose (unset factors neutral)."""
    return to_pil(render(get_identity(name), neutral_poses(1, **values), size=size)[0])
