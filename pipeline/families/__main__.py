"""`python -m pipeline.families`: the README's table of document families, from the registry."""

from pipeline.families import families_markdown

print(families_markdown(), end="")
