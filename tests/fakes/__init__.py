"""The loopback fakes and harnesses shared by the tests and bench/: import them as ``tests.fakes.<module>``
from the repository root (pytest puts the root on ``sys.path``; benchmarks run as ``python -m bench.NAME``)."""
