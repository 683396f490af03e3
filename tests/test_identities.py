"""Custom identity spec files: good ones load, bad ones name the field."""
import json

import pytest

from aedemo import IDENTITIES, get_identity, load_spec
from aedemo.identities import SpecError, identity_from_dict, identity_to_dict


def write(tmp_path, spec, name="spec.json"):
    path = tmp_path / name
    path.write_text(spec if isinstance(spec, str) else json.dumps(spec))
    return path


def test_builtin_roundtrip():
    for identity in IDENTITIES.values():
        assert identity_from_dict(identity_to_dict(identity)) == identity


def test_good_spec_loads(tmp_path):
    path = write(tmp_path, {"name": "pip", "head": "round", "skin": [90, 200, 250], "extras": ["antenna"]})
    identity = get_identity(str(path))
    assert identity.name == "pip" and identity.skin == (90, 200, 250) and identity.extras == ("antenna",)


@pytest.mark.parametrize("spec, field", [
    ({"name": "x", "head": "round", "skin": [1, 2, 3], "colour": 1}, "colour"),
    ({"name": "x", "head": "round"}, "skin"),
    ({"head": "round", "skin": [1, 2, 3]}, "name"),
    ({"name": "x", "head": "triangle", "skin": [1, 2, 3]}, "head"),
    ({"name": "x", "head": "round", "skin": [1, 2, 300]}, "skin"),
    ({"name": "x", "head": "round", "skin": [1, 2]}, "skin"),
    ({"name": "x", "head": "round", "skin": "red"}, "skin"),
    ({"name": "x", "head": "round", "skin": [1, 2, 3], "accent": [1.5, 2, 3]}, "accent"),
    ({"name": 5, "head": "round", "skin": [1, 2, 3]}, "name"),
    ({"name": "x", "head": "round", "skin": [1, 2, 3], "eye_size": 2}, "eye_size"),
    ({"name": "x", "head": "round", "skin": [1, 2, 3], "extras": ["wings"]}, "extras"),
    ({"name": "x", "head": "round", "skin": [1, 2, 3], "extras": "tuft"}, "extras"),
    ({"name": "x", "head": "round", "skin": [True, 2, 3]}, "skin"),
])
def test_bad_spec_names_the_field(tmp_path, spec, field):
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, spec))
    message = str(info.value)
    assert field in message and "\n" not in message


@pytest.mark.parametrize("text, words", [("", "is empty"), (" \n", "is empty"), ("{", "not valid JSON"),
                                         ("[1, 2]", "JSON object like"), ("null", "JSON object"),
                                         ("\"cat\"", "JSON object"), ('{"name": "Mr. Owl", "head": "box", "skin": [1, 2, 3]}', "look like a file")])
def test_not_a_spec(tmp_path, text, words):
    with pytest.raises(SpecError, match=words):
        load_spec(write(tmp_path, text))


def test_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"name": "pip", "head": "round", "skin": [1, 2, 3]}).encode())
    assert load_spec(path).name == "pip"


def test_built_in_names_ignore_case():
    assert get_identity("Blob") is IDENTITIES["blob"] and get_identity("ROBOT") is IDENTITIES["robot"]


def test_unknown_name_suggests():
    with pytest.raises(SpecError, match="did you mean robot"):
        get_identity("robt")
