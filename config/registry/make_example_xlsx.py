"""Write example.xlsx (the 2015-form layout) from example.yaml, so the two stay equal.

python config/registry/make_example_xlsx.py [SOURCE.yaml] [TARGET.xlsx]
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from scanner.registry.xlsx_form import write_xlsx

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else HERE / "example.yaml"
    target = Path(argv[1]) if len(argv) > 1 else HERE / "example.xlsx"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    write_xlsx(data, target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
