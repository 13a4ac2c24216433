from dockfix.cli import entry

entry()
