"""Grounded question answering over your own documents: the core."""

from qa.types import Answer, Citation, Document, Passage

__all__ = ["Answer", "Citation", "Document", "Passage"]
