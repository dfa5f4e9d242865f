"""The SDK under test is this checkout's sdk/ (the venv may have another one installed)."""

import sys
from pathlib import Path

SDK = Path(__file__).resolve().parents[2] / "sdk"
if str(SDK) not in sys.path:
    sys.path.insert(0, str(SDK))
for name in [n for n in sys.modules if n == "shushang_sdk" or n.startswith("shushang_sdk.")]:
    if not str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(SDK)):
        del sys.modules[name]
