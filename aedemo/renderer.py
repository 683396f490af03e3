"""Renderer: identity + pose factors -> anti-aliased images, batched in torch.

    from aedemo import IDENTITIES, render, sample_poses
    images = render(IDENTITIES["cat"], sample_poses(16, seed=0), size=64)         # (16, 3, 64, 64)
    images, masks = render("cat", sample_poses(16, seed=0), masks=True)           # masks["eyes"] ...

Every shape is a signed distance field in the head's own coordinates (head radius 1, v down),
so a pose is just a change of coordinates; edges are anti-aliased by turning distance into pixel
coverage. Rendering B with A's pose factors gives the exact, true swap.
"""
from __future__ import annotations

import math

import torch

from .errors import UsageError
from .identities import Identity, get_identity
from .poses import EXPRESSION_FACTORS, Poses, check_poses

SIZES = (32, 128)              # smallest and largest supported image size
BACKGROUND = (205, 218, 232)   # one background for everyone: pasted-back swaps match it
HEAD_RADIUS = 0.48             # head radius at scale 1, as a fraction of half the frame
LINE = 0.07                    # outline thickness in head units
EYE_X, EYE_Y = 0.4, -0.12      # eye centres at (+-EYE_X, EYE_Y)
MOUTH_Y, MOUTH_OPEN = 0.42, 0.26  # mouth centre and its half-height when wide open
HEAD_BOX = {"round": (1.0, 1.0), "box": (0.95, 0.85), "oval": (0.85, 1.0), "wide": (1.1, 0.85)}
EYE_RADII = {"round": (1.0, 1.0), "wide": (1.15, 0.8), "tall": (0.85, 1.25), "square": (1.0, 1.0)}
MOUTH_WIDTH = {"oval": 0.3, "wide": 0.44, "small": 0.22}


def rgb(color) -> torch.Tensor:
    """An 0-255 colour as a (1, 3, 1, 1) float tensor in [0, 1]."""
    return torch.tensor(color, dtype=torch.float32).view(1, 3, 1, 1) / 255


def length(u, v):
    """Euclidean length of (u, v)."""
    return torch.addcmul(u * u, v, v).sqrt_()


def ellipse(u, v, a, b, thin: bool = False):
    """Approximate signed distance to an axis-aligned ellipse with radii a, b; `thin` keeps a
    nearly flat ellipse (a closed eye or mouth) from leaking past its bounding box."""
    k0 = length(u / a, v / b)
    k1 = length(u / (a * a), v / (b * b))
    d = k0 * (k0 - 1.0) / (k1 + 1e-6)
    return torch.maximum(d, torch.maximum(u.abs() - a, v.abs() - b)) if thin else d


def rounded_box(u, v, half_w, half_h, radius):
    """Signed distance to a box with rounded corners."""
    qu = u.abs() - half_w + radius
    qv = v.abs() - half_h + radius
    outside = length(qu.clamp(min=0), qv.clamp(min=0))
    return outside + torch.minimum(torch.maximum(qu, qv), torch.zeros(())) - radius


def triangle(u, v, points):
    """Signed distance (exact inside, approximate outside) to a triangle given in either winding."""
    area = sum(ax * by - bx * ay for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1]))
    points = list(points) if area > 0 else list(points)[::-1]
    d = None
    for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1]):
        ex, ey = bx - ax, by - ay
        n = math.hypot(ex, ey)
        side = torch.add(u * (ey / n), v, alpha=-ex / n).add_((ay * ex - ax * ey) / n)  # > 0 outside this edge
        d = side if d is None else torch.maximum(d, side)
    return d


def capsule(u, v, a, b, r):
    """Signed distance to a segment from a to b with radius r."""
    pu, pv, bu, bv = u - a[0], v - a[1], b[0] - a[0], b[1] - a[1]
    h = ((pu * bu + pv * bv) / (bu * bu + bv * bv)).clamp(0, 1)
    return length(pu - bu * h, pv - bv * h) - r


def rotate(u, v, cx, cy, degrees):
    """Coordinates relative to (cx, cy), turned by -degrees."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    du, dv = u - cx, v - cy
    return c * du + s * dv, -s * du + c * dv


def head_coordinates(p: Poses, size: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-pixel head coordinates (u, v) of shape (n, 1, size, size) and the pixel width,
    for poses given as (n, 1, 1, 1) tensors."""
    axis = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) * (2.0 / size) - 1.0
    fx, fy = axis.view(1, 1, 1, size), axis.view(1, 1, size, 1)
    radius = HEAD_RADIUS * p["scale"]
    theta = p["roll"] * (math.pi / 180)
    c, s = torch.cos(theta), torch.sin(theta)
    dx, dy = fx - p["x"], fy - p["y"]
    u = (c * dx + s * dy) / radius
    v = (-s * dx + c * dy) / radius
    return u, v, (2.0 / size) / radius


