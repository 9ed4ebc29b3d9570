"""What a command prints on standard output is whole, or the command says it is not: a full disk or
an I/O error is one `Error:` line and status 2 (under PYTHONUNBUFFERED too, whose short writes Python
drops silently), and a reader that went away (`| head`) ends the command quietly with status 141."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_faults_tmpfs import _fill, tmpfs  # noqa: F401 (a fixture)

import tagline
from tagline.corpus.workspace import init_workspace

# Commands that print large data on standard output, and the group's own --help and --version.
PRINTING = {
    "export": ["annotate", "export", "--format", "csv", "--gold"],
    "export -o -": ["annotate", "export", "--format", "csv", "--gold", "-o", "-"],
    "agree --json": ["annotate", "agree", "--json"],
    "gold --json": ["annotate", "gold", "--json"],
    "gold": ["annotate", "gold"],
    "corpus list": ["corpus", "list"],
    "corpus show": ["corpus", "show", "deepseek_ja"],
    # The root group's own options print while the command line is parsed, before any command runs.
    "help": ["--help"],
    "version": ["--version"],
}


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("stdout") / "sample", sample=True).root


def tagline_command(root: Path, args: list[str], stdout, **environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1]), **environment}
    return subprocess.run([sys.executable, "-m", "tagline", *args], cwd=root, stdout=stdout, stderr=subprocess.PIPE,
                          text=True, env=env, timeout=120)


@pytest.mark.parametrize("command", sorted(PRINTING))
def test_a_full_standard_output_is_one_error_line_and_status_2(sample_root, command):
    with open("/dev/full", "w") as full:
        result = tagline_command(sample_root, PRINTING[command], full)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "Error: standard output: could not write: No space left on device; the output is cut short (free some disk "
        "space and run the command again)"]


@pytest.mark.parametrize("command", sorted(PRINTING))
def test_a_reader_gone_ends_the_command_quietly_with_the_status_of_sigpipe(sample_root, command):
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first byte: `| head -c 0`
    try:
        result = tagline_command(sample_root, PRINTING[command], write)
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (141, "")


@pytest.mark.skipif(sys.platform != "linux", reason="sets the pipe's size")
def test_a_reader_that_stops_midway_ends_the_export_quietly_with_141(sample_root):
    import fcntl

    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)  # smaller than the export: its write waits for the reader
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    process = subprocess.Popen([sys.executable, "-m", "tagline", *PRINTING["export"]], cwd=sample_root, stdout=write,
                               stderr=subprocess.PIPE, text=True, env=env)
    os.close(write)
    with os.fdopen(read, "rb") as reader:
        assert reader.read(10) == b"sentence_i"  # `| head -c 10`
    assert process.wait(timeout=120) == 141
    assert process.stderr is not None and process.stderr.read() == ""


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_standard_output_onto_a_disk_that_fills_is_an_error_not_a_short_file(tmpfs, sample_root, unbuffered):  # noqa: F811
    whole = tagline_command(sample_root, PRINTING["export"], subprocess.PIPE).stdout
    assert len(whole.encode()) > 3 * 4096
    filler = _fill(tmpfs, 1)
    try:
        with open(tmpfs / "export.csv", "w") as out:
            result = tagline_command(sample_root, PRINTING["export"], out, PYTHONUNBUFFERED=unbuffered)
        written = (tmpfs / "export.csv").stat().st_size
    finally:
        filler.unlink()
        (tmpfs / "export.csv").unlink()
    assert written < len(whole.encode())
    assert result.returncode == 2, (written, result.stderr)
    assert result.stderr.splitlines()[-1].startswith("Error: standard output: could not write: No space left")


def test_export_out_dash_is_standard_output(sample_root):
    result = tagline_command(sample_root, PRINTING["export -o -"], subprocess.PIPE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == tagline_command(sample_root, PRINTING["export"], subprocess.PIPE).stdout
    assert result.stdout.startswith("sentence_id,") and not (sample_root / "-").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="sets the pipe's size")
@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_non_blocking_pipe_that_fills_gets_the_whole_export(sample_root, unbuffered):
    """A program may start the command with its end of the pipe non-blocking (Node.js does): a full pipe
    is then waited for, not an error and not a short output."""
    import fcntl

    whole = tagline_command(sample_root, PRINTING["export"], subprocess.PIPE).stdout
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)
    fcntl.fcntl(write, fcntl.F_SETFL, fcntl.fcntl(write, fcntl.F_GETFL) | os.O_NONBLOCK)
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1]), "PYTHONUNBUFFERED": unbuffered}
    process = subprocess.Popen([sys.executable, "-m", "tagline", *PRINTING["export"]], cwd=sample_root, stdout=write,
                               stderr=subprocess.PIPE, text=True, env=env)
    os.close(write)
    received = b""
    with os.fdopen(read, "rb") as reader:
        while chunk := reader.read(1000):
            received += chunk
            time.sleep(0.01)  # a slow reader: the pipe is full most of the time
    assert process.wait(timeout=120) == 0
    assert process.stderr is not None and process.stderr.read() == ""
    assert received == whole.encode()


@pytest.mark.parametrize("command", ["corpus list", "help"])
def test_a_closed_standard_output_is_one_error_line_not_a_traceback(sample_root, command):
    """`tagline corpus list >&-`: Python starts without sys.stdout; the output cannot be written, and the
    command says so as `ls >&-` does (status 2), rather than a traceback or silence."""
    args = PRINTING[command]
    env = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).parents[1])}
    result = subprocess.run([sys.executable, "-m", "tagline", *args], cwd=sample_root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env, timeout=120,
                            preexec_fn=lambda: os.close(1))  # noqa: PLW1509 (closes only the child's stdout)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "Error: standard output: could not write: Bad file descriptor; the output is cut short (the command was "
        "started with it closed; give it a file or a pipe)"]
