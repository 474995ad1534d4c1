"""Ingestion: files -> normalised text -> chunks with stable ids and offsets -> the store."""
