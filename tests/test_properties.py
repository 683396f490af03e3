"""Generated input thrown at the validators: every spec and every --set string is either
accepted with in-range values or refused with one clear line -- never any other exception."""
import json
import math

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from aedemo.errors import UsageError
from aedemo.identities import (
    EXTRAS,
    EYE_SHAPES,
    HEADS,
    MOUTH_STYLES,
    Identity,
    SpecError,
    identity_from_dict,
    load_spec,
)
from aedemo.poses import FACTORS, parse_settings

FIELDS = list(Identity.__dataclass_fields__)

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


good = {
    "name": st.text(st.characters(categories=["L", "N"], include_characters="_- "), min_size=1, max_size=40)
    .filter(str.strip),
    "head": st.sampled_from(HEADS),
    "description": st.text(max_size=20),
    "eye_shape": st.sampled_from(EYE_SHAPES),
    "eye_size": st.floats(0.2, 0.38),
    "mouth_style": st.sampled_from(MOUTH_STYLES),
    "extras": st.lists(st.sampled_from(EXTRAS), max_size=4),
    **{key: st.lists(st.integers(0, 255), min_size=3, max_size=3)
       for key in ("skin", "outline", "accent", "eye_color", "mouth_color")},
}
wrong = {key: json_value for key in FIELDS} | {
    "name": st.one_of(st.text(max_size=45), json_value),
    "eye_size": st.one_of(st.floats(), json_value),
    "extras": st.one_of(st.lists(st.sampled_from(EXTRAS + ("wings",)), max_size=4), json_value),
    **{key: st.one_of(st.lists(st.integers(-20, 300), min_size=2, max_size=4), json_value)
       for key in ("skin", "outline", "accent", "eye_color", "mouth_color")},
}
good_specs = st.fixed_dictionaries({key: good[key] for key in FIELDS[:3]},
                                   optional={key: good[key] for key in FIELDS[3:]})


@st.composite
def damaged_specs(draw):
    """A good spec with one field wrong, missing, or an unknown field added."""
    spec = draw(good_specs)
    key = draw(st.sampled_from(FIELDS))
    how = draw(st.sampled_from(["wrong", "missing", "unknown"]))
    if how == "wrong":
        spec[key] = draw(wrong[key])
    elif how == "missing":
        spec.pop(key, None)
    else:
        spec[draw(st.text(max_size=10).filter(lambda k: k not in FIELDS))] = draw(json_value)
    return spec


specs = st.one_of(good_specs, damaged_specs(), json_value)


def check_identity(identity: Identity) -> None:
    """An accepted spec gives an Identity whose every field is valid."""
    event("accepted")
    assert isinstance(identity, Identity)
    assert isinstance(identity.name, str) and 1 <= len(identity.name.strip()) and len(identity.name) <= 40
    assert identity.head in HEADS and identity.eye_shape in EYE_SHAPES and identity.mouth_style in MOUTH_STYLES
    for c in (identity.skin, identity.outline, identity.accent, identity.eye_color, identity.mouth_color):
        assert len(c) == 3 and all(type(v) is int and 0 <= v <= 255 for v in c)
    assert 0.2 <= identity.eye_size <= 0.38 and set(identity.extras) <= set(EXTRAS)


def check_refusal(error: Exception) -> None:
    """A refusal is one short line."""
    event("refused")
    message = str(error)
    assert message and "\n" not in message and "\r" not in message and len(message) < 400, message


@settings(max_examples=500, deadline=None)
@given(specs)
@example({"name": "pip\nx", "head": "round", "skin": [1, 2, 3]})
@example({"name": "a", "head": "round", "skin": [1, 2, 3], "colour\nx": 1})
@example({"name": "a", "head": "round", "skin": [10**5000, 2, 3]})
@example({"name": "a", "head": "round", "skin": [1, 2, 3], "eye_size": list(range(1000))})
def test_identity_from_dict_accepts_or_refuses_cleanly(spec):
    try:
        identity = identity_from_dict(spec)
    except SpecError as e:
        check_refusal(e)
    else:
        check_identity(identity)


spec_texts = st.one_of(
    specs.map(json.dumps).map(str.encode),
    specs.map(json.dumps).map(lambda text: text[: len(text) // 2].encode()),  # cut short
    st.text(max_size=60).map(str.encode),
    st.binary(max_size=60),
)


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    """One file the generated spec texts are written to (module-scoped, as hypothesis needs)."""
    return tmp_path_factory.mktemp("specs") / "spec.json"


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=spec_texts)
@example(data=b"[" * 100_000)
@example(data=b'{"name": "pip", "head": "round", "skin": [1, 2, NaN]}')
@example(data=b"\xff\xfe{}")
@example(data=b'{"name": "pip", "head": "round", "skin": [' + b"9" * 5000 + b", 2, 3]}")
def test_load_spec_accepts_or_refuses_cleanly(spec_path, data):
    spec_path.write_bytes(data)
    try:
        identity = load_spec(spec_path)
    except SpecError as e:
        check_refusal(e)
    else:
        check_identity(identity)


factor_names = st.one_of(st.sampled_from(list(FACTORS)), st.text(max_size=10))
numbers = st.one_of(st.floats().map(repr), st.integers(-100, 100).map(str), st.text(max_size=8),
                    st.sampled_from(["nan", "inf", "-inf", "1e999", "1_0", "0x10", " 0.5 ", "٣", "", "0.5=1"]))
good_setting = st.sampled_from(list(FACTORS)).flatmap(
    lambda name: st.floats(FACTORS[name].low, FACTORS[name].high).map(lambda value: f"{name}={value!r}"))
set_strings = st.one_of(
    good_setting, good_setting, good_setting,
    st.builds(lambda n, sep, v: n + sep + v, factor_names, st.sampled_from(["=", "", "==", " = ", ":"]), numbers),
    st.text(max_size=20),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(set_strings, min_size=1, max_size=4))
@example(["mouth_open=1e999"])
@example(["roll=nan"])
@example(["x\n=0"])
def test_parse_settings_accepts_or_refuses_cleanly(items):
    try:
        values = parse_settings(items)
    except UsageError as e:
        check_refusal(e)
    else:
        event("accepted")
        for name, value in values.items():
            f = FACTORS[name]
            assert isinstance(value, float) and math.isfinite(value) and f.low <= value <= f.high
