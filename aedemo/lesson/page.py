"""HTML building blocks for the lesson page: escaping, inline images, tables, the stylesheet.

    from aedemo.lesson.page import esc, image_file, missing, picture_tag, table
    html = image_file(run / "loss.png", "Loss curves") or missing("loss.png is not in this folder.")

Everything returned is a string of HTML that is safe to concatenate: text from a run (names,
settings, paths, JSON values) always passes through `esc`, images become base64 data: URIs.
"""
from __future__ import annotations

import base64
import html
import io
import math
import re
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .images import png_info, to_pil

KINDS = {"PNG": "image/png", "GIF": "image/gif", "JPEG": "image/jpeg"}
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"  # no scripts, nothing fetched

CSS = """
:root{--ink:#1e1e28;--muted:#55556a;--red:#c81e3c;--soft:#f2f4f9}
html{font-size:clamp(17px,0.8vw + 11px,25px)}
body{margin:0;color:var(--ink);background:#fff;line-height:1.5;
 font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:52rem;margin:0 auto;padding:1rem 1.1rem 4rem}
h1{font-size:2rem;line-height:1.2;margin:.8rem 0 .4rem}
h2{font-size:1.45rem;margin:2.6rem 0 .6rem;padding-top:.6rem;border-top:3px solid var(--ink)}
h3{font-size:1.1rem;margin:1.6rem 0 .4rem}
p,li{max-width:44rem}
img,svg{max-width:100%;height:auto}
img.px{image-rendering:pixelated}
figure{margin:1rem 0}
figcaption{color:var(--muted);font-size:.9rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
.scroll svg.diagram{min-width:40rem;display:block}
.strip{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.strip figure{margin:0;width:7.5rem;text-align:center}
.strip img{width:100%}
.strip .arrow{font-size:1.6rem;color:var(--muted)}
.banner{background:#fff3f5;border-left:.4rem solid var(--red);padding:.6rem 1rem}
.box{background:var(--soft);border-radius:.5rem;padding:.2rem 1.1rem .8rem}
.missing{color:var(--muted);font-style:italic}
.tablewrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.9rem;margin:.6rem 0}
th,td{padding:.3rem .7rem;border-bottom:1px solid #d8d8e0;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}
pre{white-space:pre-wrap;word-break:break-word;background:var(--soft);padding:.8rem;border-radius:.4rem}
nav ol{padding-left:1.4rem;columns:2 14rem}
.red{color:var(--red)}
.good{color:#17663a}.weak{color:#8a5a00}.bad{color:var(--red)}
td .word{font-size:.8em;font-variant-numeric:normal}
.dim{opacity:.4}
.warn{background:#fff8e6;border-left:.4rem solid #d99a00;padding:.6rem 1rem}
table.lead tbody tr:first-child{font-weight:700;background:#fff3f5}
.narrow{display:none;color:var(--muted);font-size:.85rem}
@media (max-width:40rem){.narrow{display:block}.strip figure{width:5.5rem}th,td{padding:.25rem .4rem}}
"""


def esc(value) -> str:
    """Text made safe for HTML content and attribute values."""
    return html.escape(str(value), quote=True)


def missing(sentence: str) -> str:
    """One sentence saying what is not there and how it would appear; `commands` become code."""
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", esc(sentence))
    return f'<p class="missing">{text}</p>'


def data_uri(data: bytes, mime: str) -> str:
    """Bytes as a base64 data: URI."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def png_uri(image, scale: int = 3) -> str:
    """A (1 or 3, H, W) or (1, 3, H, W) tensor as an enlarged PNG data: URI, marked synthetic."""
    image = image[0] if image.dim() == 4 else image
    buffer = io.BytesIO()
    to_pil(image, scale).save(buffer, format="PNG", pnginfo=png_info(synthetic=True))
    return data_uri(buffer.getvalue(), "image/png")


def pil_uri(picture: Image.Image) -> str:
    """A PIL picture as a PNG data: URI, marked synthetic."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", pnginfo=png_info(synthetic=True))
    return data_uri(buffer.getvalue(), "image/png")


