"""Parses `glassbox` arguments and runs the chosen command with one clear error on failure."""

import argparse
import importlib
import json
import logging
import sys
from typing import Callable

from inference.errors import CancelledError, GlassboxError

log = logging.getLogger(__name__)

# Each module has register(subparsers) and sets `handler` on the parsers it adds.
COMMAND_MODULES = [
    "cli.models_cmd",
    "cli.library_cmd",
    "cli.generate_cmd",
    "cli.clean_cmd",
    "cli.audio_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glassbox",
        description="Glassbox: an offline workbench that opens up generative AI. "
                    "With no command, the desktop app opens.")
    parser.add_argument("--screenshot", metavar="DIR",
                        help="open the app offscreen, save one PNG per tab into DIR, and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def run(argv: list[str], launch_gui: Callable[[argparse.Namespace], int]) -> int:
    """Run one command line; launch_gui opens the app when no command is given."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)

    if args.command is None:
        return launch_gui(args)
    try:
        return args.handler(args) or 0
    except CancelledError as error:
        print(f"glassbox: cancelled: {error}", file=sys.stderr)
        return 130
    except GlassboxError as error:
        log.debug("Command failed", exc_info=True)
        print(f"glassbox: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("glassbox: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say, and nowhere to say it.
        sys.stdout = None
        return 0


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def print_json(data) -> None:
    """Print one JSON document to stdout, keeping non-ASCII text readable."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
