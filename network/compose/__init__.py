"""The compose runtime: the same consortium, one container per service, from the same topology file."""

from network.compose._compose_file import ComposeInputs, render
from network.compose._errors import (
    ComposeCommandError,
    ComposeError,
    DockerUnavailableError,
    ImageBuildError,
)
from network.compose._images import ImageBuilder, Images
from network.compose._runtime import ComposeRuntime, project_name

__all__ = [
    "ComposeCommandError",
    "ComposeError",
    "ComposeInputs",
    "ComposeRuntime",
    "DockerUnavailableError",
    "ImageBuildError",
    "ImageBuilder",
    "Images",
    "project_name",
    "render",
]