def head_distance(identity: Identity, u, v):
    """Signed distance to the head outline (without outline thickness)."""
    hw, hh = HEAD_BOX[identity.head]
    if identity.head == "box":
        return rounded_box(u, v, hw, hh, 0.35)
    return ellipse(u, v, hw, hh)


def extras_behind(identity: Identity, u, v, au):
    """Distances of decorations drawn behind the head: list of (distance, colour key)."""
    top = HEAD_BOX[identity.head][1]  # au = |u| draws symmetric pairs at once
    shapes = []
    if "cat_ears" in identity.extras:
        shapes.append((triangle(au, v, [(0.25, -top + 0.1), (0.95, -0.25), (0.8, -top - 0.45)]), "skin"))
        shapes.append((triangle(au, v, [(0.45, -top + 0.05), (0.83, -0.4), (0.76, -top - 0.22)]), "accent"))
    if "bear_ears" in identity.extras:
        shapes.append((length(au - 0.7, v + 0.72) - 0.32, "skin"))
        shapes.append((length(au - 0.7, v + 0.72) - 0.17, "accent"))
    if "bunny_ears" in identity.extras:
        for cx, tilt in ((-0.35, -8.0), (0.38, 28.0)):  # the right ear flops: tilt is unambiguous
            eu, ev = rotate(u, v, cx, -top - 0.5, tilt)
            shapes.append((ellipse(eu, ev, 0.2, 0.62), "skin"))
            shapes.append((ellipse(eu, ev + 0.05, 0.09, 0.45), "accent"))
    if "horns" in identity.extras:
        shapes.append((triangle(au, v, [(0.25, -top + 0.2), (0.62, -top + 0.3), (0.62, -top - 0.45)]), "accent"))
    if "antenna" in identity.extras:
        shapes.append((capsule(u, v, (0.25, -top + 0.1), (0.45, -top - 0.38), 0.05), "outline"))
        shapes.append((length(u - 0.45, v + top + 0.42) - 0.15, "accent"))
    if "tuft" in identity.extras:
        for cx, cy, r in ((0.02, 0.02, 0.2), (0.25, -0.1, 0.16), (0.43, -0.02, 0.12)):
            shapes.append((length(u - cx, v + top - cy) - r, "accent"))
    return shapes


def extras_on_face(identity: Identity, u, v, au, head):
    """Decorations drawn on the face, clipped to the head: list of (distance, colour key)."""
    shapes = []
    if "spot" in identity.extras:
        shapes.append((torch.maximum(ellipse(u - 0.5, v + 0.45, 0.3, 0.24), head + LINE), "accent"))
    if "cheeks" in identity.extras:
        shapes.append((ellipse(au - 0.64, v - 0.25, 0.17, 0.1), "accent"))
    return shapes


def eye_distances(identity: Identity, p: Poses, au, v, side):
    """Distances for both eyes at once, in mirrored coordinates: white, iris and glint."""
    sx, sy = EYE_RADII[identity.eye_shape]
    rw, rh_full = identity.eye_size * sx, identity.eye_size * sy
    rh = (rh_full * p["eye_open"]).clamp(min=1e-3)
    eu, ev = au - EYE_X, v - EYE_Y
    if identity.eye_shape == "square":
        white = rounded_box(eu, ev, rw, rh, rh.clamp(max=0.1))
    else:
        white = ellipse(eu, ev, rw, rh, thin=True)
    ri = 0.5 * min(rw, rh_full)
    iu = eu - side * p["gaze_x"] * (rw - 0.8 * ri)   # side flips gaze for the mirrored left eye
    iv = ev - p["gaze_y"] * (rh_full - 0.8 * ri)
    iris = torch.maximum(length(iu, iv) - ri, white + 0.04)
    glint = torch.maximum(length(iu - side * 0.35 * ri, iv + 0.35 * ri) - 0.3 * ri, white + 0.04)
    return white, iris, glint


def mouth_distance(identity: Identity, p: Poses, u, v):
    """Distance to the inside of the mouth; smile bends it, mouth_open opens it."""
    mw = MOUTH_WIDTH[identity.mouth_style]
    mh = 0.02 + MOUTH_OPEN * p["mouth_open"]
    mv = (v - MOUTH_Y).addcmul_(p["smile"] * (0.2 / mw ** 2), u * u)   # smile lifts the corners
    return ellipse(u, mv, mw, mh, thin=True)


