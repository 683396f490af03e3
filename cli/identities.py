"""`aedemo identities`: meet the characters, or draw a contact sheet of them."""
from __future__ import annotations

import click


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
        from aedemo.lesson.gallery import contact_sheet
        from aedemo.lesson.images import save_png

        save_png(contact_sheet(chosen, size=size), path)
        click.echo(f"wrote {path}", err=True)
        click.echo(str(path))
