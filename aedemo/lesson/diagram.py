"""Drawings for the lesson page: the model as an SVG diagram, the pipeline's real stages, charts.

    from aedemo.lesson.diagram import model_svg, pipeline_stages
    stages = pipeline_stages(blob, robot, pipeline, size=64)   # frames, crops, codes, swaps, truth
    svg = model_svg(stages, png_uri, "blob", "robot")        # shared encoder, two decoders, the swap

Every drawing is plain inline SVG text: no script, no font file, nothing fetched. Text inside
the SVG is either a fixed label, a number, or HTML-escaped here.
"""
from __future__ import annotations

import html
import math

import torch

from ..align import crop
from ..identities import Identity
from ..pipeline import Pipeline
from ..poses import neutral_poses
from ..renderer import render
from .images import shorten

POSE_A = {"x": 0.1, "y": -0.04, "roll": 14.0, "gaze_x": 0.8, "gaze_y": -0.4, "eye_open": 0.9,
          "mouth_open": 0.8, "smile": 0.7}   # an expressive pose: open mouth, eyes to the side
POSE_B = {"x": -0.08, "roll": -10.0, "gaze_x": -0.7, "eye_open": 0.3, "mouth_open": 0.1, "smile": -0.4}
RED, INK, MUTED = "#c81e3c", "#1e1e28", "#6b6b80"


@torch.no_grad()
def pipeline_stages(a: Identity, b: Identity, pipeline: Pipeline | None, size: int) -> dict:
    """Every stage of one swap of A into B, as tensors; without a model only frames and truth."""
    stages = {"frame_a": render(a, neutral_poses(1, **POSE_A), size=size),
              "frame_b": render(b, neutral_poses(1, **POSE_B), size=size),
              "truth": render(b, neutral_poses(1, **POSE_A), size=size)}
    if pipeline is None:
        return stages
    model = pipeline.model
    frame_a, frame_b, truth = (stages[k].to(pipeline.device) for k in ("frame_a", "frame_b", "truth"))
    was_training = model.training
    model.eval()
    try:
        crop_a, head = pipeline.extract(frame_a)
        crop_b, _ = pipeline.extract(frame_b)
        code_a, code_b = model.encode(crop_a, a.name), model.encode(crop_b, b.name)
        swap_crop = model.decode(code_a, b.name).float()
        stages.update(
            crop_a=crop_a, crop_b=crop_b, code_a=code_a[0], code_b=code_b[0], swap_crop=swap_crop,
            rec_a=model.decode(code_a, a.name).float(), rec_b=model.decode(code_b, b.name).float(),
            truth_crop=truth if head is None else crop(truth, head, pipeline.geometry, model.cfg.crop),
            swap_frame=pipeline.swap(frame_a, to=b.name, source=a.name))   # the real convert step, mask and all
    finally:
        model.train(was_training)
    return {k: v.detach().float().cpu() for k, v in stages.items()}


def code_cells(code: torch.Tensor, x: float, y: float, w: float, h: float, scale: float) -> str:
    """The code as a column of coloured cells: blue below zero, red above, white near zero."""
    n = len(code)
    cells = []
    for i, value in enumerate(code.tolist()):
        t = max(-1.0, min(1.0, value / scale))
        r, g, bl = (255, int(255 * (1 - t)), int(255 * (1 - t))) if t > 0 else \
                   (int(255 * (1 + t)), int(255 * (1 + t)), 255)
        cells.append(f'<rect x="{x}" y="{y + i * h / n:.2f}" width="{w}" height="{h / n + 0.3:.2f}" '
                     f'fill="rgb({r},{g},{bl})"/>')
    return "".join(cells) + f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="none" stroke="{INK}"/>'


def picture(uri: str | None, x: float, y: float, side: float, caption: str, color: str = INK) -> str:
    """An embedded image (or a dashed empty box) with a caption under it."""
    if uri is None:
        body = (f'<rect x="{x}" y="{y}" width="{side}" height="{side}" fill="none" stroke="{MUTED}" '
                f'stroke-dasharray="6 5"/><text x="{x + side / 2}" y="{y + side / 2 + 8}" font-size="26" '
                f'text-anchor="middle" fill="{MUTED}">?</text>')
    else:
        body = (f'<image href="{uri}" x="{x}" y="{y}" width="{side}" height="{side}" '
                f'style="image-rendering:pixelated"/><rect x="{x}" y="{y}" width="{side}" height="{side}" '
                f'fill="none" stroke="{color}" stroke-width="2"/>')
    return body + f'<text x="{x + side / 2}" y="{y + side + 22}" text-anchor="middle" fill="{color}">{caption}</text>'


def arrow(points: list[tuple[float, float]], color: str = INK, dashed: bool = False) -> str:
    """A polyline ending in an arrowhead."""
    path = " ".join(f"{x},{y}" for x, y in points)
    (x0, y0), (x1, y1) = points[-2], points[-1]
    angle = math.atan2(y1 - y0, x1 - x0)
    head = [(x1 - 12 * math.cos(angle + s), y1 - 12 * math.sin(angle + s)) for s in (0.45, -0.45)]
    tip = " ".join(f"{x:.1f},{y:.1f}" for x, y in [head[0], (x1, y1), head[1]])
    dash = ' stroke-dasharray="9 6"' if dashed else ""
    return (f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="3"{dash}/>'
            f'<polygon points="{tip}" fill="{color}"/>')


