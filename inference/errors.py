"""The exceptions Glassbox raises for problems a user can fix."""


class GlassboxError(Exception):
    """A failure with a message fit to show a user: what failed, which value, what to do."""


class ModelUnavailableError(GlassboxError):
    """A model file is missing, corrupt, or in a layout Glassbox cannot read."""


class InvalidSettingError(GlassboxError, ValueError):
    """A setting is outside the range it can take."""


class InputFileError(GlassboxError):
    """An input file is empty, unreadable, or in a format that cannot be decoded."""


class CancelledError(GlassboxError):
    """The user cancelled a long job; nothing is wrong."""
