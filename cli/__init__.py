"""The command line: every feature of the GUI, reachable from a terminal and from tests."""
