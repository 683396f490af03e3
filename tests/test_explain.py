"""explain: layer shapes and parameter counts are right, probes read what is there and nothing else."""
import json
import math

import pytest
import torch
from aedemo.cli.main import cli
from click.testing import CliRunner

from aedemo.errors import UsageError
from aedemo.explain import ExplainConfig, explain, probe_factors, probe_identity, split, write_explain
from aedemo.poses import FACTORS
from aedemo.run import load_run
from aedemo.train import TrainConfig, train

SMALL = ExplainConfig(n=48)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny trained run (3 steps): enough to have every part, not to be any good."""
    folder = tmp_path_factory.mktemp("explain") / "run"
    train(TrainConfig(size=32, crop=24, batch=4, width=8, latent=8, steps=3, time=None, save_every=5),
          out=folder, progress=False)
    return load_run(folder)


@pytest.fixture(scope="module")
def info(run):
    """What write_explain returns for the tiny run."""
    return write_explain(run, SMALL)


def test_writes_json_and_figure(run, info):
    assert json.loads((run.path / "explain.json").read_text()) == info
    assert (run.path / "latent_pca.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(run.path.glob("*.tmp"))


def test_layer_shapes(info):
    tables = info["architecture"]
    encoder, decoder = tables["encoder"], tables["decoder (blob)"]
    assert encoder["input"] == [3, 24, 24]
    assert encoder["layers"][0]["output"] == [8, 12, 12]       # first conv: stride 2, `width` channels
    assert encoder["layers"][-1]["output"] == encoder["output"] == [8]
    assert decoder["input"] == [8] and decoder["output"] == [[3, 24, 24], [1, 24, 24]]   # picture and mask
    assert [row["output"] for row in decoder["layers"][-2:]] == [[3, 24, 24], [1, 24, 24]]


def test_parameter_counts(run, info):
    params, tables = info["params"], info["architecture"]
    assert params["encoder"] + params["decoder (blob)"] + params["decoder (robot)"] == sum(
        p.numel() for p in run.model.parameters())
    assert params["aligner"] == sum(p.numel() for p in run.pipeline.aligner.parameters())
    assert params["total"] == sum(v for k, v in params.items() if k != "total")
    for part, table in tables.items():   # the rows cover every parameter of the part
        assert sum(row["params"] for row in table["layers"]) == table["params"] == params[part]


def test_probes_are_finite_and_repeatable(run, info):
    probes = info["probes"]
    assert set(probes["pose_r2"]) == set(FACTORS)
    assert all(math.isfinite(v) and v <= 1 for v in probes["pose_r2"].values())
    assert 0 <= probes["identity_accuracy"] <= 1 and probes["identity_chance"] == 0.5
    assert explain(run, SMALL)["probes"] == probes


def test_unknown_colour_factor(run):
    with pytest.raises(UsageError, match="unknown factor 'grin'"):
        ExplainConfig(n=20, color_by="grin")
    result = CliRunner().invoke(cli, ["explain", str(run.path), "--color-by", "mouth"])
    assert result.exit_code == 2 and "did you mean mouth_open" in result.stderr
    assert "encoding" not in result.stderr  # refused before any work


def test_probes_on_known_good_and_known_bad_codes():
    gen = torch.Generator().manual_seed(0)
    n = 400
    factors = {"a": torch.rand(n, generator=gen), "b": torch.rand(n, generator=gen)}
    labels = torch.arange(2).repeat_interleave(n // 2)
    noise = torch.randn(n, 6, generator=gen)
    train_rows, test_rows = split(n, 0.25, seed=0)
    good = torch.cat([torch.stack([factors["a"], factors["b"]], 1) @ torch.randn(2, 4, generator=gen), noise], 1)
    r2 = probe_factors(good, factors, train_rows, test_rows)
    assert min(r2.values()) > 0.99                   # a code that holds the factors linearly reads them back
    assert max(probe_factors(noise, factors, train_rows, test_rows).values()) < 0.1   # noise reads nothing
    tagged = torch.cat([noise, labels[:, None].float()], 1)
    assert probe_identity(tagged, labels, train_rows, test_rows) == 1.0
    assert abs(probe_identity(noise, labels, train_rows, test_rows) - 0.5) < 0.15


def test_cli_explain_and_report(run):
    result = CliRunner().invoke(cli, ["explain", str(run.path), "--n", "40", "--color-by", "smile"])
    assert result.exit_code == 0, result.output
    for words in ("features.0", "8x12x12", "decoder (robot)", "total", "identity accuracy", "latent_pca.png"):
        assert words in result.stdout, words
    assert "encoding" in result.stderr and "encoding" not in result.stdout
    assert json.loads((run.path / "explain.json").read_text())["pca"]["color_by"] == "smile"
    result = CliRunner().invoke(cli, ["report", str(run.path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(run.path / "report.html")
    assert "which character" in (run.path / "report.html").read_text()


@pytest.mark.parametrize("command", ["explain", "report"])
def test_cli_bad_run(tmp_path, command):
    result = CliRunner().invoke(cli, [command, str(tmp_path / "nope")])
    assert result.exit_code in (1, 2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "nope" in lines[0], result.stderr
