"""Benchmarks of the bot against raw fal-client and raw sqlite3; ``python -m bench``.

Not part of the test run (pytest collects ``tests/`` only). Needs the test extras
(``pip install -e '.[test]'``): the fakes live in ``tests/fakes``.
"""
