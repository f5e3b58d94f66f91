"""bench/synth.py must produce envs files cigen accepts, at any size and in both filter styles."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent


def _synth() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_synth", ROOT / "bench" / "synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synth = _synth()


@pytest.mark.parametrize("filters", ["expression", "map"])
@pytest.mark.parametrize("n", [1, 2, 9, 10, 17])
def test_synthetic_file_renders(tmp_path: Path, n: int, filters: str) -> None:
    envs = tmp_path / "envs.toml"
    envs.write_text(synth.synth(n, filters), encoding="utf-8")
    data = tomllib.loads(envs.read_text(encoding="utf-8"))
    assert len(data["environments"]) == n
    assert data["filters"] == filters

    done = subprocess.run([sys.executable, "-m", "gen", "render", str(envs), "-o", "-"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    config = YAML(typ="safe").load(done.stdout)
    assert len(config["jobs"]) == n
    assert len(config["executors"]) == n
    names = [next(iter(j)) if isinstance(j, dict) else j for j in config["workflows"]["deploy"]["jobs"]]
    approvals = sum(1 for e in data["environments"].values() if e.get("approval"))
    assert len(names) == n + approvals
    assert len(set(names)) == len(names)


def test_synthetic_file_has_every_shape_the_bench_claims() -> None:
    # 1 build + 2 full services: fan-out from build, the chain through staging, approvals, both auths.
    data = tomllib.loads(synth.synth(17))
    envs = data["environments"]
    assert envs["s0001-test"]["requires"] == ["build", "s0000-staging"]
    assert sum(1 for e in envs.values() if e.get("approval")) == 6
    assert sum(1 for e in envs.values() if e.get("requires") == ["s0000-canary"]) == 4
    assert any("oidc_role_arn" in e["aws_auth"] for e in envs.values()) is False  # service 2 is OIDC
    big = tomllib.loads(synth.synth(30))["environments"]
    assert any("oidc_role_arn" in e["aws_auth"] for e in big.values())
    assert any("ignore" in e.get("branches", {}) for e in envs.values())
    assert any("tags" in e for e in envs.values())


def test_synth_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        synth.synth(0)
    with pytest.raises(ValueError):
        synth.synth(3, "yaml")
