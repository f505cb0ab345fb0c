"""The ``sdtm`` command line: a thin layer that parses arguments, calls the library, and exits.

The command modules import only click (and the standard library) at module level; everything
else (pandas, the pipeline, rich) is imported inside the command that needs it, so that
``sdtm --version`` and ``sdtm --help`` start in well under 0.3 s (``bench/bench_cli_startup.py``).

Exit codes follow ruff: 0 no findings at or above ``--fail-on``; 1 findings at or above it;
2 usage, configuration or internal error. A crash is never reported as 1.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from sdtm.cli import (
    compare,
    ct,
    derivations,
    explain,
    export,
    profile,
    propose,
    report,
    rules,
    run,
    sample,
    sdrg,
    spec,
    trace,
    validate,
)
from sdtm.errors import SdtmError
from sdtm.fileio import describe_os_error

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

_COMMAND_MODULES = (
    run,
    validate,
    compare,
    report,
    sample,
    export,
    rules,
    derivations,
    spec,
    ct,
    trace,
    profile,
    propose,
    explain,
    sdrg,
)


def build_app() -> click.Group:
    """Return a new command group with every subcommand registered."""
    app = click.Group(
        name="sdtm",
        help="Raw CAR-T trial data -> validated CDISC SDTM (SDTMIG 3.4) -> XPT / Define-XML / "
        "Dataset-JSON. Add --debug to any command to see tracebacks of internal errors.",
        no_args_is_help=True,
    )
    app = click.version_option(package_name="sdtm")(app)
    for module in _COMMAND_MODULES:
        module.register(app)
    return app


def _stderr() -> Any:
    # rich is imported when there is something to print: ``sdtm --version`` stays fast.
    from rich.console import Console

    return Console(stderr=True)


def _print_error(message: str) -> None:
    from rich.markup import escape

    _stderr().print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user-facing errors become one line on stderr and exit code 2."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    if debug:
        arguments.remove("--debug")
    try:
        result = build_app().main(args=arguments, prog_name="sdtm", standalone_mode=False)
    except click.exceptions.ClickException as error:
        error.show()
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        sys.exit(130)
    except SdtmError as error:
        # soft_wrap: a long message (paths) is not broken into lines a script cannot grep.
        _print_error(str(error))
        if debug:
            traceback.print_exc()
        sys.exit(EXIT_ERROR)
    except OSError as error:
        # A file or folder operation the code did not wrap: still one line naming the path.
        _print_error(describe_os_error(error, "read or write"))
        if debug:
            traceback.print_exc()
        sys.exit(EXIT_ERROR)
    except Exception as error:
        _stderr().print(
            f"[bold red]internal error:[/] {type(error).__name__}: {error}\n"
            "Run again with --debug for the traceback, and please report it.",
            highlight=False,
        )
        if debug:
            traceback.print_exc()
        sys.exit(EXIT_ERROR)
    sys.exit(result if isinstance(result, int) else EXIT_OK)
