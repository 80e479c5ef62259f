"""What the official client says the API is: every operation's name, method and path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import rustici_software_cloud_v2


@dataclass(frozen=True)
class Operation:
    api_class: str
    method_name: str  # snake_case, as the client calls it
    operation_id: str  # PascalCase, as our routes name it
    http_method: str
    path: str
    response_type: str | None = None  # the client's model (or list[...]) the response deserializes into


def _pascal(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def official_operations() -> list[Operation]:
    """Parse the client's api/*.py: each `*_with_http_info` method and the call_api it makes."""
    api_dir = Path(rustici_software_cloud_v2.__file__).parent / "api"
    ops = []
    for path in sorted(api_dir.glob("*_api.py")):
        source = path.read_text()
        class_name = re.search(r"^class (\w+)\(", source, re.M).group(1)
        chunks = re.split(r"\n    def ", source)
        for chunk in chunks:
            name = re.match(r"(\w+)_with_http_info\(", chunk)
            if not name:
                continue
            call = re.search(r"call_api\(\s*'([^']+)',\s*'(\w+)'", chunk)
            returns = re.search(r"response_type=(?:'([^']+)'|None)", chunk)
            ops.append(Operation(class_name, name.group(1), _pascal(name.group(1)), call.group(2), call.group(1),
                                 returns.group(1) if returns else None))
    return ops
