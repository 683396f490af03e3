"""Identities: what a character looks like, fixed for every frame it appears in.

    from aedemo import IDENTITIES, get_identity
    blob = IDENTITIES["blob"]
    mine = get_identity("my_character.json")   # a custom character from a JSON spec

A spec file is a JSON object with the fields of `Identity`; colours are [r, g, b] with
integers 0-255. Only `name`, `head` and `skin` are required:

    {"name": "pip", "head": "round", "skin": [90, 200, 250], "extras": ["antenna"]}
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import UsageError

HEADS = ("round", "box", "oval", "wide")
EYE_SHAPES = ("round", "wide", "tall", "square")
MOUTH_STYLES = ("oval", "wide", "small")
EXTRAS = ("tuft", "antenna", "cat_ears", "bunny_ears", "bear_ears", "horns", "bow", "cheeks", "spot")
EXAMPLE_SPEC = '{"name": "pip", "head": "round", "skin": [90, 200, 250]}'  # the smallest spec that works


@dataclass(frozen=True)
class Identity:
    """A cartoon character's appearance; pose factors never change any of this."""

    name: str                                    # short name used on the command line
    head: str                                    # head outline: round, box, oval or wide
    skin: tuple[int, int, int]                   # head colour, 0-255 RGB
    description: str = ""                        # one line for `aedemo identities`
    outline: tuple[int, int, int] = (40, 30, 50)      # outlines, closed eyelids, pupils
    accent: tuple[int, int, int] = (250, 220, 60)     # extras: ears, antenna, bow, spot
    eye_color: tuple[int, int, int] = (40, 30, 50)    # iris and pupil
    mouth_color: tuple[int, int, int] = (150, 30, 60)  # inside of the open mouth
    eye_shape: str = "round"                     # round, wide, tall or square
    eye_size: float = 0.3                        # eye radius as a fraction of head radius (0.2-0.38)
    mouth_style: str = "oval"                    # oval, wide or small
    extras: tuple[str, ...] = field(default_factory=tuple)  # decorations, see EXTRAS


IDENTITIES: dict[str, Identity] = {
    i.name: i
    for i in [
        Identity("blob", "round", (255, 105, 180), "a pink round blob with a hair tuft",
                 eye_size=0.34, mouth_style="wide", extras=("tuft", "cheeks")),
        Identity("robot", "box", (130, 160, 190), "a boxy steel robot with an antenna",
                 outline=(30, 40, 60), accent=(255, 80, 60), eye_color=(10, 50, 140),
                 mouth_color=(30, 40, 60), eye_shape="square", mouth_style="wide", extras=("antenna",)),
        Identity("cat", "wide", (250, 150, 40), "an orange cat with pointy ears and a patch",
                 accent=(120, 60, 20), eye_color=(40, 140, 60), eye_shape="wide",
                 mouth_style="small", extras=("cat_ears", "spot")),
        Identity("ghost", "oval", (225, 225, 255), "a pale ghost wearing a red bow",
                 outline=(70, 60, 120), accent=(230, 40, 80), eye_shape="tall",
                 eye_size=0.32, extras=("bow",)),
        Identity("frog", "wide", (90, 190, 70), "a green frog with a wide grin",
                 outline=(20, 60, 20), accent=(240, 120, 140), eye_color=(20, 20, 20),
                 eye_size=0.36, mouth_style="wide", extras=("cheeks", "spot")),
        Identity("imp", "round", (215, 50, 50), "a red imp with horns",
                 outline=(60, 10, 20), accent=(250, 230, 120), eye_color=(250, 200, 0),
                 mouth_color=(60, 10, 20), eye_shape="wide", mouth_style="small", extras=("horns", "spot")),
        Identity("bunny", "oval", (245, 240, 225), "a cream bunny with long ears",
                 outline=(90, 70, 70), accent=(250, 160, 180), eye_color=(200, 40, 90),
                 eye_size=0.28, mouth_style="small", extras=("bunny_ears", "cheeks")),
        Identity("bear", "round", (150, 100, 60), "a brown bear with round ears",
                 outline=(50, 30, 20), accent=(230, 190, 150), eye_color=(30, 20, 10),
                 eye_shape="round", extras=("bear_ears", "spot")),
    ]
}


class SpecError(UsageError):
    """A custom identity spec file that cannot be used; the message names the field."""


def closest_names(name: str, choices, n: int = 3) -> str:
    """A 'did you mean' hint for a mistyped name."""
    close = difflib.get_close_matches(name, list(choices), n=n, cutoff=0.4)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def closest_files(path: Path) -> str:
    """A 'did you mean' hint naming the spec files beside a mistyped path."""
    folder = path.parent
    files = [p.name for p in folder.glob("*.json")] if folder.is_dir() else []
    close = difflib.get_close_matches(path.name, files, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(str(folder / name) if str(folder) != '.' else name for name in close)}?" \
        if close else ""


