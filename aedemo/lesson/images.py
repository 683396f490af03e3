"""Pictures: tensors to labelled grids, PNGs and GIFs that say they are synthetic.

    from aedemo.lesson.images import grid, save_png
    sheet = grid([("A", a_images), ("A->B", swaps)], synthetic={1})   # column 1 is made up
    save_png(sheet, "preview.png", synthetic=True)

Every picture that shows a swap carries a visible "synthetic" tag and text metadata saying
it is a synthetic image made by aedemo.
"""
from __future__ import annotations

import functools
import importlib.util
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from .. import __version__
from ..files import atomic_write

SYNTHETIC_NOTE = "Synthetic image made by aedemo: cartoon characters, no real person."
INK, PAPER, WARN = (30, 30, 40), (255, 255, 255), (200, 30, 60)


@functools.cache
def font(size: int = 12) -> ImageFont.ImageFont:
    """DejaVu Sans from matplotlib's own files (it has accented letters: "Renée" stays readable),
    or Pillow's built-in font if that file is missing."""
    matplotlib = importlib.util.find_spec("matplotlib")
    dejavu = Path(matplotlib.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf" if matplotlib else None
    if dejavu and dejavu.is_file():
        return ImageFont.truetype(str(dejavu), size)
    return ImageFont.load_default(size=size)


def to_pil(image, scale: int = 1) -> Image.Image:
    """A (3, H, W) tensor in [0, 1] as a PIL image, enlarged `scale` times without blurring."""
    array = (image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)
    pil = Image.fromarray(array)
    return pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST) if scale > 1 else pil


def shorten(name: str, limit: int) -> str:
    """A name cut to `limit` characters with an ellipsis, so labels built from two names keep both."""
    return name if len(name) <= limit else name[:limit - 1] + "…"


def fit(text: str, width: int, size: int) -> str:
    """`text`, cut short with an ellipsis if it is wider than `width` pixels at font size `size`."""
    if font(size).getlength(text) <= width:
        return text
    while len(text) > 1 and font(size).getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def grid(columns: list[tuple[str, object]], scale: int = 2, synthetic: set[int] = frozenset(),
         gap_after: set[int] = frozenset(), title: str = "") -> Image.Image:
    """Columns of images (label, (n, 3, H, W) tensor) under a header; the columns numbered in
    `synthetic` get a tag, those in `gap_after` a wider gap after them."""
    n, _, h, w = columns[0][1].shape
    cell_w, cell_h = w * scale, h * scale
    head = 34 if synthetic else 20
    top = 20 if title else 0
    gaps = [8 if i in gap_after else 0 for i in range(len(columns))]
    width = len(columns) * (cell_w + 2) + sum(gaps) + 2
    footer = 16 if synthetic else 0
    sheet = Image.new("RGB", (width, top + head + n * (cell_h + 2) + footer), PAPER)
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((4, 3), fit(title, width - 8, 13), fill=INK, font=font(13))
    x = 2
    for i, ((label, images), gap) in enumerate(zip(columns, gaps)):
        draw.text((x + cell_w // 2, top + 10), fit(label, cell_w - 4, 12), fill=INK, font=font(12), anchor="mm")
        if i in synthetic:
            draw.text((x + cell_w // 2, top + 25), "synthetic", fill=WARN, font=font(10), anchor="mm")
        for row in range(n):
            sheet.paste(to_pil(images[row], scale), (x, top + head + row * (cell_h + 2)))
        x += cell_w + 2 + gap
    if synthetic:
        draw.text((4, sheet.height - 14), "SYNTHETIC - made by aedemo", fill=WARN, font=font(10))
    return sheet


def labelled_row(images, labels: list[str], scale: int = 2, title: str = "") -> Image.Image:
    """One row of images with a caption under each (a contact-sheet strip)."""
    n, _, h, w = images.shape
    cell_w, cell_h = w * scale, h * scale
    top = 18 if title else 0
    sheet = Image.new("RGB", (n * (cell_w + 2) + 2, top + cell_h + 18), PAPER)
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((4, 2), fit(title, sheet.width - 8, 13), fill=INK, font=font(13))
    for i in range(n):
        x = 2 + i * (cell_w + 2)
        sheet.paste(to_pil(images[i], scale), (x, top))
        draw.text((x + cell_w // 2, top + cell_h + 9), fit(labels[i], cell_w - 2, 10), fill=INK, font=font(10),
                  anchor="mm")
    return sheet


def stack(pictures: list[Image.Image]) -> Image.Image:
    """Pictures one under another on white."""
    width = max(p.width for p in pictures)
    sheet = Image.new("RGB", (width, sum(p.height for p in pictures)), PAPER)
    y = 0
    for p in pictures:
        sheet.paste(p, (0, y))
        y += p.height
    return sheet


def png_info(synthetic: bool) -> PngImagePlugin.PngInfo:
    """PNG text chunks: the software, and whether the picture is synthetic."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"aedemo {__version__}")
    if synthetic:
        info.add_text("Synthetic", "true")
        info.add_text("Description", SYNTHETIC_NOTE)
    return info


def save_png(picture: Image.Image, path: str | Path, synthetic: bool = False) -> Path:
    """Write a PNG atomically, with metadata; synthetic=True marks it as a made-up image."""
    with atomic_write(path) as f:
        picture.save(f, format="PNG", pnginfo=png_info(synthetic))
    return Path(path)


def gif_bytes(frames: list[Image.Image], ms_per_frame: int = 100, synthetic: bool = True) -> bytes:
    """A looping GIF as bytes; its comment says it is synthetic."""
    comment = SYNTHETIC_NOTE if synthetic else "made by aedemo"
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=ms_per_frame,
                   loop=0, comment=comment.encode(), optimize=False)
    return buffer.getvalue()


def save_gif(frames: list[Image.Image], path: str | Path, ms_per_frame: int = 100,
             synthetic: bool = True) -> Path:
    """Write a looping GIF atomically; its comment says it is synthetic."""
    data = gif_bytes(frames, ms_per_frame, synthetic)
    with atomic_write(path) as f:
        f.write(data)
    return Path(path)
