"""Media: the content-addressed store, downloads on ingest (MediaIngestionService) and retries."""
