"""``ankigen sync`` and ``ankigen diff``: make an Anki collection match the sources, safely.

``plan`` (pure) compares what the sources want with what a collection holds
and says what to do, as plain data; ``anki_backend`` reads a collection and
applies a plan through the official ``anki`` package (the only module that
imports it); ``command`` ties them to the pipeline for the command line. A
second way in (AnkiConnect, for a running Anki) would be one more apply
module beside ``anki_backend``, with the plan untouched.
"""
