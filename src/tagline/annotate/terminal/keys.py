"""The tty itself: raw key input (arrows, Escape, multi-byte characters), resize and SIGTERM, and
one write per frame. The caller's terminal settings and signal handlers come back on exit."""

from __future__ import annotations

import codecs
import os
import select
import signal
import sys
import termios
import tty

from tagline.annotate.session import BACKSPACE, ENTER, ESCAPE, LEFT, RIGHT, SHIFT_LEFT, SHIFT_RIGHT, SHIFT_TAB, TAB

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
                                  signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_terminate)}
        return self

    def __exit__(self, *exc_info):
        self.output.write("\x1b[?25h\x1b[?1049l")
        self.output.flush()
        if self.saved is not None:
            termios.tcsetattr(self.input_fd, termios.TCSADRAIN, self.saved)
        for number, handler in self.previous_handlers.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        return False

    def _on_resize(self, signum, frame):
        self.resized = True

    def _on_terminate(self, signum, frame):
        raise SystemExit(128 + signum)

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
            data = os.read(self.input_fd, 1)
            if not data:
                return "q"  # end of input
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
                text = self.decoder.decode(os.read(self.input_fd, 1))
            return text

    def _escape_sequence(self) -> str:
        ready, _, _ = select.select([self.input_fd], [], [], 0.03)
        if not ready:
            return ESCAPE
        sequence = b""
        while True:
            ready, _, _ = select.select([self.input_fd], [], [], 0.03)
            if not ready:
                break
            byte = os.read(self.input_fd, 1)
            sequence += byte
            if len(sequence) > 1 and 0x40 <= byte[0] <= 0x7E:
                break
        if not sequence:
            return ESCAPE
        final = sequence[-1:].decode("ascii", "replace")
        if b";2" in sequence and final in _SHIFTED:
            return _SHIFTED[final]
        return _ESCAPE_NAMES.get(final, ESCAPE)