def feature_region(identity: Identity, au, v):
    """Distance to where eyes and mouth can ever be drawn, whatever the expression."""
    sx, sy = EYE_RADII[identity.eye_shape]
    rw, rh = identity.eye_size * sx + LINE, identity.eye_size * sy + LINE
    sockets = ellipse(au - EYE_X, v - EYE_Y, rw, rh)
    mw = MOUTH_WIDTH[identity.mouth_style] + LINE + 0.05
    mouth = ellipse(au, v - MOUTH_Y, mw, MOUTH_OPEN + 0.02 + LINE + 0.2)
    return torch.minimum(sockets, mouth)


CHUNK = 64  # images drawn at a time: small enough that every layer stays in the CPU cache
MASKS = ("face", "eyes", "mouth", "features")
REACH = {"bunny_ears": 1.25, "antenna": 0.6, "horns": 0.5, "cat_ears": 0.5, "bow": 0.45, "tuft": 0.4}


def render(identity: Identity | str, poses: Poses, size: int = 64, masks: bool = False, device=None):
    """Draw `identity` in each pose: (n, 3, size, size) in [0, 1]; with masks=True also a dict
    of (n, 1, size, size) masks: face, eyes, mouth and features (where eyes and mouth can be)."""
    identity = get_identity(identity)
    if isinstance(size, bool) or not isinstance(size, int) or not SIZES[0] <= size <= SIZES[1]:
        raise UsageError(f"size must be a whole number of pixels from {SIZES[0]} to {SIZES[1]}, got {size!r}")
    n = check_poses(poses)
    device = torch.device(device) if device is not None else poses["x"].device
    images = rgb(BACKGROUND).to(device).expand(n, 3, size, size).contiguous()
    mask_images = {k: torch.zeros(n, 1, size, size, device=device) for k in MASKS} if masks else {}
    for i in range(0, n, CHUNK):
        chunk = {k: v[i:i + CHUNK] for k, v in poses.items()}
        draw(identity, chunk, images[i:i + CHUNK], {k: m[i:i + CHUNK] for k, m in mask_images.items()})
    return (images, mask_images) if masks else images


class Pixels:
    """Pixels being drawn, as flat lists: head coordinates, inverse pixel width and colour so far (3, pixels)."""

    def __init__(self, u, v, inv_pixel, image):
        self.u, self.v, self.au, self.inv_pixel, self.image = u, v, u.abs(), inv_pixel, image
        self.neg_inv_pixel = -inv_pixel
        self.edges = {}  # grow -> 0.5 + grow / pixel width, made once

    def cover(self, d, grow: float = 0.0):
        """Pixel coverage of the shape d < grow, anti-aliased over one pixel."""
        if grow not in self.edges:
            self.edges[grow] = 0.5 + grow * self.inv_pixel
        return torch.addcmul(self.edges[grow], d, self.neg_inv_pixel).clamp_(0.0, 1.0)

    def paint(self, alpha, color):
        """Blend `color` (3, 1) over the colour so far with coverage `alpha`."""
        self.image.lerp_(color.expand_as(self.image), alpha.expand_as(self.image))


