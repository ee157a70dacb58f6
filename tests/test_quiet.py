"""TensorFlow's import notices left out of standard error, and nothing else."""

import os
import re
import subprocess
import sys

from astrolens.quiet import filtered_stderr

_IMPORT = (
    "import os\n"
    "os.write(2, b'kept before\\n')\n"
    "import tensorflow, keras\n"
    "os.write(2, b'kept after\\n')\n"
    "print(type(tensorflow.__spec__.loader).__name__, keras.ops.sum(keras.ops.ones(3)).numpy())\n"
)


def _import_tensorflow(quiet: bool) -> subprocess.CompletedProcess:
    prefix = "from astrolens.quiet import quiet_tensorflow_import\nquiet_tensorflow_import()\n"
    code = (prefix if quiet else "") + _IMPORT
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )


def test_only_the_lines_that_match_are_left_out_even_split_across_writes(capfd):
    with filtered_stderr([re.compile(rb"noise")]):
        os.write(2, b"noise one\nkept one\nno")
        os.write(2, b"ise, split across two writes\nkept two\n")
        os.write(2, b"the last line, without its newline: noise")
    assert capfd.readouterr().err == "kept one\nkept two\nthe last line, without its newline: noise"
    os.write(2, b"noise after the block\n")
    assert capfd.readouterr().err == "noise after the block\n"


def test_tensorflow_imports_without_its_notices_and_works():
    plain = _import_tensorflow(quiet=False)
    assert plain.returncode == 0, plain.stderr
    assert "oneDNN custom operations are on" in plain.stderr  # what there is to leave out

    quiet = _import_tensorflow(quiet=True)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.split() == ["_QuietLoader", "3.0"]
    assert quiet.stderr.splitlines() == ["kept before", "kept after"]
