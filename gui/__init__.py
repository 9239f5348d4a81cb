"""The PySide6 desktop app: one module per tab plus shared widgets."""
