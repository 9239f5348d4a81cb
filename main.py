"""Glassbox's entry point: `glassbox COMMAND ...` on the command line, the app with no command."""

import sys


def launch_gui(args) -> int:
    # Qt is imported only when the window is wanted, so the command line starts fast.
    from gui.app import run_app

    return run_app(screenshot_dir=args.screenshot)


def main(argv: list[str] | None = None) -> int:
    from cli.app import run

    return run(sys.argv[1:] if argv is None else list(argv), launch_gui)


if __name__ == "__main__":
    sys.exit(main())
