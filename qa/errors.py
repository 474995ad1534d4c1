"""Errors the product raises on purpose, each with a message that names the fix.

QAError
├── InputError                 the caller sent something we cannot use
│   ├── UnsupportedFileType
│   ├── UnreadableDocument     empty, binary, not UTF-8, a PDF with no text, too large
│   ├── InvalidQuestion        empty or too long
│   └── DocumentNotFound
├── StoreUnavailable           Chroma (server) cannot be reached
├── ConfigError                a setting, model or package is missing or wrong
└── BackendError               an answerer failed
"""


class QAError(Exception):
    """Base of every error the product raises on purpose."""

    code = "qa_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(QAError):
    code = "bad_input"


class UnsupportedFileType(InputError):
    code = "unsupported_file_type"


class UnreadableDocument(InputError):
    code = "unreadable_document"


class InvalidQuestion(InputError):
    code = "invalid_question"


class DocumentNotFound(InputError):
    code = "document_not_found"


class StoreUnavailable(QAError):
    code = "store_unavailable"


class ConfigError(QAError):
    code = "config_error"


class BackendError(QAError):
    code = "backend_error"
