"""A tiny program whose import needs a package installed with pip --user."""

import six

if __name__ == "__main__":
    print("six", six.__version__)
