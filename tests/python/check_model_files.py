"""Checks mipp model files with PyTorch itself (the torch of mipp's Python environment).

For every NAME.pt in the folder, with NAME.input.bin and NAME.expected.bin written by the C++ test
(raw little-endian float32, shapes in NAME.json), this loads the model with torch.jit.load, runs it
on the input in eval mode, and compares with mipp's output. Prints one JSON object per model:
{"model": NAME, "max_abs_diff": d, "metadata_ok": bool, "error": null | "..."}; exits 0 when every
model loaded and ran (the C++ test judges the differences).
Usage: scripts/python tests/python/check_model_files.py FOLDER
"""
import json
import pathlib
import sys

import numpy as np
import torch


def check(folder: pathlib.Path, name: str) -> dict:
    spec = json.loads((folder / f"{name}.json").read_text())
    x = torch.from_numpy(np.fromfile(folder / f"{name}.input.bin", dtype="<f4").reshape(spec["input_shape"]))
    want = torch.from_numpy(np.fromfile(folder / f"{name}.expected.bin", dtype="<f4").reshape(spec["output_shape"]))
    extra = {"mipp.json": ""}
    model = torch.jit.load(str(folder / f"{name}.pt"), _extra_files=extra)
    model.eval()
    with torch.no_grad():
        got = model(x)
    meta = json.loads(extra["mipp.json"])
    metadata_ok = meta.get("format") == "mipp-model" and meta.get("input_shape") == spec["input_shape"][1:]
    return {"model": name, "max_abs_diff": float((got - want).abs().max()), "metadata_ok": metadata_ok, "error": None}


def main() -> int:
    folder = pathlib.Path(sys.argv[1])
    ok = True
    for pt in sorted(folder.glob("*.pt")):
        try:
            result = check(folder, pt.stem)
        except Exception as e:  # report and go on: the C++ side names the failing model
            result = {"model": pt.stem, "max_abs_diff": None, "metadata_ok": False, "error": repr(e)}
            ok = False
        print(json.dumps(result), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