def shown(value, limit: int = 40) -> str:
    """A bad value as it appears in an error: its repr, cut short if long."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        return "a number too long to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _color(key: str, value) -> tuple[int, int, int]:
    """Validate an [r, g, b] colour of integers 0-255."""
    if not isinstance(value, list) or len(value) != 3:
        raise SpecError(f"field '{key}' must be a list of three integers [r, g, b]")
    for c in value:
        if isinstance(c, bool) or not isinstance(c, int):
            raise SpecError(f"field '{key}' must hold integers, got {shown(c)}")
        if not 0 <= c <= 255:
            raise SpecError(f"field '{key}' has {shown(c)}, but colour values go from 0 to 255")
    return tuple(value)


def _choice(key: str, value, options) -> str:
    """Validate a string that must be one of `options`."""
    if not isinstance(value, str):
        raise SpecError(f"field '{key}' must be a string, one of: {', '.join(options)}")
    if value not in options:
        raise SpecError(f"field '{key}' is {shown(value)}; choose one of: {', '.join(options)}")
    return value


def identity_from_dict(spec) -> Identity:
    """Build an Identity from a parsed JSON spec, or raise SpecError naming the bad field."""
    if not isinstance(spec, dict):
        raise SpecError(f"a spec must be a JSON object like {EXAMPLE_SPEC}")
    known = [f.name for f in fields(Identity)]
    for key in spec:
        if key not in known:
            raise SpecError(f"unknown field {shown(key)}{closest_names(str(key), known)}")
    for key in ("name", "head", "skin"):
        if key not in spec:
            raise SpecError(f"missing field '{key}'")
    values = {}
    for key in ("name", "description"):
        if key in spec:
            if not isinstance(spec[key], str):
                raise SpecError(f"field '{key}' must be a string")
            values[key] = spec[key]
    name = values["name"]
    if not name.strip() or len(name) > 40 or not name.isprintable() or "." in name:
        raise SpecError("field 'name' must be 1 to 40 printable characters, without '.' (a dot would make it look "
                        "like a file name)")
    for key in ("skin", "outline", "accent", "eye_color", "mouth_color"):
        if key in spec:
            values[key] = _color(key, spec[key])
    values["head"] = _choice("head", spec["head"], HEADS)
    if "eye_shape" in spec:
        values["eye_shape"] = _choice("eye_shape", spec["eye_shape"], EYE_SHAPES)
    if "mouth_style" in spec:
        values["mouth_style"] = _choice("mouth_style", spec["mouth_style"], MOUTH_STYLES)
    if "eye_size" in spec:
        size = spec["eye_size"]
        if isinstance(size, bool) or not isinstance(size, (int, float)) or not 0.2 <= size <= 0.38:
            raise SpecError(f"field 'eye_size' must be a number from 0.2 to 0.38, got {shown(size)}")
        values["eye_size"] = float(size)
    if "extras" in spec:
        extras = spec["extras"]
        if not isinstance(extras, list):
            raise SpecError("field 'extras' must be a list of names")
        values["extras"] = tuple(_choice("extras", e, EXTRAS) for e in extras)
    return Identity(**values)


def load_spec(path: str | Path) -> Identity:
    """Read and validate a custom identity JSON spec file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: also the byte-order mark some Windows editors write
    except FileNotFoundError:
        if closest_files(path):
            raise SpecError(f"no spec file at {path}{closest_files(path)}") from None
        raise SpecError(f"no spec file at {path}; save one there, e.g. {EXAMPLE_SPEC} "
                        "(aedemo identities --help lists every field)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read spec file {path}: {getattr(e, 'strerror', None) or e}") from None
    if not text.strip():
        raise SpecError(f"{path} is empty; a spec is a JSON object like {EXAMPLE_SPEC}")
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as e:
        raise SpecError(f"{path} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except RecursionError:
        raise SpecError(f"{path} is nested too deeply to be a spec") from None
    except ValueError:  # json refuses integers with thousands of digits
        raise SpecError(f"{path} holds a number too long to be a spec value") from None
    try:
        identity = identity_from_dict(spec)
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from None
    builtin = IDENTITIES.get(identity.name.lower())
    if builtin is not None and builtin != identity:
        raise SpecError(f"{path} calls its character {identity.name!r}, the name of a built-in character; "
                        "give it a name of its own")
    return identity


def identity_to_dict(identity: Identity) -> dict:
    """The JSON spec of an identity (lists for colours and extras)."""
    return {f.name: list(v) if isinstance(v, tuple) else v
            for f in fields(Identity) for v in [getattr(identity, f.name)]}


def get_identity(name_or_path: str | Identity) -> Identity:
    """A built-in identity by name, or a custom one from a path to a .json spec."""
    if isinstance(name_or_path, Identity):
        return name_or_path
    if name_or_path.lower() in IDENTITIES:  # built-in names are lower case; "Blob" means blob
        return IDENTITIES[name_or_path.lower()]
    if "." in name_or_path or "/" in name_or_path or Path(name_or_path).is_file():  # a path: built-ins have no dots
        return load_spec(name_or_path)
    raise SpecError(f"unknown identity {name_or_path!r}{closest_names(name_or_path, IDENTITIES)} "
                    f"(built-in: {', '.join(IDENTITIES)}; or give a path to a .json spec)")
