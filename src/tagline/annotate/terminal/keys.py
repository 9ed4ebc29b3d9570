"""The tty itself: raw key input (arrows, Escape, multi-byte characters), resize, SIGTERM and the
terminal closed under it, and one write per frame. The caller's terminal settings and signal handlers
come back on exit."""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import select
import signal
import sys
import termios
import tty

from tagline.annotate.session import BACKSPACE, ENTER, ESCAPE, LEFT, RIGHT, SHIFT_LEFT, SHIFT_RIGHT, SHIFT_TAB, TAB
from tagline.errors import Interrupted

HUNG_UP = "the answers given are saved"
"""What a session ended by its terminal's closing says was kept (every answer is saved as it is given)."""

_ESCAPE_NAMES = {"C": RIGHT, "D": LEFT, "Z": SHIFT_TAB}
_SHIFTED = {"C": SHIFT_RIGHT, "D": SHIFT_LEFT}  # ESC [ 1 ; 2 C: the arrow with Shift held


class Terminal:
    """Raw keyboard input and full-screen redraws on a tty."""

    def __init__(self, input_fd: int | None = None, output=None):
        from rich.console import Console

        self.input_fd = sys.stdin.fileno() if input_fd is None else input_fd
        self.output = output or sys.stdout
        self.console = Console(file=self.output, highlight=False)
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.resized = False
        self.saved = None
        self.previous_handlers: dict[int, object] = {}

    def __enter__(self):
        self.saved = termios.tcgetattr(self.input_fd)
        tty.setcbreak(self.input_fd)
        self.output.write("\x1b[?1049h\x1b[?25l")  # alternate screen, hide cursor
        self.output.flush()
        # The caller's handlers come back on exit (the library may run inside a notebook or an app).
        self.previous_handlers = {signal.SIGWINCH: signal.signal(signal.SIGWINCH, self._on_resize),
                                  signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_terminate),
                                  signal.SIGHUP: signal.signal(signal.SIGHUP, self._on_hang_up)}
        return self

    def __exit__(self, *exc_info):
        try:
            self.output.write("\x1b[?25h\x1b[?1049l")
            self.output.flush()
            if self.saved is not None:
                termios.tcsetattr(self.input_fd, termios.TCSADRAIN, self.saved)
        except OSError:  # the terminal was closed: there is nothing left to put back
            _silence(self.output)
        for number, handler in self.previous_handlers.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        return False

    def _on_resize(self, signum, frame):
        self.resized = True

    def _on_terminate(self, signum, frame):
        raise SystemExit(128 + signum)

    def _on_hang_up(self, signum, frame):
        raise Interrupted(signum, HUNG_UP)

    def size(self) -> tuple[int, int]:
        try:
            size = os.get_terminal_size(self.output.fileno())
            return size.columns, size.lines
        except (OSError, ValueError, AttributeError):
            return 80, 24

    def draw(self, renderable) -> None:
        width, _ = self.size()
        self.console.width = width
        with self.console.capture() as capture:
            self.console.print(renderable)
        # One write per frame: home, clear, draw.
        self.output.write("\x1b[H\x1b[2J" + capture.get())
        self.output.flush()

    def read_key(self, on_resize, on_idle=None) -> str:
        """Block for the next key; call ``on_resize`` while waiting if the terminal is resized, and
        ``on_idle`` every tenth of a second without a key (to show what arrived meanwhile)."""
        while True:
            ready, _, _ = select.select([self.input_fd], [], [], 0.1 if on_idle else 0.25)
            if self.resized:
                self.resized = False
                on_resize()
            if not ready:
                if on_idle is not None:
                    on_idle()
                continue
            data = self._read()
            if not data:  # in cbreak mode, a terminal that was hung up: see _read
                raise Interrupted(signal.SIGHUP, HUNG_UP)
            if data == b"\x1b":
                return self._escape_sequence()
            if data in (b"\r", b"\n"):
                return ENTER
            if data in (b"\x7f", b"\x08"):
                return BACKSPACE
            if data == b"\t":
                return TAB
            if data == b"\x04":
                return "q"
            text = self.decoder.decode(data)
            while not text:  # the rest of a multi-byte character (e.g. Japanese input)
                more = self._read()
                if not more:  # hung up in the middle of it: it would wait for the rest for ever
                    raise Interrupted(signal.SIGHUP, HUNG_UP)
                text = self.decoder.decode(more)
            return text

    def _read(self) -> bytes:
        """One byte of input. A read that fails as the terminal is closed (EIO: its window, an ssh
        connection dropped) ends the session as the SIGHUP that follows would, and the SIGHUP may never
        come (the shell that passes it on is gone first). A read of a terminal that was hung up finds
        nothing (no byte in cbreak mode means that, Ctrl-D being a key): the caller ends it so too."""
        try:
            return os.read(self.input_fd, 1)
        except OSError as error:
            if error.errno != errno.EIO:
                raise
            raise Interrupted(signal.SIGHUP, HUNG_UP) from None

    def _escape_sequence(self) -> str:
        ready, _, _ = select.select([self.input_fd], [], [], 0.03)
        if not ready:
            return ESCAPE
        sequence = b""
        while True:
            ready, _, _ = select.select([self.input_fd], [], [], 0.03)
            if not ready:
                break
            byte = self._read()
            if not byte:  # the terminal hung up in the middle of the sequence
                raise Interrupted(signal.SIGHUP, HUNG_UP)
            sequence += byte
            if len(sequence) > 1 and 0x40 <= byte[0] <= 0x7E:
                break
        if not sequence:
            return ESCAPE
        final = sequence[-1:].decode("ascii", "replace")
        if b";2" in sequence and final in _SHIFTED:
            return _SHIFTED[final]
        return _ESCAPE_NAMES.get(final, ESCAPE)


def _silence(stream) -> None:
    """Send what is left to write to ``stream`` (a closed terminal's) to the null device, so that the
    flush at exit does not fail again and turn the status into Python's 120."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
        os.dup2(null, stream.fileno())
        os.close(null)
        stream.flush()
