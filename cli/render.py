"""`aedemo render`: draw one character in a pose, with no model at all."""
from __future__ import annotations

import click

from .options import check_seed


@click.command()
@click.argument("name", metavar="NAME|SPEC.json")
@click.option("--set", "settings", multiple=True, metavar="FACTOR=VALUE",
              help="Set a pose factor (repeatable); unset factors are neutral.")
@click.option("--random", "random_n", type=int, default=None, metavar="N", help="Draw a grid of N random poses instead.")
@click.option("--seed", default=0, show_default=True, type=int, callback=check_seed, help="Seed for --random.")
@click.option("--size", default=64, show_default=True, type=int, help="Image size in pixels (32-128).")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="Output PNG path.")
def render(name, settings, random_n, seed, size, out):
    """Draw one character: a single pose, or a grid of random poses.

    NAME is a built-in character (see `aedemo identities`) or a path to a JSON spec file.

    \b
    Pose factors and their ranges:
      x, y        head position, -0.22..0.22     scale       head size, 0.8..1.2
      roll        tilt in degrees, -30..30       gaze_x/y    where the pupils look, -1..1
      eye_open    0 shut .. 1 open               mouth_open  0 closed .. 1 wide open
      smile       -1 frown .. 1 big smile
    \b
    Examples:
      aedemo render cat -o cat.png
      aedemo render robot --set mouth_open=1 --set eye_open=0 -o robot_talks.png
      aedemo render blob --random 8 --seed 3 -o blobs.png
      aedemo render pip.json --size 128 -o pip.png   # your own character: see aedemo identities --help
    """
    from aedemo.errors import UsageError
    from aedemo.files import output_path
    from aedemo.identities import get_identity
    from aedemo.lesson.gallery import pose_grid, single
    from aedemo.lesson.images import save_png
    from aedemo.poses import parse_settings
    from aedemo.renderer import SIZES

    identity = get_identity(name)
    values = parse_settings(settings)
    if not SIZES[0] <= size <= SIZES[1]:
        raise UsageError(f"--size must be from {SIZES[0]} to {SIZES[1]} pixels, got {size}")
    if random_n is not None and not 1 <= random_n <= 256:
        raise UsageError(f"--random takes 1 to 256 poses, got {random_n}")
    path = output_path(out, {".png": "picture"})
    if random_n is not None:
        picture = pose_grid(identity, random_n, seed=seed, size=size, fixed=values)
    else:
        picture = single(identity, values, size=size)
    save_png(picture, path)
    click.echo(f"wrote {path}", err=True)
    click.echo(str(path))
