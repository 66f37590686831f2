"""lrcourse: learn, teach and grade learning-rate strategy in PyTorch."""

from lrcourse.feedback import Feedback

__version__ = "0.1.0"

__all__ = ["Feedback", "__version__"]
