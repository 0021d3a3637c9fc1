#!/usr/bin/python3
"""lm-eval's own command line (`lm_eval run ...`, lm_eval/__main__.py) with two additions for the reference run:
the `mergelab-ref` model is registered (ref_lm.py), and the task index holds only the folders given with
--include_path (TaskManager(include_defaults=False)), so `mmlu` is lm-eval's real group YAMLs over the four subjects
whose YAMLs run.sh copies in from the pinned commit."""
import functools
import sys

import ref_lm  # noqa: F401  (registers the model)
from lm_eval.tasks import manager

_init = manager.TaskManager.__init__


@functools.wraps(_init)
def _only_included(self, *args, **kwargs):
    kwargs["include_defaults"] = False
    _init(self, *args, **kwargs)


manager.TaskManager.__init__ = _only_included

from lm_eval.__main__ import cli_evaluate  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli_evaluate())
