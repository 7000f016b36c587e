"""Checks that bundle JSON files are valid FHIR R4 with a validator independent of ours: the R4B
models of fhir.resources (R4B 4.3.0 is the closest to R4 4.0.1 that its current releases ship).
Strict: types, cardinality and required elements are checked, and unknown elements are errors.

Usage: validate.py FILE_OR_DIR...  (a directory means its *.json). Exits 1 if any file fails."""
import json
import sys
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError


def problems(path):
    try:
        Bundle.model_validate(json.loads(path.read_bytes()))
    except json.JSONDecodeError as e:
        return [f"not JSON: {e}"]
    except ValidationError as e:
        return [f"{'.'.join(map(str, err['loc']))}: {' '.join(err['msg'].split())}" for err in e.errors()]
    return []


files = [f for arg in map(Path, sys.argv[1:]) for f in (sorted(arg.glob("*.json")) if arg.is_dir() else [arg])]
failed = 0
for f in files:
    if found := problems(f):
        failed += 1
        print(f"{f}: {'; '.join(found)}")
print(f"FHIR R4 (fhir.resources R4B): {len(files) - failed} of {len(files)} bundles valid")
sys.exit(1 if failed or not files else 0)
