"""The composition root and command line: settings, logging, storage and services per process."""
