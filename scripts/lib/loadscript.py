# SPDX-License-Identifier: GPL-2.0
"""Import one of scripts/' programs, which have no .py suffix, as a module.

Used by the programs' unit tests (scripts/test_*.py); no bytecode is
written beside the program.
"""

import importlib.machinery
import importlib.util
import sys


def load_script(path, name):
    """Import the Python program at @path as module @name and return it."""
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = dont_write
    return module
