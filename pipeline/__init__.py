"""NCMEC CyberTipline and OJJDP transparency PDFs into validated, provenance-rich Parquet.

Stages, each in its own module: fetch -> extract (one module per document family, over the
shared layout toolkit) -> normalize -> validate -> store. `cli` wires them to the command line.
"""

__version__ = "0.1.0"
