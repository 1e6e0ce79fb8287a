"""Writing versions: tables, Parquet, Hugging Face artifacts, manifest, card, Croissant, changelog."""
