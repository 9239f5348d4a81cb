"""Turning files into text with pages, and text into chunks that fit the embedder."""
