"""Data pipelines (text, audio, image, documents, library); no Qt here."""
