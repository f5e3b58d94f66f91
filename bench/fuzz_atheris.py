"""Coverage-guided fuzzing of the loader and renderer with atheris (libFuzzer for Python).

The hypothesis fuzz tests (tests/robustness/test_fuzz.py) run in the normal suite; this harness is the
optional, deeper run: libFuzzer mutates inputs towards new coverage of gen/. Every input must end in a
rendered config or a CigenError; any other exception stops the run with the input saved as crash-*.

    .venv/bin/pip install atheris
    .venv/bin/python bench/fuzz_atheris.py -runs=100000 -max_len=4096 bench/.scratch/corpus

The corpus folder is seeded with the shipped examples and tests/data/invalid/ on first use. libFuzzer
prints the inputs it ran ("Done N runs"); a crash prints the exception and saves the input.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["gen"]):
    from gen.core import render_file
    from gen.errors import CigenError

REPO = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="cigen-fuzz-"))
TARGET = WORK / "envs.toml"


def test_one_input(data: bytes) -> None:
    TARGET.write_bytes(data)
    try:
        render_file(TARGET)
    except CigenError as exc:
        line = exc.one_line()
        if "\n" in line or not line or exc.exit_code not in (2, 3):
            raise AssertionError(f"bad error: {line!r} exit {exc.exit_code}") from None


def _seed(corpus: Path) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    if any(corpus.iterdir()):
        return
    seeds = [*sorted(REPO.glob("examples/*/envs.toml")), *sorted(REPO.glob("tests/data/invalid/*.toml"))]
    for i, seed in enumerate(seeds):
        shutil.copyfile(seed, corpus / f"seed-{i:03d}")


def main() -> None:
    corpora = [Path(a) for a in sys.argv[1:] if not a.startswith("-")]
    for corpus in corpora:
        _seed(corpus)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()  # libFuzzer prints "Done N runs" and exits; a crash prints the exception and saves it


if __name__ == "__main__":
    main()
