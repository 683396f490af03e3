"""Commands that draw characters without any model: `identities` and `render`."""
from __future__ import annotations

import click


def check_seed(ctx, param, value: int) -> int:
    """A seed must fit the random generator: a whole number from 0 to 2**63 - 1."""
    if not 0 <= value < 2**63:
        raise click.BadParameter(f"must be from 0 to {2**63 - 1}, got {value}")
    return value


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME|SPEC.json]...")
@click.option("--sheet", type=click.Path(dir_okay=False), help="Also write a contact sheet PNG here.")
@click.option("--size", default=64, show_default=True, type=int, help="Image size in pixels (32-128).")
def identities(names, sheet, size):
    """List the characters (every built-in one, or those named); optionally draw a contact sheet.

    \b
    Examples:
      aedemo identities
      aedemo identities --sheet characters.png
      aedemo identities pip.json blob --sheet pip-and-blob.png   # pip.json: see below

    \b
    Your own character is a JSON file; save this as pip.json to try it:
      {"name": "pip", "head": "round", "skin": [90, 200, 250],
       "eye_shape": "tall", "mouth_style": "small", "extras": ["antenna", "cheeks"]}
    Required: name (up to 40 characters, no '.'), head (round, box, oval, wide),
      skin (red, green, blue from 0 to 255).
    Optional: outline, accent, eye_color, mouth_color (colours like skin);
      eye_shape (round, wide, tall, square); eye_size (0.2 to 0.38);
      mouth_style (oval, wide, small); description (one line of text);
      extras, a list of: tuft, antenna, cat_ears, bunny_ears, bear_ears, horns, bow, cheeks, spot.
    Every command that takes a character's name also takes the path of such a file.
    """
    from aedemo.errors import UsageError
    from aedemo.files import output_path
    from aedemo.identities import IDENTITIES, get_identity

    if not 32 <= size <= 128:   # checked (like the path) before anything is printed
        raise UsageError(f"--size must be from 32 to 128 pixels, got {size}")
    path = output_path(sheet, {".png": "picture"}) if sheet else None
    chosen = [get_identity(name) for name in names] or list(IDENTITIES.values())
    for identity in chosen:
        click.echo(f"{identity.name:8} {identity.description}")
    if path:
        from aedemo.gallery import contact_sheet
        from aedemo.images import save_png

        save_png(contact_sheet(chosen, size=size), path)
        click.echo(f"wrote {path}", err=True)
        click.echo(str(path))


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
    from aedemo.gallery import pose_grid, single
    from aedemo.identities import get_identity
    from aedemo.images import save_png
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
