"""The exit codes of `ncmec-pipeline`, one name each (the README's "Exit codes" table lists them).

A cron job or a CI step acts on them: 0 nothing to do, 3 look at documents.parquet, 1 look at
the log, 4 try later. Kept in a module of its own (no imports) so the command line can name them
without loading the pipeline.
"""

EXIT_OK = 0          # every document is ok (unsupported ones, recorded but not read, do not count)
EXIT_FAILED = 1      # no document could be published, or an error stopped the command
EXIT_USAGE = 2       # a bad option or argument (click's own code); `diff`: the inputs cannot be compared
EXIT_PARTIAL = 3     # outputs written, but some documents are missing or failed (see documents.parquet)
EXIT_LOCKED = 4      # another run holds the lock on the data directory; nothing was done

EXIT_DIFFERENT = 1   # `diff --exit-code`: the two sides differ
EXIT_REFUSED = 3     # `explain`: the reader refuses the document (the page says why)
