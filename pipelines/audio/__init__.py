"""Audio pipelines: loading, preprocessing, statistics, features, transcription and speech."""
