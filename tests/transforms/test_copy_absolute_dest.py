"""copy-absolute-dest's destination against BuildKit's own rule (moby/buildkit
dockerfile2llb.pathRelativeToWorkingDir, util/system.NormalizePath with keepSlash), case by case."""

from __future__ import annotations

import pytest

from dockfix.transforms.copy_absolute_dest import absolute


@pytest.mark.parametrize("workdir,dest,expected", [
    ("/", ".", "/"),  # "." becomes "./": path.Join("/", "./") is "/", which already ends in "/"
    ("/go", ".", "/go/"),
    ("/go", "./", "/go/"),
    ("/", "app/", "/app/"),  # a trailing "/" is kept
    ("/srv", "x", "/srv/x"),  # none added
    ("/srv", "sub/.", "/srv/sub/."),  # a trailing "/." is kept
    ("/", "sub//./x", "/sub/x"),  # path.Join cleans
    ("/srv/app", "./requirements/", "/srv/app/requirements/"),
])
def test_destination_as_buildkit_resolves_it(workdir: str, dest: str, expected: str) -> None:
    assert absolute(workdir, dest) == expected