def draw(identity: Identity, poses: Poses, out: torch.Tensor, out_masks: dict) -> None:
    """Draw one chunk of poses into `out` (n, 3, size, size, filled with the background) and
    into `out_masks`. Only pixels near the character are computed: they are gathered into
    flat lists, drawn, and put back; eyes and mouth are drawn only near where they can be."""
    (n, _, size, _), device = out.shape, out.device
    p = {k: t.to(device=device, dtype=torch.float32).view(-1, 1, 1, 1) for k, t in poses.items()}
    u, v, pixel = head_coordinates(p, size, device)
    margin = LINE + 2 * pixel
    reach = HEAD_BOX[identity.head][1] + max([REACH.get(e, 0.2) for e in identity.extras], default=0.0)
    near = (u.abs() < 1.3 + margin) & (v < 1.0 + margin) & (v > -reach - margin)
    which, pixel_index = near.view(n, -1).nonzero(as_tuple=True)  # image and pixel of each kept pixel
    area = size * size
    keep = which * area + pixel_index   # where each kept pixel is in a (n, size, size) mask
    px = Pixels(u.view(-1).index_select(0, keep), v.view(-1).index_select(0, keep),
                (1.0 / pixel.view(-1)).index_select(0, which), rgb(BACKGROUND).view(3, 1).expand(3, len(keep)).clone())
    u, v, au = px.u, px.v, px.au
    colors = {k: rgb(getattr(identity, k)).view(3, 1).to(device)
              for k in ("skin", "outline", "accent", "eye_color", "mouth_color")}
    colors["white"] = torch.ones(3, 1, device=device)
    face = []

    def outlined(d, key):
        face.append(px.cover(d, LINE))
        px.paint(face[-1], colors["outline"])
        px.paint(px.cover(d), colors[key])

    for d, key in extras_behind(identity, u, v, au):
        outlined(d, key)
    head = head_distance(identity, u, v)
    outlined(head, "skin")
    for d, key in extras_on_face(identity, u, v, au, head):
        px.paint(px.cover(d).mul_(0.7), colors[key])
    index = feature_bounds(identity, p, pixel, au, v).nonzero().squeeze(1)   # eyes and mouth: only here
    part = Pixels(*(t.index_select(-1, index) for t in (u, v, px.inv_pixel, px.image)))
    factors = torch.stack([p[k].view(-1) for k in EXPRESSION_FACTORS]).index_select(1, which.index_select(0, index))
    expression = dict(zip(EXPRESSION_FACTORS, factors))
    white, iris, glint = eye_distances(identity, expression, part.au, part.v, torch.sign(part.u))
    eyes = part.cover(white, LINE)
    part.paint(eyes, colors["outline"])
    part.paint(part.cover(white, -0.04), colors["white"])   # the white shrinks a little so a shut eye is one clean line
    part.paint(part.cover(iris), colors["eye_color"])
    part.paint(part.cover(glint), colors["white"])
    inside = mouth_distance(identity, expression, part.u, part.v)
    mouth = part.cover(inside, LINE)
    part.paint(mouth, colors["outline"])
    part.paint(part.cover(inside), colors["mouth_color"])
    px.image.index_copy_(1, index, part.image)
    if "bow" in identity.extras:
        outlined(bow_distance(identity, u, v), "accent")

    spots = (which * (3 * area) + pixel_index) + torch.arange(0, 3 * area, area, device=device).view(3, 1)
    out.view(-1).index_copy_(0, spots.view(-1), px.image.clamp_(0.0, 1.0).view(-1))
    if not out_masks:
        return
    one_pixel = 0.5 + (1.0 / px.inv_pixel) * px.inv_pixel   # the edge of a shape grown by one pixel
    region = torch.addcmul(one_pixel, feature_region(identity, au, v), px.neg_inv_pixel).clamp_(0.0, 1.0)
    for k, flat, at in (("face", torch.stack(face).amax(0), keep), ("features", region, keep),
                        ("eyes", eyes, keep[index]), ("mouth", mouth, keep[index])):
        out_masks[k].view(-1).index_copy_(0, at, flat)


def feature_bounds(identity: Identity, p: Poses, pixel, au, v):
    """Where eyes or mouth can cover a pixel in these poses: in their bounding boxes (they are thin ellipses or
    boxes) grown by the outline and a pixel."""
    pad, (sx, sy), mw = LINE + float(pixel.max()), EYE_RADII[identity.eye_shape], MOUTH_WIDTH[identity.mouth_style]
    eye_h = max(identity.eye_size * sy * float(p["eye_open"].max()), 1e-3) + pad
    eyes = ((au - EYE_X).abs_() < identity.eye_size * sx + pad) & ((v - EYE_Y).abs_() < eye_h)
    bend = (0.2 / mw ** 2) * (mw + pad) ** 2   # how far a smile or frown moves the corners at most
    mouth_h = 0.02 + MOUTH_OPEN * float(p["mouth_open"].max()) + pad
    low = -mouth_h - bend * max(float(p["smile"].max()), 0.0)
    high = mouth_h + bend * max(-float(p["smile"].min()), 0.0)
    return eyes | ((au < mw + pad) & ((v - (MOUTH_Y + (low + high) / 2)).abs_() < (high - low) / 2))


def bow_distance(identity: Identity, u, v):
    """Distance to a bow worn on the upper right of the head."""
    top = HEAD_BOX[identity.head][1]
    bu, bv = rotate(u, v, 0.5, -top + 0.12, 20.0)
    wings = torch.minimum(triangle(bu, bv, [(0.0, 0.0), (-0.42, 0.25), (-0.42, -0.25)]),
                          triangle(bu, bv, [(0.0, 0.0), (0.42, -0.25), (0.42, 0.25)]))
    return torch.minimum(wings, length(bu, bv) - 0.1)
