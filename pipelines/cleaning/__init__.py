"""Text cleaning: composable steps, their measured effect, and batch cleaning to JSONL."""
