"""Benchmarks and evaluation runners (not tests). Run each from the repository root as a module,
``python -m bench.NAME [options]``: the root is then on ``sys.path``, so ``agent``, ``bot``, the other
bench modules and the test fakes (``tests.fakes``) import without ``sys.path`` edits."""