def trapezoid(x: float, cy: float, w: float, h_left: float, h_right: float, label: str, color: str = INK) -> str:
    """A network drawn as a trapezoid: tall where the picture is big, short where the code is."""
    pts = [(x, cy - h_left / 2), (x + w, cy - h_right / 2), (x + w, cy + h_right / 2), (x, cy + h_left / 2)]
    lines = "".join(f'<tspan x="{x + w / 2}" dy="{0 if i == 0 else 22}">{part}</tspan>'
                    for i, part in enumerate(label.split("\n")))
    return (f'<polygon points="{" ".join(f"{px},{py}" for px, py in pts)}" fill="#eef2fb" stroke="{color}" '
            f'stroke-width="2.5"/><text y="{cy + 6 - 11 * label.count(chr(10))}" text-anchor="middle" '
            f'fill="{color}">{lines}</text>')


def short(name: str, limit: int = 10) -> str:
    """A name cut to fit a label, HTML-escaped."""
    return html.escape(shorten(name, limit))


def model_svg(stages: dict, uri, a: str, b: str) -> str:
    """The shared encoder, the code, decoder A and decoder B, and the swap path in red."""
    pic = {k: uri(v) for k, v in stages.items() if k not in ("code_a", "code_b")}
    r1, r2, r3, side = 100, 250, 410, 96
    scale = max(float(torch.cat([stages["code_a"], stages["code_b"]]).abs().max()), 1e-6) \
        if "code_a" in stages else 1.0
    parts = [('<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 1000 500" role="img" '
              'font-size="19" '
              'font-family="sans-serif" aria-label="Diagram: shared encoder, code, decoder A, decoder B, '
              'and the swap path">')]
    for text, x in (("aligned crop", 70), ("shared encoder", 250), ("code", 385), ("decoders", 520),
                    ("output", 680)):
        parts.append(f'<text x="{x}" y="26" text-anchor="middle" fill="{MUTED}">{text}</text>')
    parts.append(picture(pic.get("crop_a"), 22, r1 - side / 2, side, f"A: {short(a)}"))
    parts.append(picture(pic.get("crop_b"), 22, r2 - side / 2, side, f"B: {short(b)}"))
    parts.append(trapezoid(170, (r1 + r2) / 2, 160, r2 - r1 + 130, r2 - r1 + 60, "shared\nencoder"))
    for row, key in ((r1, "code_a"), (r2, "code_b")):
        parts.append(arrow([(120, row), (168, row)]))
        parts.append(arrow([(332, row), (368, row)]))
        if key in stages:
            parts.append(code_cells(stages[key], 370, row - side / 2, 30, side, scale))
        else:
            parts.append(f'<rect x="370" y="{row - side / 2}" width="30" height="{side}" fill="#f4f4f8" '
                         f'stroke="{INK}"/>')
        parts.append(arrow([(402, row), (448, row)]))
    parts.append(trapezoid(450, r1, 140, 60, 100, "decoder A"))
    parts.append(trapezoid(450, r2, 140, 60, 100, "decoder B"))
    parts.append(arrow([(592, r1), (628, r1)]))
    parts.append(arrow([(592, r2), (628, r2)]))
    parts.append(picture(pic.get("rec_a"), 632, r1 - side / 2, side, "A again"))
    parts.append(picture(pic.get("rec_b"), 632, r2 - side / 2, side, "B again"))
    parts.append(arrow([(402, r1 - 20), (425, r1 - 20), (425, r3), (448, r3)], RED, dashed=True))
    parts.append(trapezoid(450, r3, 140, 60, 100, "decoder B", RED))
    parts.append(arrow([(592, r3), (628, r3)], RED))
    parts.append(picture(pic.get("swap_crop"), 632, r3 - side / 2, side, "A\u2192B swap", RED))
    parts.append(picture(pic.get("truth_crop"), 800, r3 - side / 2, side, "true swap"))
    parts.append(f'<text x="770" y="{(r1 + r2) / 2 - 18}" fill="{MUTED}">training: each</text>'
                 f'<text x="770" y="{(r1 + r2) / 2 + 6}" fill="{MUTED}">decoder redraws</text>'
                 f'<text x="770" y="{(r1 + r2) / 2 + 30}" fill="{MUTED}">its own character</text>'
                 f'<text x="22" y="{r3 - 10}" fill="{RED}">the swap: A\'s code,</text>'
                 f'<text x="22" y="{r3 + 16}" fill="{RED}">B\'s decoder</text>'
                 f'<text x="764" y="{r3 + 8}" text-anchor="middle" fill="{MUTED}">vs</text>')
    parts.append("</svg>")
    return "".join(parts)
