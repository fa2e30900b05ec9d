#!/usr/bin/env python3
"""libonetrip.so from Python with the standard library only (ctypes, json).

    ctypes_test.py LIBONETRIP.SO RULES VERSION

Loads the shared library, checks its version, opens an engine on the rule
base with a store in memory, assesses one application and reads the JSON
answer, meets one refusal (an unknown item) through ot_error, and frees
what the library allocated.  An intake system written in Python would do
the same; docs/engine.md points here as the example.
"""
import ctypes
import ctypes.util
import json
import sys


class OtError(ctypes.Structure):
    """struct ot_error: the status and a one-line message."""
    _fields_ = [("status", ctypes.c_int), ("message", ctypes.c_char * 512)]


OT_OK, OT_ENOTFOUND = 0, 5  # enum ot_status in onetrip.h


def check(condition, what):
    """assert, but also under python3 -O"""
    if not condition:
        sys.exit(f"FAIL: {what}")


def load(path):
    lib = ctypes.CDLL(path)
    lib.ot_version.restype = ctypes.c_char_p
    lib.ot_version.argtypes = []
    lib.ot_version_number.restype = ctypes.c_int
    lib.ot_version_number.argtypes = []
    lib.ot_engine_open.restype = ctypes.c_int
    lib.ot_engine_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p,
                                   ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(OtError)]
    lib.ot_engine_close.restype = None
    lib.ot_engine_close.argtypes = [ctypes.c_void_p]
    # the response is malloc'd: keep it as a pointer (c_char_p would copy
    # it into a bytes object and lose the address free() needs)
    lib.ot_assess.restype = ctypes.c_int
    lib.ot_assess.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                              ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(OtError)]
    return lib


def assess(lib, libc, engine, request):
    """Returns (status, answer as Python objects or None, error message)."""
    response = ctypes.c_void_p()
    err = OtError()
    status = lib.ot_assess(engine, json.dumps(request).encode(), ctypes.byref(response),
                           ctypes.byref(err))
    if status != OT_OK:
        check(not response.value, "a refusal returns no response")
        return status, None, err.message.decode()
    try:
        return status, json.loads(ctypes.string_at(response).decode()), ""
    finally:
        libc.free(response)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    lib = load(sys.argv[1])
    rules = sys.argv[2]
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.free.argtypes = [ctypes.c_void_p]
    libc.free.restype = None

    version = lib.ot_version().decode()
    check(version == sys.argv[3], f"ot_version() is {version}, the project's {sys.argv[3]}")
    major, minor, patch = (int(x) for x in version.split("."))
    check(lib.ot_version_number() == major * 1000000 + minor * 1000 + patch, version)

    engine = ctypes.c_void_p()
    err = OtError()
    status = lib.ot_engine_open(rules.encode(), b":memory:", ctypes.byref(engine),
                                ctypes.byref(err))
    check(status == OT_OK, err.message.decode())
    try:
        status, answer, _ = assess(lib, libc, engine, {
            "item": "chronic_disease_recognition", "now": "2024-03-04T09:00",
            "form": {"name": "赵秀兰", "id_no": "210304195903120024",
                     "disease_name": "高血压", "insured_kind": "resident_scheme",
                     "has_inpatient": True}})
        check(status == OT_OK, 'status == OT_OK')
        check(answer["item"] == "chronic_disease_recognition", answer)
        check(answer["complete"] is False, answer)
        check(answer["missing"] == ["medical_diagnosis", "medical_records"], answer["missing"])
        check(answer["shared"] == ["id_card"], answer["shared"])
        check(answer["form_errors"] == [], answer["form_errors"])

        status, answer, message = assess(lib, libc, engine,
                                         {"item": "chronic_disease", "now": "2024-03-04T09:00"})
        check(status == OT_ENOTFOUND, status)
        check("there is no item 'chronic_disease'" in message, message)
    finally:
        lib.ot_engine_close(engine)
    print(f"ok: onetrip {version} from Python: one assessment, one refusal")


if __name__ == "__main__":
    main()
