"""Subcommands of `dangjian report`: one module each in this package, found by name (no registration list to edit).

A module defines NAME (the word after `report`), HELP (Chinese), `add_arguments(parser)` and
`run(command, options)` where `command` is the BaseCommand (for stdout/stderr/style) and `options` the parsed
options; it raises `CommandError` (Chinese) for bad input, after writing nothing. `common.py` has the helpers every
report subcommand shares (organisation, period, the acting user's scope, writing the output file).
"""
