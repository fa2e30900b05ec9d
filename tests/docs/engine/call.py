#!/usr/bin/env python3
"""An operation the command line does not have, through ot_call.

    call.py STORE RULES OP REQUEST

Prints the answer; exit 1 and the message when it is refused.  For the
examples of docs/engine.md (`events`), run by tests/docs_examples.sh with
libonetrip.so where the loader finds it.
"""
import ctypes
import ctypes.util
import sys


class OtError(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("message", ctypes.c_char * 512)]


store, rules, op, request = sys.argv[1:5]
lib = ctypes.CDLL("libonetrip.so.0")
libc = ctypes.CDLL(ctypes.util.find_library("c"))
out, error = ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(OtError)
lib.ot_engine_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p, out, error]
lib.ot_call.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, out, error]
lib.ot_engine_close.argtypes = [ctypes.c_void_p]
libc.free.argtypes = [ctypes.c_void_p]
engine, err, response = ctypes.c_void_p(), OtError(), ctypes.c_void_p()
if lib.ot_engine_open(rules.encode(), store.encode(), ctypes.byref(engine), ctypes.byref(err)) != 0:
    sys.exit(f"open: {err.message.decode()}")
if lib.ot_call(engine, op.encode(), request.encode(), ctypes.byref(response), ctypes.byref(err)) != 0:
    sys.exit(f"{op}: {err.message.decode()}")
print(ctypes.string_at(response).decode())
libc.free(response)
lib.ot_engine_close(engine)
