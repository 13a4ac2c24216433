"""dockfix.model.shell against real bash, as a SHELL instruction runs it: `bash -c`,
`bash -o pipefail -c`, `bash -eo pipefail -c`, and `bash -euo pipefail -c` for a script with no
`$` (model.run.RunExecution.reads_as_sh). The scripts of
test_shell_differential that the reader reads without a DIALECT flag run with the stub programs
under bash; the interpreter over OUR tree, told of pipefail and -e, predicts the log, and every
fact the model states (word values, directories, variables, commands that always run) holds in
it, as under /bin/sh. pipefail and -e change statuses only: which commands run after a failure,
never what a command that runs is given."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given

from dockfix.model.run import RunExecution, RunForm
from dockfix.model.shell import Condition, OpaqueReason, Script
from tests.model.shell_oracle import Interpreter, matches
from tests.model.test_shell_differential import _SANDBOX, SETTINGS, check_executed, plain_and_lists, read, scripts

BASH = shutil.which("bash")
# (options before -c, pipefail, errexit, nounset)
SHELLS = [((), False, False, False), (("-o", "pipefail"), True, False, False),
          (("-eo", "pipefail"), True, True, False), (("-o", "pipefail", "-o", "errexit"), True, True, False)]
# -u is not one: an unset variable ends the pipeline element (or the shell) before its command
# runs, and a pipeline without pipefail, or an `||`, succeeds all the same: the model's "always
# runs" would be false. Pinned here, so that the model's list of options stays without it.
NOUNSET = [("ok1 h <<E | ok2 piped\nx $V1\nE\n", ("-u",)), ("ok1 $V1 | ok2 || ok3", ("-euo", "pipefail"))]
# ... unless the script has no `$` and sources no file: -u then has no expansion to stop, and
# reads as -e/pipefail do.
NOUNSET_SHELLS = [(("-u",), False, False, True), (("-euo", "pipefail"), True, True, True),
                  (("-o", "nounset", "-o", "pipefail"), True, False, True)]


def check_bash(script: str, model: Script, options: tuple[str, ...], pipefail: bool, errexit: bool,
               nounset: bool) -> None:
    status, log = _SANDBOX.run(script, BASH, options)
    predicted = Interpreter(model.tree, _SANDBOX, pipefail, errexit, nounset).execute()
    # bash's failing builtins exit 1 where dash's exit 2: only success or failure is read
    assert (predicted.status == 0) == (status == 0), (script, options, predicted.status, status)
    assert matches(predicted.groups, log), (script, options, predicted.groups, log)
    check_executed(script, model, predicted, status, options)


def _bash_reads_it(model: Script) -> bool:
    return not any(o.reason is OpaqueReason.DIALECT for o in model.opaque)


@SETTINGS
@given(scripts() | plain_and_lists())
def test_scripts_agree_with_bash(script: str) -> None:
    assert BASH, "bash is the ground truth here (it is in every Debian image)"
    model = read(script)
    if not _bash_reads_it(model):
        return  # flagged: read as unknown wherever bash reads it
    for options, pipefail, errexit, nounset in SHELLS:
        check_bash(script, model, options, pipefail, errexit, nounset)
    for options, pipefail, errexit, nounset in NOUNSET_SHELLS:
        reads = RunExecution(RunForm.SHELL, (), script, ("/bin/bash", *options, "-c")).reads_as_sh
        assert not reads or "$" not in script  # a sourced file's expansions are not seen either
        if reads:
            check_bash(script, model, options, pipefail, errexit, nounset)


@pytest.mark.parametrize("script", [
    "ok1 a | ok2 b || ok3 c", "ok1 h <<E | ok2 piped\nx y\nE\n", "fail1 | ok2 && ok3",
    "cd /tmp && ok1 x; ok2 y", "if ok1 a; then ok2 b; fi | ok3", "ok1 'a b' \"c\" && fail2 || ok3"])
@pytest.mark.parametrize("options, pipefail, errexit, nounset", NOUNSET_SHELLS)
def test_nounset_reads_as_sh_without_expansions(script: str, options: tuple[str, ...], pipefail: bool,
                                                errexit: bool, nounset: bool) -> None:
    model = read(script)
    assert RunExecution(RunForm.SHELL, (), script, ("/bin/bash", *options, "-c")).reads_as_sh
    check_bash(script, model, options, pipefail, errexit, nounset)


def test_nounset_is_not_read_where_a_file_is_sourced() -> None:
    """An activate script's expansions are not in the RUN's text: -u may stop one of them."""
    for script in (". /v/bin/activate && pip install x", "ok1 && source f"):
        assert not RunExecution(RunForm.SHELL, (), script, ("/bin/bash", "-eu", "-c")).reads_as_sh


@pytest.mark.parametrize("script, options", NOUNSET)
def test_nounset_skips_a_command_the_model_says_always_runs(script: str, options: tuple[str, ...]) -> None:
    model = read(script)
    status, log = _SANDBOX.run(script, BASH, options)
    assert status == 0 and "ok1" not in {e.name for e in log}
    assert any(c.argv[0].value == "ok1" and c.condition is Condition.ALWAYS for c in model.commands)
    assert not RunExecution(RunForm.SHELL, (), script, ("/bin/bash", *options, "-c")).reads_as_sh
