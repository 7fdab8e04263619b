"""The wheel and sdist carry onnxruntime-web's files (app/static/ort), fetched and integrity-checked by
tools/web_runtime.py before the files are collected; everything else is in pyproject.toml."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
import web_runtime  # noqa: E402


class BuildPy(build_py):
    def run(self):
        web_runtime.install()
        super().run()


class SDist(sdist):
    def run(self):
        web_runtime.install()
        super().run()


setup(cmdclass={"build_py": BuildPy, "sdist": SDist})
