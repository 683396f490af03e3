"""The playground's addresses: what each GET answers, and how its query is checked.

    status, kind, body = answer(server, "/swap.png", "from=blob&to=robot&mouth_open=1")

    GET /swap.png?from=A&to=B&<factor>=<value>...   the swapped frame, PNG with "synthetic" metadata
    GET /render.png?identity=A&<factor>=<value>...  the true render
    GET /frame.json?from=A&to=B&...&dir1=<offset>   everything the page draws for one pose
    GET /info.json, /training.json                  the run; the training's state and log rows
    GET /preview.png?step=N                         the preview grid training drew at step N
    GET /, /play.css, /play.js                      the page
    GET /bench-result?frames=N&seconds=S            the page's count of frames shown, only while a bench
                                                    waits for it (aedemo.browser); a 404 otherwise

Factors left out take their neutral values; from/to left out, the run's first character and the
first other one. A bad query (an unknown character or parameter, a value that is not a finite
number or is out of range, a query too long) raises UsageError, one line, which the server
answers with a 400; any other path is a 404. No path from a request reaches the file system:
the page's files are read once, and previews are named by step number.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from urllib.parse import parse_qsl

from .errors import RunError, UsageError
from .identities import closest_names, shown
from .livetrain import folder_status
from .playground import DIRECTION_RANGE, NotReady
from .poses import FACTORS, check_values

WEB = Path(__file__).with_name("web")      # the page: plain HTML, CSS and JavaScript, no build step
PAGE_FILES = {"/": ("play.html", "text/html"), "/play.css": ("play.css", "text/css"),
              "/play.js": ("play.js", "text/javascript")}
MAX_QUERY = 1000         # characters; a whole pose and every direction take about 250
POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")   # the page reaches nothing else


def parse_query(query: str, fixed: tuple[str, ...] = (), factors: bool = True,
                directions: int = 0) -> tuple[dict, dict, list[float]]:
    """Split a query into the `fixed` parameters (text), pose values (with `factors`) and direction
    offsets (dir1, dir2, ...): UsageError, one line, for anything malformed, unknown or out of range."""
    if len(query) > MAX_QUERY:
        raise UsageError(f"the query is {len(query)} characters long; at most {MAX_QUERY} are accepted")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query), errors="strict",
                          max_num_fields=60)
    except ValueError:
        raise UsageError("the query is malformed: write it as name=value pairs joined by &") from None
    names = {f"dir{i + 1}" for i in range(directions)}
    text, values, offsets = {}, {}, {}
    for key, value in pairs:
        if key in text or key in values or key in offsets:
            raise UsageError(f"{shown(key)} is given twice")
        if key in fixed:
            text[key] = value
        elif factors and key in FACTORS:
            values[key] = number(key, value)
        elif key in names:
            offsets[key] = number(key, value)
        else:
            allowed = [*fixed, *(FACTORS if factors else ()), *sorted(names)]
            if not allowed:
                raise UsageError(f"this address takes no parameters (got {shown(key)})")
            raise UsageError(f"unknown parameter {shown(key)}{closest_names(key, allowed)} (this address takes "
                             f"{', '.join(allowed)})")
    check_values(values)
    for key, value in offsets.items():
        if abs(value) > DIRECTION_RANGE:
            raise UsageError(f"{key}={value:g} is out of range; directions go from {-DIRECTION_RANGE:g} to "
                             f"{DIRECTION_RANGE:g} standard deviations")
    return text, values, [offsets.get(f"dir{i + 1}", 0.0) for i in range(directions)]


def number(key: str, text: str) -> float:
    """A finite number, or UsageError naming the parameter."""
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{key}={shown(text)} is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"{key}={shown(text)} is not a finite number")
    return value


def png(body: bytes) -> tuple[int, str, bytes]:
    """A PNG answer."""
    return 200, "image/png", body


def json_reply(value) -> tuple[int, str, bytes]:
    """A JSON answer."""
    return 200, "application/json", json.dumps(value).encode()


def swap_png(server, query: str):
    """GET /swap.png?from=A&to=B&<factor>=<value>..."""
    text, values, _ = parse_query(query, ("from", "to"))
    return png(server.ground.swap_png(text.get("from"), text.get("to"), values))


def render_png(server, query: str):
    """GET /render.png?identity=A&<factor>=<value>..."""
    text, values, _ = parse_query(query, ("identity",))
    return png(server.ground.render_png(text.get("identity"), values))


def frame_json(server, query: str):
    """GET /frame.json?from=A&to=B&<factor>=<value>...&dir1=<offset>...: what the page draws."""
    _, directions = server.ground.current()
    text, values, offsets = parse_query(query, ("from", "to"), directions=len(directions.spread))
    return json_reply(server.ground.frame(text.get("from"), text.get("to"), values, offsets))


def info_json(server, query: str):
    """GET /info.json: characters, factors, motions and code directions of the run."""
    parse_query(query, factors=False)
    try:
        return json_reply(server.ground.info())
    except NotReady as e:   # the page waits for the first checkpoint (a 200: browsers log every 503 as an error)
        return json_reply({"waiting": str(e)})


def training_json(server, query: str):
    """GET /training.json: the live training's state, log rows and newest preview."""
    parse_query(query, factors=False)
    if server.job is not None:
        return json_reply(server.job.status(server.ground))
    return json_reply(folder_status(server.folder, server.ground))


def preview_png(server, query: str):
    """GET /preview.png?step=N: the preview grid training drew at step N (404 if there is none)."""
    text, _, _ = parse_query(query, ("step",), factors=False)
    step = text.get("step", "")
    if not (step.isascii() and step.isdigit() and len(step) < 10):
        return not_found()
    path = server.folder / "preview" / f"{int(step):06d}.png"
    if not path.is_file():
        return not_found()
    return png(path.read_bytes())


def bench_result(server, query: str):
    """GET /bench-result?frames=N&seconds=S: the frames a motion showed, handed to the waiting bench."""
    if server.bench is None:
        return not_found()
    text, _, _ = parse_query(query, ("frames", "seconds"), factors=False)
    frames, seconds = (number(key, text.get(key, "")) for key in ("frames", "seconds"))
    if frames < 0 or seconds <= 0:
        raise UsageError("frames must be a count and seconds positive")
    server.bench.put({"frames": int(frames), "seconds": seconds})
    return json_reply({"received": True})


def not_found() -> tuple[int, str, bytes]:
    """The answer to every path the playground does not have."""
    return 404, "text/plain", b"not found\n"


ROUTES = {"/swap.png": swap_png, "/render.png": render_png, "/frame.json": frame_json, "/info.json": info_json,
          "/training.json": training_json, "/preview.png": preview_png, "/bench-result": bench_result}


def answer(server, path: str, query: str) -> tuple[int, str, bytes]:
    """Status, content type and body for GET `path`?`query` (UsageError for a bad query)."""
    if path in PAGE_FILES:
        name, kind = PAGE_FILES[path]
        return 200, kind, server.page[name]
    handler = ROUTES.get(path)
    return handler(server, query) if handler else not_found()


def read_page() -> dict[str, bytes]:
    """The page's files, read once."""
    try:
        return {name: (WEB / name).read_bytes() for name, _ in PAGE_FILES.values()}
    except OSError as e:
        raise RunError(f"the playground page is missing from this installation ({e.filename}): "
                       "reinstall aedemo") from None
