"""Ship the top-level ``specs/`` folder inside the wheel as ``sdtm/_specs``.

The standards (SDTMIG metadata, controlled terminology, conformance rules) are data that the
package reads at run time, so an installed ``sdtm`` must carry them, while the repository keeps
them at the top level where reviewers expect them.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithSpecs(build_py):
    """Copy ``specs/`` into the built package as ``sdtm/_specs``."""

    def run(self) -> None:
        """Build the Python modules, then copy the standards files next to them."""
        super().run()
        source = Path(__file__).parent / "specs"
        target = Path(self.build_lib) / "sdtm" / "_specs"
        for path in sorted(source.rglob("*")):
            if path.is_file():
                destination = target / path.relative_to(source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                self.copy_file(str(path), str(destination))


setup(cmdclass={"build_py": BuildPyWithSpecs})
