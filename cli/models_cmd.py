"""`glassbox models` and `glassbox setup-models`: list, check and build the models."""

import logging

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
            state = "ok" if entry["ok"] else "PROBLEM: " + "; ".join(entry["problems"])
            size_mb = entry["size_bytes"] / 1e6
            print(f"{entry['name']:32} {size_mb:8.1f} MB  {entry['licence']:12} {state}")
            print(f"{'':32} {entry['purpose']}")
    return 0 if all(entry["ok"] for entry in entries) else 1


def setup_models(args) -> int:
    # Imported here: provisioning needs the build-only packages, the rest of the CLI does not.
    from provision.runner import provision

    logging.getLogger().setLevel(logging.INFO)
    for outcome in provision(args.only, force=args.force):
        print(f"{outcome.name}: {outcome.action} ({outcome.seconds:.1f} s)")
    return 0
