"""Glassbox's entry point: `glassbox COMMAND ...` on the command line, the app with no command."""

import os
import sys


def launch_gui(args) -> int:
    if not args.screenshot and not _has_display():
        print("glassbox: error: no display found (DISPLAY and WAYLAND_DISPLAY are unset); run "
              "it from a desktop session, or set QT_QPA_PLATFORM=offscreen to run it without "
              "a screen.", file=sys.stderr)
        return 2

    # Qt is imported only when the window is wanted, so the command line starts fast.
    from gui.app import run_app

    return run_app(screenshot_dir=args.screenshot)


def _has_display() -> bool:
    if not sys.platform.startswith("linux"):
        return True
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    return bool(platform and not platform.startswith("xcb")) or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    from cli.app import run

    return run(sys.argv[1:] if argv is None else list(argv), launch_gui)


if __name__ == "__main__":
    sys.exit(main())
