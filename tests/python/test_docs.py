# Runs every ```python block of docs/python.md as its own program: what the
# page shows is what works. The PyGObject recipes skip without PyGObject or
# without the mctxsink element on GST_PLUGIN_PATH.
#
# SPDX-License-Identifier: BSD-2-Clause

import os
import re
import subprocess
import sys

import pytest

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "docs", "python.md")


def blocks():
    text = open(DOC, encoding="utf-8").read()
    found = []
    heading = "top"
    for part in re.split(r"(^#+ [^\n]*$|^```python\n.*?^```$)", text,
                         flags=re.M | re.S):
        if part.startswith("#"):
            heading = re.sub(r"\W+", "-", part.lstrip("# ").lower()).strip("-")
        elif part.startswith("```python"):
            found.append(pytest.param(part[len("```python\n"):-3],
                                      id=f"{len(found) + 1}-{heading}"))
    return found


def have_mctxsink():
    probe = ("import gi; gi.require_version('Gst', '1.0'); "
             "from gi.repository import Gst; Gst.init(None); "
             "assert Gst.ElementFactory.find('mctxsink')")
    return subprocess.run([sys.executable, "-c", probe],
                          capture_output=True, timeout=60).returncode == 0


def test_the_page_has_programs():
    assert len(blocks()) >= 8


@pytest.mark.parametrize("code", blocks())
def test_block_runs(code):
    if "gi.repository" in code and not have_mctxsink():
        pytest.skip("PyGObject or the mctxsink element is not available")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
