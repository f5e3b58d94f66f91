"""A non-editable install (the wheel, not this checkout) renders every example: templates ship inside."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("pkg")
    dist = base / "dist"
    # Build the wheel from this checkout with the hatchling of the test environment (no network).
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
         str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    wheel = next(dist.glob("cigen-*.whl"))
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    # The dependencies come from the test environment's site-packages: PYTHONPATH entries are not
    # site dirs, so this checkout's editable-install hook is not loaded and `gen` is the wheel's.
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    return env_dir, env


def test_the_wheel_carries_the_templates(installed: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    env_dir, env = installed
    done = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c",
         "import gen, gen.render; print(gen.__file__); print(gen.render.default_templates_dir())"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    )
    module, templates = done.stdout.splitlines()
    assert module.startswith(str(env_dir))
    assert templates.startswith(str(env_dir))
    assert (Path(templates) / "config.yml.j2").is_file()


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_installed_cigen_renders_every_example(installed: tuple[Path, dict[str, str]], example: Path,
                                               tmp_path: Path) -> None:
    env_dir, env = installed
    done = subprocess.run(
        [str(env_dir / "bin" / "cigen"), "render", str(example / "envs.toml"), "-o", "-"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (example / ".circleci" / "config.yml").read_text()
