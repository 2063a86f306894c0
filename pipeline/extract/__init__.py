"""Extractors, one module per document family, over the shared layout toolkit (`pipeline.layout`)."""


class ExtractionError(Exception):
    """A table could not be read reliably; the message names file, page, expected and found."""