def img(uri: str, alt: str, width: int, pixelated: bool = True) -> str:
    """An <img>; pixel-art pictures are shown up to 3x larger, never blurred, never wider than the page."""
    shown = width * max(1, min(3, 800 // max(width, 1))) if pixelated else width
    cls = ' class="px"' if pixelated else ""
    return f'<img src="{uri}" alt="{esc(alt)}" width="{shown}"{cls} style="width:{shown}px">'


def picture_tag(picture: Image.Image, alt: str) -> str:
    """An <img> of a PIL picture."""
    return img(pil_uri(picture), alt, picture.width)


def image_file(path: Path, alt: str, pixelated: bool = True) -> str | None:
    """An <img> holding the file inline, or None when it is missing or not a readable PNG/GIF/JPEG."""
    try:
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as probe:
            kind, width = probe.format, probe.width
            probe.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        return None
    if kind not in KINDS:
        return None
    return img(data_uri(data, KINDS[kind]), alt, width, pixelated)


def figure(body: str, caption: str = "", scroll: bool = False) -> str:
    """A figure with an optional (already escaped) caption."""
    inner = f'<div class="scroll">{body}</div>' if scroll else body
    return f"<figure>{inner}" + (f"<figcaption>{caption}</figcaption>" if caption else "") + "</figure>"


class Percent(float):
    """A fraction shown as a whole percentage."""


class Score(float):
    """A score from 0 to 1 shown with three decimals (an AUC: 1.000, not 1)."""


class Rated:
    """A number with its plain reading: a word after it, and a tone (good, weak or bad) that colours it."""

    def __init__(self, value, word: str, tone: str = ""):
        self.value, self.word, self.tone = value, word, tone


def fmt(value) -> str:
    """A number the way a learner reads it: 3 significant digits, thousands separated; None is a dash."""
    if value is None:
        return "\u2014"
    if isinstance(value, Percent):
        return f"{100 * value:.0f} %"
    if isinstance(value, Score):
        return f"{value:.3f}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def cell(value, dim: bool = False) -> str:
    """One table cell, escaped: numbers right-aligned, a Rated number with its word and tone."""
    classes = []
    if isinstance(value, Rated):
        classes += ["num", value.tone] if value.tone else ["num"]
        text = f'{esc(fmt(value.value))} <span class="word">{esc(value.word)}</span>'
    else:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            classes.append("num")
        text = esc(fmt(value))
    if dim:
        classes.append("dim")
    return f'<td class="{" ".join(classes)}">{text}</td>' if classes else f"<td>{text}</td>"


def table(header: list[str], rows: list[list], first_row_stands_out: bool = False,
          dim_rows: set[int] = frozenset(), dim_columns: set[int] = frozenset()) -> str:
    """A table; every cell escaped, numbers right-aligned; optionally the first row highlighted, and
    rows or columns greyed out (numbers not to be trusted)."""
    head = "".join(f'<th class="dim">{esc(h)}</th>' if i in dim_columns else f"<th>{esc(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell(c, r in dim_rows or i in dim_columns) for i, c in enumerate(row)) + "</tr>"
                   for r, row in enumerate(rows))
    cls = ' class="lead"' if first_row_stands_out else ""
    return f'<div class="tablewrap"><table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def flat_rows(value, prefix: str = "") -> list[list]:
    """Nested JSON as [label, value] rows: keys joined with ' / ', lists of numbers shortened."""
    if isinstance(value, dict):
        return [row for k, v in value.items() for row in flat_rows(v, f"{prefix} / {k}" if prefix else str(k))]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [row for i, v in enumerate(value) for row in flat_rows(v, f"{prefix} [{i}]")]
    if isinstance(value, list):
        shown = ", ".join(fmt(v) for v in value[:8]) + (", ..." if len(value) > 8 else "")
        return [[prefix, shown]]
    return [[prefix, value]]


def page(title: str, body: str) -> str:
    """The whole document: strict CSP, inline CSS, large type, works offline."""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="generator" content="aedemo"><title>{esc(title)}</title>'
            f"<style>{CSS}</style></head><body><main>{body}</main></body></html>\n")
