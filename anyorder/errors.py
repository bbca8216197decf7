"""User-facing error types. Every error caused by bad input subclasses ``AnyorderError``; the CLI prints
these as one clear line (exit status 2) instead of a traceback. This module imports nothing."""


class AnyorderError(Exception):
    """Base class for errors caused by the user's input, files or configuration."""


class ConfigError(AnyorderError, ValueError):
    """Unknown or invalid configuration field/value. The message lists the valid choices."""


class CheckpointError(AnyorderError, ValueError):
    """A checkpoint is missing, corrupt, truncated or incompatible. The message names the file."""


class InputError(AnyorderError, ValueError):
    """Malformed user input (puzzle text, token file, shapes)."""
