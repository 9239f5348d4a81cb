"""`glassbox models` and `glassbox setup-models`: list, check and build the models."""

import logging
from collections import Counter

from cli.app import print_json
from inference.manifest import all_models, describe


def register(subparsers) -> None:
    listing = subparsers.add_parser("models", help="list every model and check its files")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=list_models)

    setup = subparsers.add_parser("setup-models",
                                  help="fetch, verify and build the models (done by set-up)")
    setup.add_argument("--only", nargs="+", metavar="NAME", help="only these models")
    setup.add_argument("--force", action="store_true", help="rebuild even if intact")
    setup.set_defaults(handler=setup_models)


def list_models(args) -> int:
    entries = [describe(model) for model in all_models()]
    if args.json:
        print_json(entries)
    else:
        for entry in entries:
            _print_entry(entry)
    return 0 if all(entry["ok"] for entry in entries) else 1


def setup_models(args) -> int:
    # Imported here: provisioning needs the build-only packages, the rest of the CLI does not.
    from provision.runner import provision

    # The runner's log lines are the progress report: show them plainly, one per step.
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in root.handlers:
        handler.setFormatter(logging.Formatter("%(message)s"))

    outcomes = provision(args.only, force=args.force)
    counts = Counter(outcome.action for outcome in outcomes)
    summary = ", ".join(f"{count} {action}" for action, count in sorted(counts.items()))
    print(f"{len(outcomes)} model(s) ready: {summary}.")
    return 0


def _print_entry(entry: dict) -> None:
    state = "ok" if entry["ok"] else "PROBLEM: " + "; ".join(entry["problems"])
    print(f"{entry['name']:28} {entry['size_bytes'] / 1e6:8.1f} MB  {state}")
    print(f"{'':28} {entry['purpose']}")
    print(f"{'':28} licence: {entry['licence']}")
