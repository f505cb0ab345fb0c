"""CLI command module `sample` (registered by ``sdtm.cli.build_app``)."""

import click


def register(app: click.Group) -> None:
    """Add this module's commands to ``app``."""
