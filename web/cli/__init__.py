"""The ``gridops`` command line: ``main.app`` is the entry point."""
