#!/usr/bin/python3
"""h5same.py A.h5 B.h5 -- exit 0 if the two files hold the same datasets
with identical contents (bit for bit; strings compared as values), 1 and a
message naming the first difference otherwise. Attributes (times, thread
counts) are not compared."""
import sys

import h5py
import numpy as np


def walk(group, out, prefix=""):
    for key, item in group.items():
        if isinstance(item, h5py.Dataset):
            out[prefix + "/" + key] = item[()]
        else:
            walk(item, out, prefix + "/" + key)


def main(a_path, b_path):
    a, b = {}, {}
    with h5py.File(a_path, "r") as fa, h5py.File(b_path, "r") as fb:
        walk(fa, a)
        walk(fb, b)
    if a.keys() != b.keys():
        print("different datasets:", sorted(set(a) ^ set(b)))
        return 1
    if len(a) < 10:
        print("too few datasets:", sorted(a))
        return 1
    for key in a:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        if x.shape != y.shape:
            print(key, "shapes differ:", x.shape, y.shape)
            return 1
        same = x.tolist() == y.tolist() if x.dtype == object else x.tobytes() == y.tobytes()
        if not same:
            print(key, "differs")
            return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__.strip())
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
