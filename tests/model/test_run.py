"""model.run: what BuildKit executes for a RUN (dockerfile2llb dispatchRun), and that the
shell text it reconstitutes for heredocs is read by the real /bin/sh as the Dockerfile means."""

from __future__ import annotations

import subprocess

import pytest

from dockfix.model.run import DEFAULT_SHELL, RunForm, run_execution
from dockfix.syntax import parse


def _run(text: str, shell: tuple[str, ...] = DEFAULT_SHELL):
    doc = parse(text.encode())
    (ins,) = [i for i in doc.instructions if i.keyword == "RUN"]
    return run_execution(ins, shell)


def test_shell_form_is_the_shell_and_the_line():
    ex = _run("FROM a\nRUN pip install a==1  # web\n")
    assert ex.form is RunForm.SHELL and ex.posix_shell
    assert ex.argv == ("/bin/sh", "-c", "pip install a==1  # web")


def test_exec_form_has_no_shell():
    ex = _run('FROM a\nRUN ["pip", "install", "a"]\n')
    assert ex.form is RunForm.EXEC and not ex.posix_shell
    assert ex.argv == ("pip", "install", "a") and ex.script is None


def test_the_stage_shell_is_used():
    ex = _run("FROM a\nRUN echo hi\n", ("/bin/bash", "-o", "pipefail", "-c"))
    assert ex.argv == ("/bin/bash", "-o", "pipefail", "-c", "echo hi") and ex.posix_shell
    assert not _run("FROM a\nRUN echo hi\n", ("pwsh", "-Command")).posix_shell


def test_a_lone_heredoc_is_the_script():
    ex = _run("FROM a\nRUN <<EOF\napt-get update\npip install x\nEOF\n")
    assert ex.argv == ("/bin/sh", "-c", "apt-get update\npip install x\n")


def test_a_lone_chomped_heredoc_loses_its_leading_tabs():
    ex = _run("FROM a\nRUN <<-EOF\n\tpip install x\n\t\techo y\n\tEOF\n")
    assert ex.script == "pip install x\necho y\n"


def test_a_shebang_heredoc_is_run_as_a_file():
    ex = _run("FROM a\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n")
    assert ex.form is RunForm.SCRIPT_FILE and not ex.posix_shell
    assert ex.argv == ("/dev/pipes/EOF",) and ex.script == "#!/usr/bin/env python3\nprint(1)\n"


@pytest.mark.parametrize("line", ["<<EOF bash", "python3 <<EOF", "cat <<EOF > /tmp/x"])
def test_other_heredocs_are_reconstituted_for_the_shell(line):
    ex = _run(f"FROM a\nRUN {line}\nbody\nEOF\n")
    assert ex.form is RunForm.SHELL
    assert ex.script == f"{line}\nbody\nEOF"


def test_two_heredocs_are_reconstituted_in_order():
    ex = _run("FROM a\nRUN cat <<A <<B\none\nA\ntwo\nB\n")
    assert ex.script == "cat <<A <<B\none\nA\ntwo\nB"


@pytest.mark.parametrize(("dockerfile", "expected"), [
    # The shell, not BuildKit, reads these heredocs: the text must mean what the file says.
    ("RUN cat <<EOF > out\nhello $HOME\nEOF\n", "hello /nowhere\n"),
    ("RUN cat <<'EOF' > out\nhello $HOME\nEOF\n", "hello $HOME\n"),
    ("RUN <<EOF sh\necho one > out\necho two >> out\nEOF\n", "one\ntwo\n"),
    ("RUN cat <<-EOF > out\n\tindented\n\tEOF\n", "indented\n"),
    ("RUN <<EOF\necho lone > out\nEOF\n", "lone\n"),
    ("RUN <<-EOF\n\techo chomped > out\n\tEOF\n", "chomped\n"),
    ("RUN echo a > out && cat <<EOF >> out\nb\nEOF\n", "a\nb\n"),
])
def test_the_real_shell_reads_the_script_as_the_file_means(tmp_path, dockerfile, expected):
    ex = _run("FROM a\n" + dockerfile)
    done = subprocess.run(list(ex.argv), cwd=tmp_path, env={"HOME": "/nowhere", "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out").read_text() == expected
