"""NCMEC CyberTipline and OJJDP transparency PDFs into validated, provenance-rich Parquet.

Stages, each in its own module: fetch -> extract (one module per document family, over the
shared layout toolkit) -> normalize -> validate -> store. `cli` wires them to the command line.
"""

__version__ = "0.2.0"


def __getattr__(name):
    """`from pipeline import load, datasets` without importing pandas for every other user."""
    if name in ("load", "datasets", "describe"):
        import importlib

        module = importlib.import_module("pipeline.load")
        return module if name == "load" else getattr(module, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
