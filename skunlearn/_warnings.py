"""Warnings that point at the user's line, however deep in skunlearn they are raised."""

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message, category=UserWarning):
    """``warnings.warn`` with the stack level of the first frame outside skunlearn.

    Examples
    --------
    >>> import warnings
    >>> from skunlearn._warnings import warn
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("look here", RuntimeWarning)
    >>> caught[0].category.__name__
    'RuntimeWarning'
    """
    level, frame = 1, sys._getframe(0)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
