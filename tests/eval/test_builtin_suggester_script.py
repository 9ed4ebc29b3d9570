"""A script that opens the builtin suggester: its workers import the script again (forkserver), so
outside ``if __name__ == "__main__":`` the script gets one error that says so, not a traceback from
each worker and the pool's ``BrokenProcessPool``."""

from __future__ import annotations

import pytest

from conftest import run_script

SCRIPT = """
import tagline
"""


@pytest.mark.parametrize("guarded", [True, False])
def test_a_script_that_opens_the_builtin_suggester_outside_a_main_guard_is_told_so(sample_workspace, tmp_path,
                                                                                   guarded):
    call = (f"workspace = tagline.open_workspace({str(sample_workspace.root)!r}); "
            "suggester = tagline.open_suggester('builtin', workspace); "
            "sentences = [s for s in workspace.iter_sentences() if s['id'] == 'deepseek_ja-s0053']; "
            "print('suggested', sorted({s.task for s in tagline.suggest_for(suggester, sentences)})); "
            "suggester.close()")
    result = run_script(tmp_path / "suggest_script.py", SCRIPT, call, guarded=guarded)
    if guarded:
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("suggested ['claim_type'"), result.stdout
    else:
        assert result.returncode != 0
        assert result.stderr.count("Traceback") == 1 and "BrokenProcessPool" not in result.stderr, result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("tagline.errors.DataError: ") and \
            'open the builtin suggester under `if __name__ == "__main__":`' in last
