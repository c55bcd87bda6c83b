"""The composition root and command line: builds settings, logging, storage and services per process."""
